"""qdbusgen.policy.render_policy: unit tests, and the generated policy enforced by a real dbus-daemon.

The end-to-end tests create throwaway system users, run D-Bus peers under their UIDs
(``setpriv``; the peers are ``/usr/bin/python3`` with python3-dbus and python3-gi, since
the project's interpreter lives under /root, which other users cannot enter) and check
what the daemon allows and refuses. They need root (CI runs as root).
"""

from __future__ import annotations

import json
import os
import pwd
import selectors
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hyp import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from system_users import User, as_user
from dbus_harness import dbus_daemon_available, private_bus
from qdbusgen.policy import PolicyError, render_policy, validate_bus_name, validate_user

SYSTEM_PYTHON = "/usr/bin/python3"
TEST_IFACE = "org.qdbusgen.Test1"
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"

needs_dbus_daemon = pytest.mark.skipif(
    not dbus_daemon_available(), reason="dbus-daemon is not installed"
)


# ============================================================ render_policy: unit tests


def parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE busconfig PUBLIC')
    return ET.fromstring(text.encode())


def rules(root: ET.Element, **policy_attrs: str) -> list[tuple[str, dict[str, str]]]:
    for policy in root.findall("policy"):
        if policy.attrib == policy_attrs:
            return [(r.tag, dict(r.attrib)) for r in policy]
    raise AssertionError(f"no <policy {policy_attrs}>")


SERVICES = {"org.qemu.Helper1": "qemu-helper", "org.example.Slirp1": "slirp"}
BASIC: dict[str, Any] = dict(
    listen="/run/qemu/vm1/bus.sock",
    qemu_user="qemu",
    services=SERVICES,
    qemu_owns=["org.qemu"],
)


def test_structure_matches_dbus_rst_model() -> None:
    root = parse(render_policy(**BASIC))
    assert root.tag == "busconfig"
    assert root.findtext("listen") == "unix:path=/run/qemu/vm1/bus.sock"
    assert [a.text for a in root.findall("auth")] == ["EXTERNAL"]
    default = rules(root, context="default")
    # deny-by-default connection list, then the users
    assert default[0] == ("deny", {"user": "*"})
    assert {r["user"] for tag, r in default if tag == "allow" and "user" in r} == {
        "qemu",
        "qemu-helper",
        "slirp",
    }
    assert ("deny", {"own": "*"}) in default
    assert ("deny", {"send_destination": "*"}) in default
    assert ("deny", {"receive_sender": "org.qemu.Helper1"}) in default
    # dbus.rst's example, per user
    assert rules(root, user="qemu") == [
        ("allow", {"own": "org.qemu"}),
        ("allow", {"send_type": "signal", "send_broadcast": "true"}),
        ("allow", {"send_destination": "org.example.Slirp1"}),
        ("allow", {"receive_sender": "org.example.Slirp1"}),
        ("allow", {"send_destination": "org.qemu.Helper1"}),
        ("allow", {"receive_sender": "org.qemu.Helper1"}),
    ]
    assert rules(root, user="qemu-helper") == [
        ("allow", {"own": "org.qemu.Helper1"}),
        (
            "allow",  # a helper reads the Id of the others queued for its name, nothing else
            {
                "send_destination": "org.qemu.Helper1",
                "send_interface": "org.freedesktop.DBus.Properties",
                "send_member": "Get",
            },
        ),
        ("allow", {"send_type": "signal", "send_broadcast": "true"}),
    ]
    assert rules(root, user="slirp")[0] == ("allow", {"own": "org.example.Slirp1"})
    assert [p.attrib for p in root.findall("policy")] == [
        {"context": "default"},
        {"user": "qemu"},
        {"user": "qemu-helper"},
        {"user": "slirp"},
    ]


def test_deterministic_and_order_independent() -> None:
    a = render_policy(**BASIC)
    assert a == render_policy(**BASIC)
    b = render_policy(
        listen="/run/qemu/vm1/bus.sock",
        qemu_user="qemu",
        services=dict(reversed(list(SERVICES.items()))),
        qemu_owns=("org.qemu", "org.qemu"),
    )
    assert a == b


