"""examples/vmstate_helper.py and examples/display_snapshot.py against the real QEMU 7.2.

Each test runs its own private dbus-daemon, a real ``qemu-system-x86_64`` (TCG; no disk
image: the SeaBIOS screen is the picture) and the examples as subprocesses, on packages
that the module fixture generates afresh with the ``qdbusgen`` CLI.

The policy test runs the helper under a throwaway UID. That UID cannot enter /root (where
the project's Python and its dbus-fast live), so it runs ``/usr/bin/python3``, which has
no dbus-fast either: the fixture copies the *pure-Python* sources of the installed
dbus-fast (no compiled modules, so any CPython 3 can import them, whatever its ABI), the
installed qdbusgen-runtime and the generated packages into a world-readable temp dir on
PYTHONPATH. That needs neither
the network nor a venv, and it is the very dbus-fast version the project pins.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from system_users import User, as_user
from dbus_harness import PrivateBus, private_bus
from qemu_harness import (
    MINIMAL_MACHINE,
    PC_MACHINE,
    QemuError,
    QemuProcess,
    dbus_vmstate_args,
    parse_dbus_vmstate,
    require_qemu,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HELPER = EXAMPLES / "vmstate_helper.py"
SNAPSHOT = EXAMPLES / "display_snapshot.py"
REFERENCE_FRAME = (
    ROOT.parent / "shared" / "upstream" / "qemu" / "live" / "listener-final-frame-seabios.png"
)
#: The UUID of the VM the reference frame was taken from (SeaBIOS prints it).
REFERENCE_UUID = "6d0bd1a2-5c1e-4b8f-9a77-0f7c2e3d4b5a"
SYSTEM_PYTHON = "/usr/bin/python3"
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
ERROR_INVALID = "org.qdbusgen.Example.VMStateHelper.Error.InvalidState"
ERROR_TOO_LARGE = "org.qdbusgen.Example.VMStateHelper.Error.TooLarge"

pytestmark = pytest.mark.slow


def load_example(name: str) -> Any:
    """Import an example by path (its state format / PNG code is used to check results)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"qdbusgen_example_{name}", EXAMPLES / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vmstate_helper = load_example("vmstate_helper")


# ============================================================ generated packages


@dataclass
class Generated:
    root: Path  # world-readable
    packages: Path  # qemu_vmstate, qemu_display (fresh from the CLI)
    deps: Path  # a pure-Python copy of dbus_fast, for /usr/bin/python3 under other UIDs
    helper: Path  # a copy of examples/vmstate_helper.py that other UIDs can read

    @property
    def pythonpath(self) -> str:
        return f"{self.packages}{os.pathsep}{self.deps}"


def qdbusgen(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "qdbusgen", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        done.returncode == 0
    ), f"qdbusgen {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