def test_shared_name_for_several_helpers_and_uid_normalisation() -> None:
    root = parse(
        render_policy(
            listen="/tmp/b.sock",
            qemu_user="0",
            services={"org.qemu.VMState1": ["helper-b", "0042", "helper-a", "helper-a"]},
        )
    )
    users = [
        r["user"] for tag, r in rules(root, context="default") if tag == "allow" and "user" in r
    ]
    assert users == ["helper-a", "helper-b", "0", "42"]  # names sorted, then uids numerically
    for user in ("helper-a", "helper-b", "42"):
        assert rules(root, user=user)[0] == ("allow", {"own": "org.qemu.VMState1"})
    assert ("allow", {"send_destination": "org.qemu.VMState1"}) in rules(root, user="0")


def test_qemu_clients_may_call_qemu_owned_names() -> None:
    root = parse(
        render_policy(
            listen="/tmp/b.sock",
            qemu_user="qemu",
            services={"org.qemu.Helper1": "helper"},
            qemu_owns=["org.qemu"],
            qemu_clients=["viewer", "helper"],
        )
    )
    assert rules(root, user="viewer") == [("allow", {"send_destination": "org.qemu"})]
    assert ("allow", {"send_destination": "org.qemu"}) in rules(root, user="helper")
    assert not any(r.get("receive_sender") == "org.qemu" for _, r in rules(root, context="default"))


def test_qemu_user_may_also_be_a_helper() -> None:
    # "Everything the same UID" (dbus.rst): QEMU's user owns the helper name too.
    root = parse(
        render_policy(listen="/tmp/b.sock", qemu_user="qemu", services={"org.qemu.Helper1": "qemu"})
    )
    assert ("allow", {"own": "org.qemu.Helper1"}) in rules(root, user="qemu")
    # no receive denial for a name QEMU's own user holds (it would block QEMU's own traffic)
    assert ("deny", {"receive_sender": "org.qemu.Helper1"}) not in rules(root, context="default")
    assert len(root.findall("policy")) == 2


@pytest.mark.parametrize(
    ("path", "address"),
    [
        ("/tmp/a b/bus.sock", "unix:path=/tmp/a%20b/bus.sock"),
        ("/tmp/x&y<z>\"q'/s", "unix:path=/tmp/x%26y%3cz%3e%22q%27/s"),
        ("/tmp/é,=;\\%/s", "unix:path=/tmp/%c3%a9%2c%3d%3b%5c%25/s"),
        ("/run/qemu-1/bus_0.sock", "unix:path=/run/qemu-1/bus_0.sock"),
    ],
)
def test_listen_path_is_address_escaped(path: str, address: str) -> None:
    text = render_policy(listen=path, qemu_user="qemu", services={})
    root = parse(text)
    assert root.findtext("listen") == address
    assert unquote(address.removeprefix("unix:path=")) == path
    assert "&" not in text and "<z" not in text


def test_path_object_accepted() -> None:
    assert "unix:path=/tmp/x/bus.sock" in render_policy(
        listen=Path("/tmp/x/bus.sock"), qemu_user="q", services={}
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(listen="bus.sock"), "must be an absolute path"),
        (dict(listen="unix:path=/tmp/bus"), "looks like a D-Bus address"),
        (dict(listen=""), "empty"),
        (dict(listen="/tmp/\0x"), "NUL"),
        (dict(listen="/" + "a" * 107), "limited to 107 bytes"),
        (dict(qemu_user=""), "qemu_user is empty"),
        (dict(qemu_user="-rf"), "must not start with '-'"),
        (dict(qemu_user="a b"), "neither a numeric uid nor a user name"),
        (dict(qemu_user="qemu<"), "neither a numeric uid nor a user name"),
        (dict(qemu_user="x" * 33), "limit is 32"),
        (dict(qemu_user="4294967295"), "uid out of range"),
        (dict(qemu_user=".."), "not a valid user name"),
        (dict(qemu_user=None), "must be a user name or a numeric uid"),
        (dict(services={":1.4": "h"}), "unique connection name"),
        (dict(services={"org": "h"}), "at least two elements"),
        (dict(services={"org..x": "h"}), "empty element"),
        (dict(services={".org.x": "h"}), "empty element"),
        (dict(services={"org.x.": "h"}), "empty element"),
        (dict(services={"org.1x": "h"}), "starts with a digit"),
        (dict(services={"org.x$y": "h"}), "character '$' is not allowed"),
        (dict(services={"org.x y": "h"}), "character ' ' is not allowed"),
        (dict(services={'org.x"/><allow own="*': "h"}), "not allowed"),
        (dict(services={"org.é.x": "h"}), "character 'é' is not allowed"),
        (dict(services={"*": "h"}), "at least two elements"),
        (dict(services={"o." + "x" * 254: "h"}), "the limit is 255"),
        (dict(services={"org.freedesktop.DBus": "h"}), "bus driver"),
        (dict(services={"org.qemu.H1": "h x"}), "user of service 'org.qemu.H1'"),
        (dict(services={"org.qemu.H1": []}), "list of users is empty"),
        (dict(services=[("org.qemu.H1", "h")]), "services must be a mapping"),
        (dict(qemu_owns="org.qemu"), "qemu_owns must be a list of bus names"),
        (dict(qemu_owns=["org.qemu", "org"]), "qemu_owns entry 'org'"),
        (
            dict(services={"org.qemu": "h"}, qemu_owns=["org.qemu"]),
            "both a helper service and in qemu_owns",
        ),
        (dict(qemu_clients=["viewer"]), "qemu_owns is empty"),
        (
            dict(qemu_clients="viewer", qemu_owns=["org.qemu"]),
            "qemu_clients must be a list of users",
        ),
    ],
)
def test_invalid_input_is_rejected_clearly(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = dict(listen="/tmp/bus.sock", qemu_user="qemu", services={})
    args.update(kwargs)
    with pytest.raises(PolicyError, match=_re_escape(message)):
        render_policy(**args)


def _re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)
    assert validate_bus_name("org.qemu.Display1.Listener-2_x") == "org.qemu.Display1.Listener-2_x"
    assert validate_user("Debian-exim") == "Debian-exim" and validate_user(7) == "7"
    assert validate_user("machine$") == "machine$"


_FIRST = "ABCXYZabcxyz_-"
_REST = _FIRST + "0189"
_NAME_ELEMENT = st.builds(lambda a, b: a + b, st.sampled_from(_FIRST), st.text(_REST, max_size=8))
_USER = st.one_of(
    st.builds(lambda a, b: a + b, st.sampled_from("abqz_"), st.text("abqz09_-", max_size=12)),
    st.integers(0, 2**32 - 2).map(str),
)


@settings(max_examples=examples(150), deadline=None)
@given(
    names=st.lists(
        st.lists(_NAME_ELEMENT, min_size=2, max_size=4).map(".".join), max_size=5, unique=True
    ),
    users=st.lists(_USER, min_size=1, max_size=5),
)
def test_valid_inputs_always_render_parseable_xml(names: list[str], users: list[str]) -> None:
    services = {
        n: users[i % len(users)] for i, n in enumerate(names) if n != "org.freedesktop.DBus"
    }
    text = render_policy(listen="/tmp/p/bus.sock", qemu_user=users[0], services=services)
    root = parse(text)
    owned = {
        r.get("own") for p in root.findall("policy") for r in p if r.get("own") not in (None, "*")
    }
    assert owned == set(services)


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_is_validated_or_rejected(text: str) -> None:
    for qemu_user, services in ((text, {}), ("q", {text: "h"})):
        try:
            out = render_policy(listen="/tmp/x.sock", qemu_user=qemu_user, services=services)
        except PolicyError:
            continue
        parse(out)
        assert not any(c in text for c in "<>&\"' \n\0")


# ============================================================ real dbus-daemon


def run_daemon_briefly(config: Path, socket_path: Path) -> str:
    """Start ``dbus-daemon --config-file=CONFIG --nofork``, wait for its socket, stop it; return stderr."""
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 5
        while not socket_path.exists():
            if proc.poll() is not None:
                raise AssertionError(
                    f"dbus-daemon rejected the configuration ({proc.returncode}): {proc.communicate()[1]}"
                )
            assert time.monotonic() < deadline, "dbus-daemon did not create its socket within 5 s"
            time.sleep(0.01)
        assert proc.poll() is None
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=5)
    assert out.startswith(f"unix:path={socket_path},guid="), out
    return err