def copy_pure_python_dbus_fast(target: Path) -> Path:
    """dbus-fast without its compiled modules, and the runtime, into ``target``."""
    import dbus_fast

    source = Path(dbus_fast.__file__).parent
    destination = target / "dbus_fast"
    shutil.copytree(
        source,
        destination,
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.pxd", "*.c"),
    )
    import qdbusgen_runtime

    runtime = Path(qdbusgen_runtime.__file__).parent
    shutil.copytree(runtime, target / runtime.name, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


@pytest.fixture(scope="module")
def generated() -> Iterator[Generated]:
    """Lint and generate both packages with the CLI into a world-readable temp dir."""
    root = Path(tempfile.mkdtemp(prefix="qdbusgen-examples-", dir="/tmp"))
    try:
        root.chmod(0o755)
        gen = Generated(root, root / "packages", root / "deps", root / "vmstate_helper.py")
        gen.packages.mkdir()
        gen.deps.mkdir()
        display_xml = sorted(
            str(p.relative_to(ROOT)) for p in (ROOT / "interfaces").glob("org.qemu.Display1.*.xml")
        )
        qdbusgen("lint", "interfaces/org.qemu.VMState1.xml")
        qdbusgen("lint", "-D", "HOST_OS=linux", *display_xml)
        qdbusgen(
            "generate", "interfaces/org.qemu.VMState1.xml", "-o", str(gen.packages / "qemu_vmstate")
        )
        qdbusgen(
            "generate",
            *display_xml,
            "-D",
            "HOST_OS=linux",
            "-o",
            str(gen.packages / "qemu_display"),
        )
        copy_pure_python_dbus_fast(gen.deps)
        shutil.copy(HELPER, gen.helper)
        if os.access(
            SYSTEM_PYTHON, os.X_OK
        ):  # byte-compile once: other UIDs cannot write __pycache__
            subprocess.run(
                [SYSTEM_PYTHON, "-m", "compileall", "-q", str(gen.packages), str(gen.deps)],
                check=True,
                capture_output=True,
            )
        subprocess.run(["chmod", "-R", "a+rX,go-w", str(root)], check=True)
        sys.path.insert(0, str(gen.packages))
        yield gen
    finally:
        if str(root / "packages") in sys.path:
            sys.path.remove(str(root / "packages"))
        for name in [m for m in sys.modules if m.split(".")[0] in ("qemu_vmstate", "qemu_display")]:
            del sys.modules[name]
        shutil.rmtree(root, ignore_errors=True)


# ============================================================ helper processes


class HelperProcess:
    """A running vmstate_helper.py; its stdout is a stream of JSON events."""

    def __init__(
        self, command: Sequence[str], env: dict[str, str], cwd: Path, stderr_path: Path
    ) -> None:
        self.command = list(command)
        self.stderr_path = stderr_path
        with open(stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                cwd=cwd,
            )
        assert self.process.stdout is not None
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self._buffer = b""
        self.events: list[dict[str, Any]] = []

    def describe(self) -> str:
        try:
            err = self.stderr_path.read_text(errors="replace")
        except OSError:
            err = ""
        return f"helper {self.command}: status {self.process.poll()}, events {self.events}, stderr:\n{err}"

    def _read_line(self, deadline: float) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(remaining):
                raise TimeoutError(f"no event from the helper in time\n{self.describe()}")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        event: dict[str, Any] = json.loads(line)
        self.events.append(event)
        return event

    def wait_event(self, name: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next event called ``name`` (earlier events of other kinds are kept in :attr:`events`)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._read_line(deadline)
            if event is None:
                raise AssertionError(f"helper exited before {name!r}\n{self.describe()}")
            if event["event"] == name:
                return event
            if event["event"] == "error":
                raise AssertionError(
                    f"helper error while waiting for {name!r}: {event}\n{self.describe()}"
                )

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Signal the helper, wait, and read its remaining events; returns its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"helper ignored signal {signum}\n{self.describe()}") from None
        deadline = time.monotonic() + timeout
        try:
            while self._read_line(deadline) is not None:
                pass
        except TimeoutError:
            pass
        return status

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._selector.close()


@pytest.fixture
def helpers() -> Iterator[list[HelperProcess]]:
    started: list[HelperProcess] = []
    yield started
    for helper in started:
        helper.close()


def start_helper(
    started: list[HelperProcess],
    generated: Generated,
    address: str,
    helper_id: str,
    log_dir: Path,
    *,
    data: str | None = None,
    state_file: Path | None = None,
    user: User | None = None,
) -> HelperProcess:
    """Start a helper and wait for its ``ready`` event.

    As root it runs with the project's interpreter from examples/; under ``user`` it runs
    the world-readable copy with /usr/bin/python3 (see the module docstring).
    """
    options = ["--address", address, "--id", helper_id]
    if data is not None:
        options += ["--data", data]
    if state_file is not None:
        options += ["--state-file", str(state_file)]
    if user is None:
        command = [sys.executable, str(HELPER), *options]
        env = dict(os.environ, PYTHONPATH=str(generated.packages))
        cwd = ROOT
    else:
        command = as_user(user, [SYSTEM_PYTHON, str(generated.helper), *options])
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": generated.pythonpath}
        cwd = generated.root
    helper = HelperProcess(command, env, cwd, log_dir / f"helper-{helper_id}-{len(started)}.stderr")
    started.append(helper)
    ready = helper.wait_event("ready", timeout=20)
    assert ready["id"] == helper_id and ready["name"] == "org.qemu.VMState1", ready
    return helper


def helper_command(
    generated: Generated, address: str, helper_id: str, user: User | None = None
) -> tuple[list[str], dict[str, str], Path]:
    """Command, environment and cwd of a helper (see :func:`start_helper`)."""
    options = ["--address", address, "--id", helper_id, "--data", f"data of {helper_id}"]
    if user is None:
        return (
            [sys.executable, str(HELPER), *options],
            dict(os.environ, PYTHONPATH=str(generated.packages)),
            ROOT,
        )
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": generated.pythonpath}
    return as_user(user, [SYSTEM_PYTHON, str(generated.helper), *options]), env, generated.root


def run_refused_helper(
    generated: Generated, address: str, helper_id: str, user: User | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a helper that is expected to refuse to start; check how it refuses."""
    command, env, cwd = helper_command(generated, address, helper_id, user)
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, env=env, cwd=cwd)
    assert done.returncode == vmstate_helper.EXIT_DUPLICATE_ID, (done.stdout, done.stderr)
    assert f"a helper with Id {helper_id!r} is already queued" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["event"] for e in events] == ["error"], events
    assert events[0]["stage"] == "check_id" and events[0]["id"] == helper_id, events
    return done


def queued_owners(address: str) -> list[str]:
    """The bus driver's ListQueuedOwners("org.qemu.VMState1") (empty without an owner)."""
    from dbus_fast import Message, MessageType
    from dbus_fast.aio import MessageBus

    async def ask() -> list[str]:
        bus = await MessageBus(bus_address=address).connect()
        try:
            reply = await bus.call(
                Message(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member="ListQueuedOwners",
                    signature="s",
                    body=["org.qemu.VMState1"],
                )
            )
            assert reply is not None
            if reply.message_type is MessageType.ERROR:
                assert reply.error_name == "org.freedesktop.DBus.Error.NameHasNoOwner", reply.body
                return []
            return [str(name) for name in reply.body[0]]
        finally:
            bus.disconnect()

    return asyncio.run(ask())


def migrate_out(vm_args: Sequence[str], directory: Path, stream: Path, name: str = "src") -> None:
    with QemuProcess(vm_args, directory, name=name) as src:
        src.migrate_to_file(stream)
        src.wait_migration()
        assert src.status() == "postmigrate", src.describe()


def migrate_in(vm_args: Sequence[str], directory: Path, stream: Path, name: str = "dst") -> None:
    with QemuProcess([*vm_args, "-incoming", "defer"], directory, name=name) as dst:
        dst.migrate_incoming_from_file(stream)
        dst.wait_incoming()
        assert dst.execute("query-migrate")["status"] == "completed", dst.describe()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ============================================================ vmstate helper


def test_helper_help_says_how_to_generate() -> None:
    done = subprocess.run(
        [sys.executable, str(HELPER), "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert done.returncode == 0, done.stderr
    assert (
        "python3 -m qdbusgen generate interfaces/org.qemu.VMState1.xml -o GEN/qemu_vmstate"
        in done.stdout
    )
    assert "PYTHONPATH=GEN" in done.stdout
    missing = subprocess.run(
        [sys.executable, str(HELPER), "--address", "unix:path=/nonexistent", "--id", "x"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert (
        missing.returncode != 0
        and "cannot import the generated package 'qemu_vmstate'" in missing.stderr
    )
    assert "qdbusgen generate" in missing.stderr
    too_long = subprocess.run(
        [sys.executable, str(HELPER), "--address", "unix:path=/x", "--id", "x" * 256],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert too_long.returncode == 2 and "1 to 255 bytes" in too_long.stderr


def test_examples_type_check_against_the_generated_packages(
    generated: Generated, tmp_path: Path
) -> None:
    """The examples use the stubs as typed: mypy --strict against the packages just generated."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(HELPER),
            str(SNAPSHOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=dict(os.environ, MYPYPATH=str(generated.packages)),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found in 2 source files" in done.stdout


def test_state_format_roundtrip_and_refusals() -> None:
    encode, decode, StateError = (
        vmstate_helper.encode_state,
        vmstate_helper.decode_state,
        vmstate_helper.StateError,
    )
    for payload in (b"", b"\x00\xff" * 100, b"x" * vmstate_helper.MAX_PAYLOAD):
        assert decode(encode(payload)) == payload
    assert len(encode(b"x" * vmstate_helper.MAX_PAYLOAD)) == 1 << 20
    with pytest.raises(StateError, match="does not fit") as too_big:
        encode(b"x" * (vmstate_helper.MAX_PAYLOAD + 1))
    assert too_big.value.error_name == ERROR_TOO_LARGE
    good = encode(b"payload")
    for bad, message in (
        (b"", "shorter than"),
        (b"XXXX" + good[4:], "bad magic"),
        (good[:4] + b"\x00\x02" + good[6:], "version 2 is not supported"),
        (good[:6] + b"\x00\x01" + good[8:], "unknown flags"),
        (good[:-1], "header says 7 bytes"),
        (good + b"!", "header says 7 bytes"),
        (good[:-1] + b"X", "checksum mismatch"),
        (b"\x00" * ((1 << 20) + 1), "more than QEMU's limit"),
    ):
        with pytest.raises(StateError, match=message):
            decode(bad)


def test_helper_answers_bad_input_with_dbus_errors(
    bus: PrivateBus, generated: Generated, tmp_path: Path, helpers: list[HelperProcess]
) -> None:
    """Garbage, corrupt, too-large records and an unreadable state file: D-Bus errors, no crash; SIGINT stops it."""
    import qemu_vmstate

    helper = start_helper(helpers, generated, bus.address, "picky", tmp_path, data="kept")
    broken = start_helper(
        helpers, generated, bus.address, "no-file", tmp_path, state_file=tmp_path / "absent.bin"
    )
    assert broken.events[-1]["queued"] is True  # the second helper queues behind the first

    async def probe() -> dict[str, Any]:
        bus_conn = await qemu_vmstate.connect(bus.address)
        out: dict[str, Any] = {}
        try:
            unique = helper.events[0]["unique_name"]
            proxy = qemu_vmstate.VMState1Proxy(bus_conn, unique, "/org/qemu/VMState1", timeout=10)
            out["id"] = await proxy.get_id()
            good = vmstate_helper.encode_state(b"new state")
            for label, data in (
                ("garbage", b"garbage, not a state record"),
                ("corrupt", good[:-1] + b"X"),
                ("huge", b"\x00" * ((1 << 20) + 1)),
            ):
                try:
                    await proxy.load(data)
                    out[label] = "accepted"
                except qemu_vmstate.DBusError as exc:
                    out[label] = (exc.name, exc.text)
            await proxy.load(good)
            out["saved"] = await proxy.save()
            other = qemu_vmstate.VMState1Proxy(
                bus_conn, broken.events[0]["unique_name"], "/org/qemu/VMState1"
            )
            try:
                await other.save()
                out["no-file"] = "saved"
            except qemu_vmstate.DBusError as exc:
                out["no-file"] = (exc.name, exc.text)
        finally:
            bus_conn.disconnect()
        return out

    out = asyncio.run(probe())
    assert out["id"] == "picky"
    assert out["garbage"][0] == ERROR_INVALID and "bad magic" in out["garbage"][1], out
    assert out["corrupt"][0] == ERROR_INVALID and "checksum" in out["corrupt"][1], out
    assert out["huge"][0] == ERROR_TOO_LARGE, out
    assert (
        vmstate_helper.decode_state(out["saved"]) == b"new state"
    )  # the good Load replaced the data
    assert out["no-file"][0] == "org.qdbusgen.Example.VMStateHelper.Error.Failed", out
    assert "cannot read the state file" in out["no-file"][1]
    assert helper.process.poll() is None and broken.process.poll() is None, helper.describe()
    assert helper.stop(signal.SIGINT) == 0, helper.describe()
    assert [e["event"] for e in helper.events] == [
        "ready",
        "rejected",
        "rejected",
        "rejected",
        "loaded",
        "saved",
        "stopped",
    ], helper.events
    assert helper.events[-1] == {
        "event": "stopped",
        "id": "picky",
        "reason": "signal",
        "saves": 1,
        "loads": 1,
    }
    assert broken.stop(signal.SIGTERM) == 0, broken.describe()
    assert broken.events[-1]["event"] == "stopped"


def test_helper_reports_a_vanished_bus(
    generated: Generated, tmp_path: Path, helpers: list[HelperProcess]
) -> None:
    """dbus-daemon stops under the helper: it says so and exits with status 1 (no traceback)."""
    with private_bus(tmp_path / "dbus") as bus:
        helper = start_helper(helpers, generated, bus.address, "orphan", tmp_path, data="x")
    assert helper.process.wait(timeout=10) == 1, helper.describe()
    helper.stop()  # collects the remaining events
    assert (
        helper.events[-1]["event"] == "stopped"
        and helper.events[-1]["reason"] == "bus connection closed"
    )
    assert "Traceback" not in helper.stderr_path.read_text(), helper.describe()


def test_helper_refuses_an_id_that_is_already_queued(
    bus: PrivateBus, generated: Generated, tmp_path: Path, helpers: list[HelperProcess]
) -> None:
    """A second helper with a queued Id exits non-zero naming it, leaves nothing queued; a new Id queues."""
    first = start_helper(helpers, generated, bus.address, "twin", tmp_path, data="first")
    assert first.events[0]["queued"] is False and first.events[0]["unchecked"] == []
    run_refused_helper(generated, bus.address, "twin")
    assert queued_owners(bus.address) == [first.events[0]["unique_name"]], "nothing left queued"
    third = start_helper(helpers, generated, bus.address, "other", tmp_path, data="third")
    assert third.events[0]["queued"] is True and third.events[0]["unchecked"] == []
    assert queued_owners(bus.address) == [
        first.events[0]["unique_name"],
        third.events[0]["unique_name"],
    ]
    assert first.stop() == 0 and third.stop() == 0


def test_two_helpers_with_one_id_started_at_once_leave_one_queued(
    bus: PrivateBus, generated: Generated, tmp_path: Path
) -> None:
    """Started together, neither may see the other before queuing: the later-queued one leaves."""
    runs = []
    for attempt in range(3):
        processes = []
        for n in range(2):
            command, env, cwd = helper_command(generated, bus.address, f"race{attempt}")
            processes.append(
                subprocess.Popen(
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                )
            )
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(p.poll() is not None for p in processes):
                time.sleep(0.02)
            refused = [p for p in processes if p.poll() is not None]
            assert len(refused) == 1, "one of the two leaves"
            out, err = refused[0].communicate(timeout=10)
            assert refused[0].returncode == vmstate_helper.EXIT_DUPLICATE_ID, (out, err)
            assert f"Id 'race{attempt}' is already queued" in err and "Traceback" not in err, err
            (survivor,) = [p for p in processes if p is not refused[0]]
            assert survivor.stdout is not None
            ready = json.loads(survivor.stdout.readline())
            assert ready["event"] == "ready", ready
            assert queued_owners(bus.address) == [ready["unique_name"]]
            runs.append(ready["queued"])
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                process.communicate(timeout=10)
    assert runs == [False, False, False]  # the survivor owns the name each time


def test_migration_saves_and_loads_helper_state(
    bus: PrivateBus, generated: Generated, tmp_path: Path, helpers: list[HelperProcess]
) -> None:
    """Migration to a file calls Save (bytes in the stream); an incoming migration calls Load with them."""
    require_qemu()
    payload = "state of the source helper: ünïcödé, 0123456789 " * 20
    stream = tmp_path / "mig.bin"
    vm_args = [*MINIMAL_MACHINE, *dbus_vmstate_args(bus.address, id_list=["qdbusgen-example"])]
    source = start_helper(
        helpers, generated, bus.address, "qdbusgen-example", tmp_path, data=payload
    )
    migrate_out(vm_args, tmp_path, stream)
    saved = source.wait_event("saved")
    assert saved["payload_text"] == payload
    section = parse_dbus_vmstate(stream.read_bytes())
    assert list(section.entries) == ["qdbusgen-example"] and section.missing == 0
    record = section.entries["qdbusgen-example"]
    assert record[:4] == b"QDGS" and len(record) == saved["record_size"]
    assert vmstate_helper.decode_state(record) == payload.encode()
    assert (
        source.stop() == 0
    ), source.describe()  # the destination gets a new helper with the same Id

    state_file = tmp_path / "destination-state.bin"
    destination = start_helper(
        helpers, generated, bus.address, "qdbusgen-example", tmp_path, state_file=state_file
    )
    migrate_in(vm_args, tmp_path, stream)
    loaded = destination.wait_event("loaded")
    assert loaded["record_size"] == len(record)
    assert loaded["payload_text"] == payload and loaded["sha256"] == sha256(payload.encode())
    assert state_file.read_bytes() == payload.encode()
    assert destination.stop() == 0


def test_two_helpers_with_different_ids_roundtrip(
    bus: PrivateBus, generated: Generated, tmp_path: Path, helpers: list[HelperProcess]
) -> None:
    """Two helpers queue for org.qemu.VMState1; both are saved into and loaded from one stream."""
    require_qemu()
    binary = bytes(range(256)) * 256 + b"\x00end"  # 64 KiB of every byte value
    (tmp_path / "beta-source.bin").write_bytes(binary)
    stream = tmp_path / "mig.bin"
    vm_args = [*MINIMAL_MACHINE, *dbus_vmstate_args(bus.address, id_list=["alpha", "beta"])]
    alpha = start_helper(helpers, generated, bus.address, "alpha", tmp_path, data="alpha's text")
    beta = start_helper(
        helpers, generated, bus.address, "beta", tmp_path, state_file=tmp_path / "beta-source.bin"
    )
    assert (alpha.events[0]["queued"], beta.events[0]["queued"]) == (False, True)
    migrate_out(vm_args, tmp_path, stream)
    assert alpha.wait_event("saved")["payload_text"] == "alpha's text"
    assert beta.wait_event("saved")["sha256"] == sha256(binary)
    section = parse_dbus_vmstate(stream.read_bytes())
    assert (
        sorted(section.entries) == ["alpha", "beta"] and section.count == 2 and section.missing == 0
    )
    assert vmstate_helper.decode_state(section.entries["alpha"]) == b"alpha's text"
    assert vmstate_helper.decode_state(section.entries["beta"]) == binary
    assert alpha.stop() == 0 and beta.stop() == 0

    new_alpha = start_helper(
        helpers, generated, bus.address, "alpha", tmp_path, data="not yet loaded"
    )
    new_beta = start_helper(
        helpers, generated, bus.address, "beta", tmp_path, state_file=tmp_path / "beta-dest.bin"
    )
    migrate_in(vm_args, tmp_path, stream)
    assert new_alpha.wait_event("loaded")["payload_text"] == "alpha's text"
    beta_loaded = new_beta.wait_event("loaded")
    assert beta_loaded["size"] == len(binary) and beta_loaded["sha256"] == sha256(binary)
    assert (tmp_path / "beta-dest.bin").read_bytes() == binary
    assert new_alpha.stop() == 0 and new_beta.stop() == 0


def test_listed_but_absent_helper_fails_migration(
    bus: PrivateBus, generated: Generated, tmp_path: Path, helpers: list[HelperProcess]
) -> None:
    require_qemu()
    start_helper(helpers, generated, bus.address, "present", tmp_path, data="here")
    vm_args = [*MINIMAL_MACHINE, *dbus_vmstate_args(bus.address, id_list=["present", "absent"])]
    with QemuProcess(vm_args, tmp_path, name="src") as src:
        src.migrate_to_file(tmp_path / "mig.bin")
        with pytest.raises(QemuError, match="migration failed") as excinfo:
            src.wait_migration()
        assert src.status() == "running", "the source VM goes on running"
    assert "Required VMState Id are missing: absent" in str(excinfo.value), excinfo.value


# ============================================================ policy: helper UID, third UID


PROBE = r'''"""Run as a third UID: try to use and to take over the vmstate helper (expect refusals)."""
import asyncio, json, sys
import qemu_vmstate
from dbus_fast import NameFlag
from dbus_fast.errors import DBusError as FastError

async def main(address, helper_unique, own_name):
    bus = await qemu_vmstate.connect(address)
    out = {}
    for label, service in (("by_name", "org.qemu.VMState1"), ("by_unique", helper_unique)):
        proxy = qemu_vmstate.VMState1Proxy(bus, service, "/org/qemu/VMState1", timeout=5)
        for what, call in (("save", proxy.save), ("id", proxy.get_id), ("load", lambda: proxy.load(b"x"))):
            try:
                result = await call()
                out[f"{label}_{what}"] = ["ok", repr(result)]
            except qemu_vmstate.DBusError as exc:
                out[f"{label}_{what}"] = [exc.name, exc.text]
    for label, name, flags in (("own_queue", "org.qemu.VMState1", NameFlag.NONE),
                               ("own_replace", "org.qemu.VMState1", NameFlag.REPLACE_EXISTING),
                               ("own_its_own", own_name, NameFlag.DO_NOT_QUEUE)):
        try:
            out[label] = ["ok", (await bus.request_name(name, flags)).name]
        except FastError as exc:
            out[label] = [exc.type, exc.text]
    bus.disconnect()
    print(json.dumps(out))

asyncio.run(main(*sys.argv[1:]))
'''


def test_policy_from_cli_helper_uid_and_refused_third_uid(
    generated: Generated, tmp_path: Path, make_user: Any, helpers: list[HelperProcess]
) -> None:
    """The bus runs the policy printed by `qdbusgen policy`: QEMU (root) migrates through it, the
    helper runs as its own UID with /usr/bin/python3, and a third UID may neither call the
    helper nor take its name."""
    require_qemu()
    probe_check = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import dbus_fast, qemu_vmstate; print(dbus_fast.__file__)"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": generated.pythonpath},
    )
    assert probe_check.returncode == 0, probe_check.stderr
    assert probe_check.stdout.startswith(
        str(generated.deps)
    ), "the copied dbus_fast comes first on PYTHONPATH"

    helper_user, third_user = make_user("vmhelper"), make_user("third")
    bus_dir = generated.root / f"bus-{secrets.token_hex(3)}"  # reachable by the helper's UID
    socket_path = bus_dir / "bus.sock"
    policy_file = tmp_path / "policy.conf"
    qdbusgen(
        "policy",
        "interfaces/org.qemu.VMState1.xml",
        "--listen",
        str(socket_path),
        "--qemu-user",
        "root",
        "--service",
        f"org.qemu.VMState1={helper_user.name}",
        "--service",
        f"org.qdbusgen.Example.Other1={third_user.name}",
        "-o",
        str(policy_file),
    )
    (generated.root / "probe.py").write_text(PROBE)
    (generated.root / "probe.py").chmod(0o644)
    payload = "saved by a helper that runs as its own user"
    try:
        with private_bus(bus_dir, config_text=policy_file.read_text()) as bus:
            bus_dir.chmod(0o755)
            helper = start_helper(
                helpers, generated, bus.address, "policed", tmp_path, data=payload, user=helper_user
            )
            assert helper.events[0]["uid"] == helper_user.uid
            # the policy lets a second helper of that user read the Id and refuse to queue
            run_refused_helper(generated, bus.address, "policed", user=helper_user)
            assert queued_owners(bus.address) == [helper.events[0]["unique_name"]]

            def run_probe(user: User) -> dict[str, list[str]]:
                done = subprocess.run(
                    as_user(
                        user,
                        [
                            SYSTEM_PYTHON,
                            str(generated.root / "probe.py"),
                            bus.address,
                            helper.events[0]["unique_name"],
                            "org.qdbusgen.Example.Other1",
                        ],
                    ),
                    capture_output=True,
                    text=True,
                    timeout=30,
                    cwd=generated.root,
                    env={
                        "PATH": "/usr/bin:/bin",
                        "LANG": "C.UTF-8",
                        "PYTHONPATH": generated.pythonpath,
                    },
                )
                assert done.returncode == 0, done.stderr
                result: dict[str, list[str]] = json.loads(done.stdout)
                return result

            # another helper of the same user may read the Id (Properties.Get), nothing more
            sibling = run_probe(helper_user)
            assert sibling["by_name_id"] == sibling["by_unique_id"] == ["ok", "'policed'"], sibling
            for key in ("by_name_save", "by_name_load", "by_unique_save", "by_unique_load"):
                assert sibling[key][0] == ACCESS_DENIED, (key, sibling)
            assert sibling["own_its_own"][0] == ACCESS_DENIED, sibling
            refused = run_probe(third_user)
            for key in (
                "by_name_save",
                "by_name_id",
                "by_name_load",
                "by_unique_save",
                "by_unique_id",
                "by_unique_load",
                "own_queue",
                "own_replace",
            ):
                assert refused[key][0] == ACCESS_DENIED, (key, refused)
            assert "not allowed to own the service" in refused["own_queue"][1], refused
            assert refused["own_its_own"] == [
                "ok",
                "PRIMARY_OWNER",
            ], "the third UID is on the bus, with its own name"

            vm_args = [*MINIMAL_MACHINE, *dbus_vmstate_args(bus.address, id_list=["policed"])]
            stream = tmp_path / "mig.bin"
            migrate_out(vm_args, tmp_path, stream)
            assert helper.wait_event("saved")["payload_text"] == payload
            record = parse_dbus_vmstate(stream.read_bytes()).entries["policed"]
            assert vmstate_helper.decode_state(record) == payload.encode()
            migrate_in(vm_args, tmp_path, stream)
            loaded = helper.wait_event("loaded")
            assert loaded["payload_text"] == payload and loaded["record_size"] == len(record)
            assert helper.stop() == 0, helper.describe()
            assert not [e for e in helper.events if e["event"] == "rejected"], helper.events
    finally:
        shutil.rmtree(bus_dir, ignore_errors=True)
        (generated.root / "probe.py").unlink(missing_ok=True)


def test_policy_bus_a_caller_that_never_reads_its_saves_delays_no_other_caller(
    generated: Generated, tmp_path: Path, helpers: list[HelperProcess]
) -> None:
    """Issue 9: one caller sends 300 Saves of ~1 MB and never reads; another caller's Saves
    are still answered within the README's bound (the helper keeps at most
    ``max_outgoing_bytes_per_peer``, 8 MiB, of replies waiting for one caller), on a bus
    configured by `qdbusgen policy`.  With that policy's daemon limits (dbus-daemon's
    defaults) the daemon also drops replies past the caller's own outgoing limit, so this
    guards the outcome; tests/test_hostile_peers.py pins the runtime's own mechanism."""
    from wire import Peer, raw_message

    import qemu_vmstate

    bus_dir = tmp_path / "bus"
    policy_file = tmp_path / "policy.conf"
    qdbusgen(
        "policy",
        "interfaces/org.qemu.VMState1.xml",
        "--listen",
        str(bus_dir / "bus.sock"),
        "--qemu-user",
        "root",
        "--service",
        "org.qemu.VMState1=root",
        "-o",
        str(policy_file),
    )
    state_file = tmp_path / "state.bin"
    state_file.write_bytes(os.urandom(1_000_000))

    def drain(helper: HelperProcess) -> None:
        """Read the helper's events (a full stdout pipe would block its event loop)."""
        try:
            while helper._read_line(time.monotonic() + 0.001) is not None:
                pass
        except TimeoutError:
            pass

    async def run(address: str, helper: HelperProcess) -> tuple[float, int]:
        hog = Peer(await qemu_vmstate.connect(address))
        hog.bus._loop.remove_reader(hog.bus._fd)  # sends, never reads
        good_bus = await qemu_vmstate.connect(address)
        good = qemu_vmstate.VMState1Proxy(
            good_bus, "org.qemu.VMState1", vmstate_helper.OBJECT_PATH, timeout=10
        )
        try:
            for i in range(300):
                await hog.send(
                    raw_message(
                        serial=100 + i,
                        path=vmstate_helper.OBJECT_PATH,
                        interface="org.qemu.VMState1",
                        member="Save",
                        destination="org.qemu.VMState1",
                    )
                )
            loop = asyncio.get_running_loop()
            worst = 0.0
            for _ in range(20):
                drain(helper)
                t = loop.time()
                record = await good.save()
                worst = max(worst, loop.time() - t)
                assert vmstate_helper.decode_state(record) == state_file.read_bytes()
                await asyncio.sleep(0.05)
            rss_kib = 0
            with open(f"/proc/{helper.process.pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss_kib = int(line.split()[1])
            return worst, rss_kib
        finally:
            hog.bus.disconnect()
            good_bus.disconnect()

    with private_bus(bus_dir, config_text=policy_file.read_text()) as bus:
        helper = start_helper(
            helpers, generated, bus.address, "hogged", tmp_path, state_file=state_file
        )
        worst, rss_kib = asyncio.run(run(bus.address, helper))
        assert worst < 2.0, worst  # 8 MiB ahead of it at most: well under a second here
        assert rss_kib < 200 * 1024, rss_kib  # not 300 MB of queued replies
        drain(helper)
        assert helper.process.poll() is None, helper.describe()
        assert helper.stop() == 0, helper.describe()
        assert "Traceback" not in helper.stderr_path.read_text(), helper.describe()


# ============================================================ display snapshot


def read_png(path: Path) -> tuple[int, int, bytes]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG into RGB bytes (all five filter types)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        assert zlib.crc32(kind + body) == crc, f"bad CRC in chunk {kind!r}"
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    row_len = width * bpp
    assert len(raw) == height * (row_len + 1)
    out = bytearray()
    prev = bytearray(row_len)
    for y in range(height):
        kind = raw[y * (row_len + 1)]
        row = bytearray(raw[y * (row_len + 1) + 1 : (y + 1) * (row_len + 1)])
        if kind == 1:
            for i in range(bpp, row_len):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, prev))
        elif kind == 3:
            for i in range(row_len):
                row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 0xFF
        elif kind == 4:
            for i in range(row_len):
                a, b, c = (
                    (row[i - bpp] if i >= bpp else 0),
                    prev[i],
                    (prev[i - bpp] if i >= bpp else 0),
                )
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, f"unknown filter {kind}"
        prev = row
        if bpp == 4:
            rgb = bytearray(width * 3)
            rgb[0::3], rgb[1::3], rgb[2::3] = row[0::4], row[1::4], row[2::4]
            out += rgb
        else:
            out += row
    return width, height, bytes(out)


def read_ppm(path: Path) -> tuple[int, int, bytes]:
    """QEMU's screendump (binary PPM, P6, maxval 255)."""
    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P6" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1 :]
    assert len(pixels) == width * height * 3
    return width, height, pixels


def lit_pixels(
    width: int, height: int, rgb: bytes, *, crop: tuple[int, int] | None = None
) -> set[tuple[int, int]]:
    """Positions of pixels brighter than the (black) background, optionally within crop=(w, h)."""
    cw, ch = crop or (width, height)
    lit = set()
    for y in range(min(ch, height)):
        row = rgb[y * width * 3 : (y * width + min(cw, width)) * 3]
        for x in range(len(row) // 3):
            if max(row[3 * x], row[3 * x + 1], row[3 * x + 2]) > 0x40:
                lit.add((x, y))
    return lit


def text_rows(lit: set[tuple[int, int]], cell_height: int = 16) -> dict[int, int]:
    """Character rows (of 16-pixel cells) that hold text -> number of separate glyph runs in them.

    A row counts as text when its lit pixels form at least 4 separate runs of columns
    (letters and words); a text cursor (one short run) does not.
    """
    by_row: dict[int, set[int]] = {}
    for x, y in lit:
        by_row.setdefault(y // cell_height, set()).add(x)
    rows = {}
    for row, columns in by_row.items():
        ordered = sorted(columns)
        runs = 1 + sum(1 for a, b in zip(ordered, ordered[1:]) if b != a + 1)
        if runs >= 4:
            rows[row] = runs
    return rows


def run_snapshot(
    generated: Generated, options: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run display_snapshot.py; return its ``connected`` and ``snapshot`` events."""
    done = subprocess.run(
        [sys.executable, str(SNAPSHOT), *options],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=str(generated.packages)),
        cwd=ROOT,
    )
    events = {
        e["event"]: e
        for e in (json.loads(line) for line in done.stdout.splitlines() if line.startswith("{"))
    }
    assert (
        done.returncode == 0
    ), f"display_snapshot failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    assert "connected" in events and "snapshot" in events, done.stdout
    return events["connected"], events["snapshot"]


def check_against_screendump(vm: QemuProcess, png: tuple[int, int, bytes], path: Path) -> None:
    """QEMU's own picture of the console equals ours, but for at most one blinking cursor cell."""
    vm.execute("screendump", {"filename": str(path)})
    width, height, pixels = read_ppm(path)
    assert (width, height) == png[:2]
    differ = [
        (i // 3 % width, i // 3 // width)
        for i in range(0, len(pixels), 3)
        if pixels[i : i + 3] != png[2][i : i + 3]
    ]
    if differ:
        xs, ys = [x for x, _ in differ], [y for _, y in differ]
        assert (
            max(xs) - min(xs) < 9 and max(ys) - min(ys) < 16
        ), f"{len(differ)} pixels differ from screendump"


def check_text_picture(width: int, height: int, rgb: bytes) -> dict[int, int]:
    """Not blank: many lit pixels, in rows of glyphs on the 16-pixel character grid."""
    lit = lit_pixels(width, height, rgb)
    assert len(lit) > 1500, f"only {len(lit)} non-background pixels: the frame is (nearly) blank"
    colours = {rgb[i : i + 3] for i in range(0, len(rgb), 3)}
    assert 2 <= len(colours) <= 16, f"{len(colours)} colours: not a text screen"
    rows = text_rows(lit)
    assert len(rows) >= 4 and all(runs >= 8 for runs in rows.values()), rows
    return rows


def test_display_snapshot_bus_mode(bus: PrivateBus, generated: Generated, tmp_path: Path) -> None:
    """-display dbus on the bus: the PNG has the console's size and shows SeaBIOS's text."""
    require_qemu()
    import qemu_display

    args = [
        *PC_MACHINE,
        "-name",
        "snapshot-bus",
        "-uuid",
        REFERENCE_UUID,
        "-display",
        f"dbus,addr={bus.address.replace(',', ',,')}",
    ]
    output = tmp_path / "bus.png"
    with QemuProcess(args, tmp_path, name="vm") as vm:
        connected, snap = run_snapshot(
            generated,
            ["--address", bus.address, "-o", str(output), "--wait", "20", "--settle", "1.5"],
        )

        async def console_size() -> tuple[int, int]:
            console = await qemu_display.ConsoleProxy.new(
                bus.address, "org.qemu", "/org/qemu/Display1/Console_0"
            )
            async with console:
                return await console.get_width(), await console.get_height()

        width, height = asyncio.run(console_size())
        png = read_png(output)
        assert png[:2] == (width, height) == (snap["width"], snap["height"]), (
            png[:2],
            width,
            height,
            snap,
        )
        check_against_screendump(vm, png, tmp_path / "screendump.ppm")
        assert vm.status() == "running"
    assert connected["mode"] == "bus"
    assert connected["vm"] == {"name": "snapshot-bus", "uuid": REFERENCE_UUID, "console_ids": [0]}
    assert connected["console"]["label"] == "VGA" and connected["console"]["type"] == "Graphic"
    assert snap["reason"] == "stable" and snap["scanouts"] >= 1 and snap["updates"] >= 1, snap
    assert (width, height) == (720, 400), "SeaBIOS runs in VGA text mode 3 (80x25 cells of 9x16)"
    rows = check_text_picture(*png)

    # The reference frame (same SeaBIOS, same UUID) was cut to 640x480 by a listener that
    # did not follow the mode switch: its top-left 640x400 is the same text.
    if REFERENCE_FRAME.exists():
        ref = read_png(REFERENCE_FRAME)
        ours_lit = lit_pixels(*png, crop=(640, 400))
        ref_lit = lit_pixels(*ref, crop=(640, 400))
        assert set(text_rows(ref_lit)) == set(text_rows(ours_lit)) == set(rows), (
            text_rows(ref_lit),
            rows,
        )
        common = len(ours_lit & ref_lit)
        assert common >= 0.9 * len(ref_lit) and common >= 0.9 * len(ours_lit), (
            common,
            len(ours_lit),
            len(ref_lit),
        )


def mode_switch_boot_sector() -> bytes:
    """A 512-byte MBR (16-bit real mode, hand-assembled) that switches VGA modes under SeaBIOS:

    wait 2.5 s, VBE mode 0x115 (800x600x24, linear frame buffer), wait 2 s, VBE mode
    0x118 (1024x768x24), wait 2 s, back to VGA text mode 3 (720x400), halt.
    """

    def wait(microseconds: int) -> bytes:  # mov ah,86h; mov cx,hi; mov dx,lo; int 15h
        return (
            b"\xb4\x86\xb9"
            + struct.pack("<H", microseconds >> 16)
            + b"\xba"
            + struct.pack("<H", microseconds & 0xFFFF)
            + b"\xcd\x15"
        )

    def vbe_mode(mode: int) -> bytes:  # mov ax,4F02h; mov bx,mode|4000h; int 10h
        return b"\xb8\x02\x4f\xbb" + struct.pack("<H", mode | 0x4000) + b"\xcd\x10"

    code = (
        wait(2_500_000)
        + vbe_mode(0x115)
        + wait(2_000_000)
        + vbe_mode(0x118)
        + wait(2_000_000)
        + b"\xb8\x03\x00\xcd\x10"  # mov ax,0003h; int 10h: text mode 3
        + b"\xfb\xf4\xeb\xfd"  # sti; hlt; jmp back to hlt
    )
    return code.ljust(510, b"\x00") + b"\x55\xaa"


def test_listener_gets_scanouts_for_graphics_modes_but_not_for_text_mode(
    bus: PrivateBus, generated: Generated, tmp_path: Path
) -> None:
    """QEMU 7.2 as the Listener docs state it: a registered listener gets a new Scanout when
    the guest switches to another graphics mode, none when it switches back to VGA text
    mode; the picture still follows (PropertiesChanged + clipped updates)."""
    require_qemu()
    disk = tmp_path / "modes.img"
    disk.write_bytes(mode_switch_boot_sector())
    args = [
        *PC_MACHINE,
        "-drive",
        f"file={disk},format=raw,if=ide",
        "-display",
        f"dbus,addr={bus.address.replace(',', ',,')}",
    ]
    output = tmp_path / "modes.png"
    with QemuProcess(args, tmp_path, name="vm") as vm:
        _, snap = run_snapshot(
            generated,
            ["--address", bus.address, "-o", str(output), "--wait", "40", "--settle", "4"],
        )
        png = read_png(output)
        assert png[:2] == (720, 400), snap
        check_against_screendump(vm, png, tmp_path / "screendump.ppm")
    sizes = [tuple(size) for size in snap["scanout_sizes"]]
    assert (800, 600) in sizes and (1024, 768) in sizes, snap
    assert sizes.index((800, 600)) < sizes.index((1024, 768)), snap
    after_graphics = sizes[sizes.index((1024, 768)) :]
    assert set(after_graphics) == {(1024, 768)}, f"a Scanout after the switch to text: {snap}"
    changes = [tuple(size) for size in snap["size_changes"]]
    assert changes[-3:] == [(800, 600), (1024, 768), (720, 400)], snap


def test_display_snapshot_p2p_mode_with_keys(generated: Generated, tmp_path: Path) -> None:
    """-display dbus,p2p=yes through QMP add_client; ESC typed through Keyboard opens the boot menu."""
    require_qemu()
    client_qmp = tmp_path / "client.qmp"  # a second QMP monitor: the harness holds the first
    args = [
        *PC_MACHINE,
        "-name",
        "snapshot-p2p",
        "-boot",
        "menu=on,splash-time=30000",
        "-display",
        "dbus,p2p=yes",
        "-chardev",
        f"socket,id=clientqmp,path={client_qmp},server=on,wait=off",
        "-mon",
        "chardev=clientqmp,mode=control",
    ]
    output = tmp_path / "p2p.png"
    with QemuProcess(args, tmp_path, name="vm") as vm:
        connected, snap = run_snapshot(
            generated,
            [
                "--qmp",
                str(client_qmp),
                "-o",
                str(output),
                "--keys",
                "esc",
                "--wait",
                "20",
                "--settle",
                "1.5",
            ],
        )
        png = read_png(output)
        check_against_screendump(vm, png, tmp_path / "screendump.ppm")
        assert vm.status() == "running"
    assert connected["mode"] == "p2p" and connected["vm"]["name"] == "snapshot-p2p"
    assert connected["console"]["label"] == "VGA"
    assert (
        png[:2]
        == (snap["width"], snap["height"])
        == (snap["console"]["width"], snap["console"]["height"])
    )
    assert snap["keys"] == [[0x01]] and snap["reason"] == "stable", snap
    rows = check_text_picture(*png)
    # SeaBIOS: row 0 "SeaBIOS (version ...)", row 2 "Press ESC for boot menu.", and after ESC
    # row 4 "Select boot device:", row 6 "1. Legacy option rom".
    assert {0, 2, 4, 6} <= set(rows), rows