@needs_dbus_daemon
def test_dbus_daemon_accepts_generated_config(tmp_path: Path) -> None:
    config = tmp_path / "bus.conf"
    config.write_text(
        render_policy(
            listen=str(tmp_path / "bus.sock"),
            qemu_user="root",
            services={"org.qemu.Helper1": "nobody", "org.qemu.VMState1": ["nobody", "65534"]},
            qemu_owns=["org.qemu"],
            qemu_clients=["0"],
        )
    )
    stderr = run_daemon_briefly(config, tmp_path / "bus.sock")
    # the only line expected in a container: "Failed to set fd limit to 65536"
    assert not [line for line in stderr.splitlines() if "fd limit" not in line], stderr


@needs_dbus_daemon
def test_unknown_users_fail_closed(tmp_path: Path) -> None:
    """dbus-daemon warns about unknown users (names, and numeric uids without a passwd entry) and ignores their rules."""
    config = tmp_path / "bus.conf"
    config.write_text(
        render_policy(
            listen=str(tmp_path / "bus.sock"),
            qemu_user="root",
            services={"org.qemu.Helper1": "qdbusgen-no-such-user", "org.qemu.Helper2": "3999999"},
        )
    )
    stderr = run_daemon_briefly(config, tmp_path / "bus.sock")
    assert 'Unknown username "qdbusgen-no-such-user"' in stderr, stderr
    assert 'Unknown username "3999999"' in stderr, stderr


# ============================================================ end to end under real UIDs

AGENT_SCRIPT = r'''"""A D-Bus peer driven by JSON lines on stdin (run with /usr/bin/python3 under any uid)."""
import json
import os
import sys

import dbus
import dbus.bus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

TEST_IFACE = "org.qdbusgen.Test1"
VMSTATE_IFACE = "org.qemu.VMState1"
PROPS_IFACE = "org.freedesktop.DBus.Properties"


def out(**msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def plain(value):
    if isinstance(value, (dbus.Array, list, tuple, dbus.Struct)):
        if isinstance(value, dbus.Array) and value.signature == "y":
            return {"bytes": bytes(value).hex()}
        return [plain(v) for v in value]
    if isinstance(value, dbus.ByteArray) or isinstance(value, bytes):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, (dbus.Dictionary, dict)):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (int,)):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return repr(value)


def error_dict(exc):
    name = exc.get_dbus_name() if isinstance(exc, dbus.exceptions.DBusException) else type(exc).__name__
    return {"ok": False, "error": name, "message": str(exc)}


class TestObject(dbus.service.Object):
    @dbus.service.method(TEST_IFACE, in_signature="s", out_signature="s")
    def Echo(self, text):
        return text

    @dbus.service.method(TEST_IFACE, in_signature="", out_signature="u")
    def WhoAmI(self):
        return os.getuid()

    @dbus.service.method(TEST_IFACE, in_signature="s", out_signature="")
    def Emit(self, text):
        self.Pinged(text)

    @dbus.service.signal(TEST_IFACE, signature="s")
    def Pinged(self, text):
        pass


class VMStateObject(dbus.service.Object):
    def __init__(self, conn, path, vmstate_id, data):
        super().__init__(conn, path)
        self.vmstate_id = vmstate_id
        self.data = data
        self.saved = 0
        self.loaded = []

    @dbus.service.method(VMSTATE_IFACE, in_signature="", out_signature="ay", byte_arrays=True)
    def Save(self):
        self.saved += 1
        return dbus.ByteArray(self.data)

    @dbus.service.method(VMSTATE_IFACE, in_signature="ay", out_signature="", byte_arrays=True)
    def Load(self, data):
        self.loaded.append(bytes(data).hex())

    @dbus.service.method(PROPS_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        if interface == VMSTATE_IFACE and prop == "Id":
            return dbus.String(self.vmstate_id, variant_level=1)
        raise dbus.exceptions.DBusException("no such property", name="org.freedesktop.DBus.Error.InvalidArgs")

    @dbus.service.method(PROPS_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        if interface == VMSTATE_IFACE:
            return dbus.Dictionary({"Id": dbus.String(self.vmstate_id)}, signature="sv")
        return dbus.Dictionary({}, signature="sv")

    @dbus.service.method(PROPS_IFACE, in_signature="ssv", out_signature="")
    def Set(self, interface, prop, value):
        raise dbus.exceptions.DBusException("read-only", name="org.freedesktop.DBus.Error.PropertyReadOnly")


class Agent:
    def __init__(self, address):
        self.loop = GLib.MainLoop()
        self.conn = dbus.bus.BusConnection(address, mainloop=DBusGMainLoop())
        self.objects = {}
        self.signals = []
        self.buffer = b""

    def reply_later(self, rid):
        def ok(*result):
            out(id=rid, ok=True, result=plain(list(result)))

        def err(exc):
            out(id=rid, **error_dict(exc))

        return ok, err

    def handle(self, cmd):
        rid = cmd.get("id")
        op = cmd["op"]
        if op == "quit":
            out(id=rid, ok=True, result=None)
            self.loop.quit()
            return
        if op == "export":
            kind = cmd.get("kind", "test")
            if kind == "vmstate":
                obj = VMStateObject(self.conn, cmd["path"], cmd["vmstate_id"], bytes.fromhex(cmd["data"]))
            else:
                obj = TestObject(self.conn, cmd["path"])
            self.objects[cmd["path"]] = obj
            out(id=rid, ok=True, result=None)
            return
        if op == "vmstate":
            obj = self.objects[cmd["path"]]
            out(id=rid, ok=True, result={"saved": obj.saved, "loaded": obj.loaded})
            return
        if op == "subscribe":
            def record(*args, **kw):
                self.signals.append({"sender": kw.get("sender"), "member": kw.get("member"), "args": plain(list(args))})

            self.conn.add_signal_receiver(
                record, signal_name=cmd.get("member"), dbus_interface=cmd.get("interface"),
                bus_name=cmd.get("sender"), sender_keyword="sender", member_keyword="member",
            )
            # AddMatch is sent asynchronously; a round trip makes sure it is in place.
            ok, err = self.reply_later(rid)
            self.conn.call_async("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                 "GetId", "", (), lambda *_: ok(), err)
            return
        if op == "signals":
            # Messages are dispatched in order: once this reply is handled, every signal
            # the bus routed to us before it has been handled too.
            def done(*_):
                out(id=rid, ok=True, result=self.signals)

            _, err = self.reply_later(rid)
            self.conn.call_async("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                 "GetId", "", (), done, err)
            return
        if op == "request_name":
            cmd = dict(cmd, dest="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                       interface="org.freedesktop.DBus", method="RequestName", signature="su",
                       args=[cmd["name"], cmd.get("flags", 0)])
            op = "call"
        if op == "call":
            ok, err = self.reply_later(rid)
            args = tuple(bytes.fromhex(a["bytes"]) if isinstance(a, dict) else a for a in cmd.get("args", []))
            self.conn.call_async(cmd["dest"], cmd["path"], cmd["interface"], cmd["method"],
                                 cmd.get("signature", ""), args, ok, err, timeout=cmd.get("timeout", 10))
            return
        out(id=rid, ok=False, error="agent.UnknownOp", message=op)

    def on_stdin(self, fd, condition):
        data = os.read(fd, 65536)
        if not data:
            self.loop.quit()
            return False
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                try:
                    self.handle(json.loads(line))
                except Exception as exc:  # report, keep serving
                    out(id=None, ok=False, error="agent." + type(exc).__name__, message=str(exc))
        return True


def main():
    try:
        agent = Agent(sys.argv[1])
    except dbus.exceptions.DBusException as exc:
        out(event="connect_error", **error_dict(exc))
        return 3
    out(event="ready", unique_name=str(agent.conn.get_unique_name()), uid=os.getuid(), gid=os.getgid())
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, agent.on_stdin)
    agent.loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A temp dir other users can enter (pytest's tmp_path lives under a 0700 directory)."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.fail(
            f"{SYSTEM_PYTHON} is missing: .ci/run must install python3, python3-dbus and python3-gi"
        )
    check = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import dbus, gi; from gi.repository import GLib"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        pytest.fail(f".ci/run must install python3-dbus and python3-gi: {check.stderr.strip()}")
    directory = Path(tempfile.mkdtemp(prefix="qdbusgen-policy-", dir="/tmp"))
    directory.chmod(0o755)
    (directory / "agent.py").write_text(AGENT_SCRIPT)
    (directory / "agent.py").chmod(0o644)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class Agent:
    """A D-Bus peer (AGENT_SCRIPT) running as ``user``, driven by JSON lines."""

    def __init__(
        self, directory: Path, address: str, user: User | None, *, timeout: float = 10.0
    ) -> None:
        command = [SYSTEM_PYTHON, "-I", "-u", str(directory / "agent.py"), address]
        if user is not None:
            command = as_user(user, command)
        self.user = user
        self.timeout = timeout
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd=directory,
        )
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self._buffer = b""
        self._next = 0
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(remaining):
                raise TimeoutError(f"agent ({self.user}) did not answer within {self.timeout} s")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise EOFError(f"agent ({self.user}) exited ({self.process.wait()}): {err}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def __call__(self, op: str, **kwargs: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self._next += 1
        self.process.stdin.write(
            (json.dumps({"op": op, "id": self._next, **kwargs}) + "\n").encode()
        )
        self.process.stdin.flush()
        reply = self._read()
        assert reply.get("id") == self._next, reply
        return reply

    @property
    def unique_name(self) -> str:
        return str(self.hello["unique_name"])

    def call(
        self,
        dest: str,
        method: str,
        *args: Any,
        signature: str = "",
        path: str = "/test",
        interface: str = TEST_IFACE,
    ) -> dict[str, Any]:
        return self(
            "call",
            dest=dest,
            path=path,
            interface=interface,
            method=method,
            signature=signature,
            args=list(args),
        )

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self("quit")
            except (OSError, TimeoutError, EOFError, AssertionError):
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self._selector.close()


@pytest.fixture
def agents() -> Iterator[list[Agent]]:
    started: list[Agent] = []
    yield started
    for agent in reversed(started):
        agent.close()


def denied(reply: dict[str, Any]) -> bool:
    return reply.get("ok") is False and reply.get("error") == ACCESS_DENIED


@needs_dbus_daemon
def test_generated_policy_enforced_by_real_daemon(
    make_user: Any, shared_dir: Path, agents: list[Agent]
) -> None:
    """QEMU's user may call the helper; another helper's UID may neither call it nor take its name."""
    from dbus_fast import Message, MessageType

    from qemu_harness import EventLoopThread

    helper_user, other_user = make_user("helper"), make_user("other")
    helper_name, other_name = "org.qdbusgen.Helper1", "org.qdbusgen.Other1"
    config = render_policy(
        listen=str(shared_dir / "dbus" / "bus.sock"),
        qemu_user="root",  # the QEMU side is this (root) test process, with dbus-fast
        services={helper_name: helper_user.name, other_name: other_user.name},
    )

    def start(user: User | None) -> Agent:
        agent = Agent(shared_dir, bus.address, user)
        agents.append(agent)
        return agent

    with private_bus(shared_dir / "dbus", config_text=config) as bus, EventLoopThread() as loop:
        helper = start(helper_user)
        assert (
            helper.hello["event"] == "ready" and helper.hello["uid"] == helper_user.uid
        ), helper.hello
        assert helper("request_name", name=helper_name, flags=4) == {
            "id": 1,
            "ok": True,
            "result": [1],
        }
        assert helper("export", path="/test")["ok"]

        other = start(other_user)
        assert other.hello["event"] == "ready", other.hello
        assert other("request_name", name=other_name, flags=4)["result"] == [
            1
        ]  # its own name: fine
        assert other("export", path="/test")["ok"]
        assert other("subscribe")["ok"]  # every signal it may receive

        # --- the QEMU user (root, dbus-fast): call, reply, signal
        async def qemu_side() -> tuple[list[Any], list[Any]]:
            from dbus_fast.aio import MessageBus

            conn = await MessageBus(bus_address=bus.address).connect()
            try:
                got: list[Message] = []
                conn.add_message_handler(
                    lambda m: (
                        got.append(m)
                        if m.message_type == MessageType.SIGNAL and m.member == "Pinged"
                        else None
                    )
                )
                await conn.call(
                    Message(
                        destination="org.freedesktop.DBus",
                        path="/org/freedesktop/DBus",
                        interface="org.freedesktop.DBus",
                        member="AddMatch",
                        signature="s",
                        body=[f"type='signal',interface='{TEST_IFACE}'"],
                    )
                )
                results = []
                for dest, member, sig, body in (
                    (helper_name, "WhoAmI", "", []),
                    (helper_name, "Echo", "s", ["<&>"]),
                    (helper.unique_name, "Echo", "s", ["by unique name"]),
                    (helper_name, "Emit", "s", ["ping"]),
                    (other_name, "WhoAmI", "", []),
                    ("org.freedesktop.DBus", "RequestName", "su", [helper_name, 2]),
                ):
                    iface = "org.freedesktop.DBus" if dest == "org.freedesktop.DBus" else TEST_IFACE
                    path = "/org/freedesktop/DBus" if dest == "org.freedesktop.DBus" else "/test"
                    reply = await conn.call(
                        Message(
                            destination=dest,
                            path=path,
                            interface=iface,
                            member=member,
                            signature=sig,
                            body=body,
                        )
                    )
                    assert reply is not None
                    results.append((reply.message_type.name, reply.error_name, reply.body))
                deadline = time.monotonic() + 5
                import asyncio

                while not got and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                return results, [(m.member, m.body) for m in got]
            finally:
                conn.disconnect()

        results, signals = loop.run(qemu_side(), timeout=20)
        assert results[0] == (
            "METHOD_RETURN",
            None,
            [helper_user.uid],
        )  # answered by the helper's UID
        assert results[1] == ("METHOD_RETURN", None, ["<&>"])
        assert results[2] == ("METHOD_RETURN", None, ["by unique name"])
        assert results[3] == ("METHOD_RETURN", None, [])
        assert signals == [("Pinged", ["ping"])], "QEMU's user receives the helper's broadcast"
        assert results[4] == ("METHOD_RETURN", None, [other_user.uid])
        assert results[5][:2] == (
            "ERROR",
            ACCESS_DENIED,
        ), "not even QEMU's user may take a helper's name"

        # --- the other UID: refused
        by_name = other.call(helper_name, "Echo", "x", signature="s")
        assert denied(by_name), by_name
        by_unique = other.call(helper.unique_name, "Echo", "x", signature="s")
        assert denied(by_unique), by_unique
        introspect = other.call(
            helper_name, "Introspect", path="/", interface="org.freedesktop.DBus.Introspectable"
        )
        assert denied(introspect), introspect
        for flags in (0, 2, 4):  # queue, replace, do-not-queue
            take = other("request_name", name=helper_name, flags=flags)
            assert denied(take), take
        assert "not allowed to own the service" in take["message"]
        heard = other("signals")["result"]
        assert not [
            s for s in heard if s["member"] == "Pinged"
        ], heard  # the broadcast did not reach it

        # --- helpers are isolated from each other
        assert denied(helper.call(other_name, "WhoAmI")), "helper -> other helper"
        assert helper("request_name", name=helper_name, flags=4)["result"] == [4]  # already owner

        # --- a user not in the policy cannot even connect
        nobody = pwd.getpwnam("nobody")
        outsider = start(User("nobody", nobody.pw_uid, nobody.pw_gid))
        assert outsider.hello["event"] == "connect_error", outsider.hello
        assert outsider.process.wait(timeout=5) == 3


@needs_dbus_daemon
@pytest.mark.slow
def test_generated_policy_with_real_qemu_dbus_vmstate(
    make_user: Any, shared_dir: Path, agents: list[Agent], tmp_path: Path
) -> None:
    """Two dbus-vmstate helpers under two UIDs share org.qemu.VMState1 (one queued); QEMU (root) reaches both."""
    from qemu_harness import (
        MINIMAL_MACHINE,
        QemuProcess,
        dbus_vmstate_args,
        parse_dbus_vmstate,
        require_qemu,
    )

    require_qemu()
    user_a, user_b = make_user("vmsa"), make_user("vmsb")
    config = render_policy(
        listen=str(shared_dir / "dbus" / "bus.sock"),
        qemu_user="root",
        services={"org.qemu.VMState1": [user_a.name, user_b.name]},
    )
    data = {"helper-a": b"\x00A" * 40, "helper-b": bytes(range(200))}
    with private_bus(shared_dir / "dbus", config_text=config) as bus:
        helpers = {}
        for (helper_id, payload), user, expected in zip(data.items(), (user_a, user_b), ([1], [2])):
            agent = Agent(shared_dir, bus.address, user)
            agents.append(agent)
            assert (
                agent("request_name", name="org.qemu.VMState1", flags=0)["result"] == expected
            )  # 2: in queue
            assert agent(
                "export",
                kind="vmstate",
                path="/org/qemu/VMState1",
                vmstate_id=helper_id,
                data=payload.hex(),
            )["ok"]
            helpers[helper_id] = agent
        vm_args = [*MINIMAL_MACHINE, *dbus_vmstate_args(bus.address, id_list=list(data))]
        stream = tmp_path / "mig.bin"
        with QemuProcess(vm_args, tmp_path, name="src") as src:
            src.migrate_to_file(stream)
            src.wait_migration()
        assert parse_dbus_vmstate(stream.read_bytes()).entries == data
        with QemuProcess([*vm_args, "-incoming", "defer"], tmp_path, name="dst") as dst:
            dst.migrate_incoming_from_file(stream)
            dst.wait_incoming()
        for helper_id, agent in helpers.items():
            state = agent("vmstate", path="/org/qemu/VMState1")["result"]
            assert state == {"saved": 1, "loaded": [data[helper_id].hex()]}, (helper_id, state)


@needs_dbus_daemon
@pytest.mark.slow
def test_generated_policy_with_real_qemu_display(
    make_user: Any, shared_dir: Path, agents: list[Agent], tmp_path: Path
) -> None:
    """QEMU (root) owns org.qemu under the policy; a qemu_clients UID may call it, a helper UID may not."""
    from qemu_harness import PC_MACHINE, QemuProcess, require_qemu, wait_for_name_owner

    require_qemu()
    viewer_user, helper_user = make_user("viewer"), make_user("helper")
    config = render_policy(
        listen=str(shared_dir / "dbus" / "bus.sock"),
        qemu_user="root",
        services={"org.qdbusgen.Helper1": helper_user.name},
        qemu_owns=["org.qemu"],
        qemu_clients=[viewer_user.name],
    )
    with private_bus(shared_dir / "dbus", config_text=config) as bus:
        args = [*PC_MACHINE, "-name", "policed-vm", "-display", f"dbus,addr={bus.address}"]
        with QemuProcess(args, tmp_path, name="display") as vm:
            wait_for_name_owner(bus.address, "org.qemu", timeout=10)  # root: the QEMU user
            viewer, helper = Agent(shared_dir, bus.address, viewer_user), Agent(
                shared_dir, bus.address, helper_user
            )
            agents.extend([viewer, helper])
            get = dict(
                path="/org/qemu/Display1/VM",
                interface="org.freedesktop.DBus.Properties",
                signature="ss",
            )
            name = viewer.call("org.qemu", "Get", "org.qemu.Display1.VM", "Name", **get)
            assert name == {
                "id": 1,
                "ok": True,
                "result": ["policed-vm"],
            }, f"{name}\n{vm.describe()}"
            refused = helper.call("org.qemu", "Get", "org.qemu.Display1.VM", "Name", **get)
            assert denied(refused), refused
            steal = viewer("request_name", name="org.qemu", flags=2)
            assert denied(steal), steal
            assert vm.status() == "running"
