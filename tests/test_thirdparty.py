"""Third-party services: names gdbus-codegen's users expect, live introspection, consumer
mode, overrides of XML you do not own.

Everything on a bus runs on a private dbus-daemon (the ``bus`` fixture).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from e2e_support import async_test, generate_package
from qdbusgen.lint import LintConfig, lint

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: gdbus-codegen's own test interface has a method EmitChanged next to a signal Changed.
EMITTER_XML = """<?xml version="1.0"?>
<node>
  <interface name="com.example.Emitter1">
    <method name="EmitChanged"><arg name="value" type="s" direction="in"/></method>
    <method name="EchoUInt16">
      <arg name="value" type="q" direction="in"/><arg name="echoed" type="q" direction="out"/>
    </method>
    <signal name="Changed"><arg name="value" type="s"/></signal>
  </interface>
</node>
"""


def qdbusgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qdbusgen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


# --------------------------------------------------------------------------- names


@async_test()
async def test_emit_changed_method_and_changed_signal_round_trip(bus: Any, tmp_path: Path) -> None:
    xml = tmp_path / "com.example.Emitter1.xml"
    xml.write_text(EMITTER_XML, encoding="utf-8")
    assert not [d for d in lint([xml], LintConfig()).findings if d.rule.startswith("NAME")]
    pkg = generate_package([xml], tmp_path / "pkgs", "tp_emitter")

    class Server(pkg.Emitter1Server):  # type: ignore[misc,name-defined]
        async def emit_changed(self, value: str) -> None:
            self.emit_changed_signal(value.upper())

        async def echo_uint16(self, value: int) -> int:
            return value

    server_bus = await pkg.connect(bus.address)
    client_bus = await pkg.connect(bus.address)
    try:
        Server().export(server_bus, "/com/example/Emitter1")
        proxy = pkg.Emitter1Proxy(
            client_bus, server_bus.unique_name, "/com/example/Emitter1", timeout=5
        )
        async with proxy.stream_changed() as stream:
            await proxy.emit_changed("hello")
            event = await asyncio.wait_for(anext(stream), 3)
        assert isinstance(event, pkg.Emitter1ChangedSignal) and event.value == "HELLO"
        assert await proxy.echo_uint16(65535) == 65535
    finally:
        client_bus.disconnect()
        server_bus.disconnect()


def test_lint_reports_the_name_errors_generate_refuses(tmp_path: Path) -> None:
    xml = tmp_path / "com.example.Clash1.xml"
    xml.write_text(
        """<node><interface name="com.example.Clash1">
             <method name="GetDevices"><arg name="d" type="as" direction="out"/></method>
             <property name="Devices" type="as" access="read"/>
           </interface></node>""",
        encoding="utf-8",
    )
    lint_proc = qdbusgen("lint", str(xml))
    gen_proc = qdbusgen("generate", str(xml), "-o", str(tmp_path / "pkg"))
    assert lint_proc.returncode == 1 and gen_proc.returncode == 1
    for proc in (lint_proc, gen_proc):
        out = proc.stdout + proc.stderr
        assert f"{xml}:3:14: error: method 'GetDevices' and property 'Devices'" in out
        assert "[NAME-E001]" in out and "org.qdbusgen.Python.Name" in out
    assert not (tmp_path / "pkg").exists()
    # a name error is not something the configuration can hide
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.qdbusgen.lint]\nignore = ["NAME"]\n', encoding="utf-8")
    assert "[NAME-E001]" in qdbusgen("lint", "--config", str(config), str(xml)).stdout


def test_name_rules_are_listed_and_explained() -> None:
    listed = qdbusgen("lint", "--list-rules").stdout
    for rule in ("NAME-E001", "NAME-E002", "NAME-E003", "NAME-E004", "NAME-E005"):
        assert rule in listed
        explained = qdbusgen("lint", "--explain", rule)
        assert explained.returncode == 0 and "org.qdbusgen.Python.Name" in explained.stdout
        assert (ROOT / "docs" / "rules" / f"{rule}.md").is_file()


# --------------------------------------------------------------------------- introspect

from dbus_harness import ALLOW_ALL_POLICY, bus_config, private_bus  # noqa: E402
from e2e_support import FOREIGN1_PATH, FOREIGN1_XML, import_package  # noqa: E402
from test_e2e_bus import (  # noqa: E402
    SYSTEM_PYTHON,
    child_process,
    interface_shape,
    parse_interfaces,
    require_system_python,
)


async def aqdbusgen(*args: str) -> tuple[int, str, str]:
    """The CLI in a subprocess, awaited (the test's event loop keeps serving peers)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "qdbusgen",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def mypy_strict(directory: Path, *targets: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *targets],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def pyright_strict(directory: Path, *targets: str) -> None:
    import json
    import shutil

    pyright = shutil.which("pyright") or str(Path(sys.executable).parent / "pyright")
    config_dir = directory.parent / "pyright-config"
    config_dir.mkdir(exist_ok=True)
    config = config_dir / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "pythonVersion": "3.11",
                "include": [str(directory / t) for t in targets],
            }
        )
    )
    proc = subprocess.run(
        [pyright, "-p", str(config)], cwd=directory, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0 and "0 errors" in proc.stdout, proc.stdout[-4000:]


@async_test(timeout=120)
async def test_introspect_a_gdbus_service(bus: Any, tmp_path: Path) -> None:
    require_system_python("gi")
    source = tmp_path / "com.example.Foreign1.xml"
    source.write_text(FOREIGN1_XML, encoding="utf-8")
    argv = [SYSTEM_PYTHON, str(HERE / "e2e_peer_gdbus.py"), bus.address, "com.example.GDBus"]
    async with child_process(*argv, str(source), stderr_file=tmp_path / "peer.stderr"):
        where = ["--address", bus.address, "--dest", "com.example.GDBus"]
        rc, _out, err = await aqdbusgen("introspect", *where, "-o", str(tmp_path / "xml"))
        assert rc == 0, err
        # recursive from / down to /com/example/Foreign; the standard interfaces left out
        assert sorted(p.name for p in (tmp_path / "xml").glob("*.xml")) == [
            "com.example.Foreign1.xml"
        ]
        got = (tmp_path / "xml" / "com.example.Foreign1.xml").read_text(encoding="utf-8")
        assert f"at {FOREIGN1_PATH}" in got
        mine = parse_interfaces(got, "introspected")["com.example.Foreign1"]
        theirs = parse_interfaces(FOREIGN1_XML, "source")["com.example.Foreign1"]
        assert interface_shape(mine) == interface_shape(theirs)  # member for member
        rc, _out, err = await aqdbusgen(
            "introspect", *where, "--include-standard", "-o", str(tmp_path / "all")
        )
        assert rc == 0, err
        assert {"org.freedesktop.DBus.Properties.xml", "com.example.Foreign1.xml"} <= {
            p.name for p in (tmp_path / "all").glob("*.xml")
        }
        # straight to stubs; the package type-checks and talks to the GDBus service
        rc, _out, err = await aqdbusgen(
            "introspect", *where, "--generate", "-o", str(tmp_path / "pkgs" / "tp_foreign")
        )
        assert rc == 0, err
        assert "GUIDE-" not in err  # consumer mode: nothing the service's user can act on
        pkg = import_package(tmp_path / "pkgs", "tp_foreign")
        client = await pkg.connect(bus.address)
        try:
            proxy = pkg.Foreign1Proxy(client, "com.example.GDBus", FOREIGN1_PATH, timeout=5)
            assert (await proxy.stats([1, 2, 3])).total == 6
        finally:
            client.disconnect()
    (tmp_path / "pkgs" / "use.py").write_text(
        "import tp_foreign\n\n\nasync def total(p: tp_foreign.Foreign1Proxy) -> int:\n"
        "    return (await p.stats([1])).total\n",
        encoding="utf-8",
    )
    mypy_strict(tmp_path / "pkgs", "tp_foreign", "use.py")


@async_test(timeout=120)
async def test_introspect_the_bus_daemon(bus: Any, tmp_path: Path) -> None:
    where = ["--address", bus.address, "--dest", "org.freedesktop.DBus"]
    rc, out, err = await aqdbusgen("introspect", *where)  # no -o: printed
    assert rc == 0, err
    assert '<interface name="org.freedesktop.DBus">' in out and "Properties" not in out
    pkg_dir = tmp_path / "pkgs" / "tp_driver"
    rc, _out, err = await aqdbusgen("introspect", *where, "--generate", "-o", str(pkg_dir))
    assert rc == 0, err
    assert (pkg_dir / "dbus.py").is_file()  # org.freedesktop.DBus -> module dbus, as gdbus
    pkg = import_package(tmp_path / "pkgs", "tp_driver")
    client = await pkg.connect(bus.address)
    try:
        driver = pkg.DBusProxy(client, "org.freedesktop.DBus", "/org/freedesktop/DBus", timeout=5)
        assert client.unique_name in await driver.list_names()
    finally:
        client.disconnect()
    mypy_strict(tmp_path / "pkgs", "tp_driver")


@async_test(timeout=60)
async def test_introspect_errors_leave_no_output(bus: Any, tmp_path: Path) -> None:
    require_system_python("dbus")
    out_dir = tmp_path / "out"

    async def refused(*args: str) -> str:
        rc, out, err = await aqdbusgen("introspect", *args, "-o", str(out_dir))
        assert rc == 2 and out == "" and not out_dir.exists(), (rc, out, err)
        assert "Traceback" not in err and err.startswith("qdbusgen: error: ")
        return err

    err = await refused("--address", bus.address, "--dest", "com.example.Nobody")
    assert "no such name on the bus: com.example.Nobody has no owner" in err
    err = await refused("--address", f"unix:path={tmp_path}/none.sock", "--dest", "a.b")
    assert "cannot connect to bus unix:path=" in err
    err = await refused("--address", bus.address)
    assert "--dest NAME is required" in err
    # a failure never touches what an earlier run wrote
    rc, _out, err = await aqdbusgen(
        "introspect", "--address", bus.address, "--dest", "org.freedesktop.DBus", "-o", str(out_dir)
    )
    assert rc == 0, err
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    rc, _out, err = await aqdbusgen(
        "introspect", "--address", bus.address, "--dest", "com.example.Gone", "-o", str(out_dir)
    )
    assert rc == 2 and {p.name: p.read_bytes() for p in out_dir.iterdir()} == before
    import shutil

    shutil.rmtree(out_dir)
    err = await refused("--address", bus.address, "--session", "--dest", "a.b")
    assert "exactly one of --address, --session or --system" in err
    peer = [SYSTEM_PYTHON, str(HERE / "e2e_peer_stubborn.py"), bus.address]
    async with child_process(
        *peer, "com.example.NoIntro", "unknown-method", stderr_file=tmp_path / "a"
    ):
        err = await refused("--address", bus.address, "--dest", "com.example.NoIntro")
        assert "com.example.NoIntro at / is not introspectable" in err
    async with child_process(*peer, "com.example.Silent", "silent", stderr_file=tmp_path / "b"):
        err = await refused(
            "--address", bus.address, "--dest", "com.example.Silent", "--timeout", "0.5"
        )
        assert "com.example.Silent did not answer Introspect on / within 0.5 s" in err


def test_introspect_the_session_bus_from_the_environment(bus: Any, tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus.address}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "qdbusgen",
            "introspect",
            "--session",
            "--dest",
            "org.freedesktop.DBus",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert '<interface name="org.freedesktop.DBus">' in proc.stdout


@async_test(timeout=60)
async def test_introspect_access_denied(tmp_path: Path) -> None:
    require_system_python("dbus")
    deny = ALLOW_ALL_POLICY.replace(
        "</policy>",
        '  <deny send_destination="com.example.Private"'
        ' send_interface="org.freedesktop.DBus.Introspectable"/>\n  </policy>',
    )
    directory = tmp_path / "dbus"
    with private_bus(directory, bus_config(directory / "bus.sock", deny)) as private:
        peer = [SYSTEM_PYTHON, str(HERE / "e2e_peer_stubborn.py"), private.address]
        async with child_process(
            *peer, "com.example.Private", "unknown-method", stderr_file=tmp_path / "p"
        ):
            rc, _out, err = await aqdbusgen(
                "introspect", "--address", private.address, "--dest", "com.example.Private"
            )
    assert rc == 2
    assert "access denied: the bus or com.example.Private refuses" in err, err


@async_test(timeout=60)
async def test_introspect_a_peer_to_peer_socket(tmp_path: Path) -> None:
    import socket

    xml = tmp_path / "com.example.Emitter1.xml"
    xml.write_text(EMITTER_XML, encoding="utf-8")
    pkg = generate_package([xml], tmp_path / "pkgs", "tp_p2p_emitter")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "peer.sock"))
    listener.listen(1)
    listener.setblocking(False)
    loop = asyncio.get_running_loop()
    served: list[Any] = []

    async def serve() -> None:
        conn, _ = await loop.sock_accept(listener)
        bus = await pkg.accept_p2p(conn)
        pkg.Emitter1Server().export(bus, "/com/example/Emitter1")
        served.append(bus)

    server = asyncio.ensure_future(serve())
    try:
        rc, out, err = await aqdbusgen(
            "introspect", "--p2p", "--address", f"unix:path={tmp_path}/peer.sock"
        )
        assert rc == 0, err
        got = parse_interfaces(out, "p2p")["com.example.Emitter1"]
        assert interface_shape(got) == interface_shape(
            parse_interfaces(EMITTER_XML, "src")["com.example.Emitter1"]
        )
    finally:
        server.cancel()
        for b in served:
            b.disconnect()
        listener.close()


# --------------------------------------------------------------------------- consumer mode

MIXED_XML = """<node>
  <interface name="com.example.Theirs1">
    <method name="GetName"><arg name="name" type="s" direction="out"/></method>
    <method name="SetName"><arg name="name" type="s" direction="in"/></method>
  </interface>
  <interface name="org.mine.Ours1">
    <method name="GetName"><arg name="name" type="s" direction="out"/></method>
    <method name="SetName"><arg name="name" type="s" direction="in"/></method>
  </interface>
</node>
"""


def test_generate_shows_guideline_findings_only_for_owned_interfaces(tmp_path: Path) -> None:
    xml = tmp_path / "mixed.xml"
    xml.write_text(MIXED_XML, encoding="utf-8")
    out = tmp_path / "pkg"
    plain = qdbusgen("generate", str(xml), "-o", str(out))
    assert plain.returncode == 0, plain.stderr
    assert "GUIDE-" not in plain.stderr  # no owned_prefixes: everything is third-party
    assert "finding(s) for the authors of third-party interfaces not shown" in plain.stderr
    assert "--all-findings" in plain.stderr
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.qdbusgen.lint]\nowned_prefixes = ["org.mine"]\n', encoding="utf-8")
    owned = qdbusgen("generate", "--config", str(config), str(xml), "-o", str(out))
    assert owned.returncode == 0, owned.stderr
    warned = {line.split(":")[1] for line in owned.stderr.splitlines() if "[GUIDE-" in line}
    assert warned and all(int(line) >= 6 for line in warned)  # only org.mine.Ours1 (line 6+)
    everything = qdbusgen("generate", "--all-findings", str(xml), "-o", str(out))
    assert {
        line.split(":")[1] for line in everything.stderr.splitlines() if "[GUIDE-W140]" in line
    } == {"3", "4", "7", "8"}
    # lint is unchanged: it shows everything
    assert qdbusgen("lint", str(xml)).stdout.count("[GUIDE-W140]") == 4


def test_consumer_mode_keeps_spec_errors(tmp_path: Path) -> None:
    xml = tmp_path / "bad.xml"
    xml.write_text(
        '<node><interface name="com.example.Bad1"><method name="M">'
        '<arg name="a" type="s" direction="sideways"/></method></interface></node>',
        encoding="utf-8",
    )
    proc = qdbusgen("generate", str(xml), "-o", str(tmp_path / "pkg"))
    assert proc.returncode == 1 and "[DBUS-E" in proc.stderr and "GUIDE-" not in proc.stderr
    assert not (tmp_path / "pkg").exists()


# --------------------------------------------------------------------------- overrides

CLASH_XML = """<node><interface name="com.example.Clash1">
  <method name="GetDevices"><arg name="d" type="as" direction="out"/></method>
  <property name="Devices" type="as" access="read"/>
</interface></node>
"""

REGISTRY_XML = """<node>
  <interface name="org.example.Registry1">
    <method name="RegisterEvent"><arg direction="in" name="event" type="s"/></method>
    <property name="Count" type="i" access="read"/>
    <signal name="EventListenerRegistered">
      <arg name="bus" type="s"/><arg name="path" type="s"/>
    </signal>
  </interface>
</node>
"""


def test_annotate_renames_without_editing_the_xml(tmp_path: Path) -> None:
    xml = tmp_path / "com.example.Clash1.xml"
    xml.write_text(CLASH_XML, encoding="utf-8")
    before = xml.read_bytes()
    fix = [
        "--annotate",
        "com.example.Clash1.GetDevices()",
        "org.qdbusgen.Python.Name",
        "list_devices",
    ]
    lint_proc = qdbusgen("lint", *fix, str(xml))
    assert lint_proc.returncode == 0 and "NAME-" not in lint_proc.stdout, lint_proc.stdout
    gen = qdbusgen("generate", *fix, str(xml), "-o", str(tmp_path / "pkg"))
    assert gen.returncode == 0, gen.stderr
    text = (tmp_path / "pkg" / "clash1.py").read_text(encoding="utf-8")
    assert "async def list_devices(self) -> list[str]:" in text
    assert "async def get_devices(self) -> list[str]:" in text  # the property's getter
    assert xml.read_bytes() == before


def test_overrides_table_in_pyproject(tmp_path: Path) -> None:
    xml = tmp_path / "org.example.Registry1.xml"
    xml.write_text(REGISTRY_XML, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "consumer"\n\n[tool.qdbusgen.overrides]\n'
        '"org.example.Registry1::EventListenerRegistered" = '
        '{ "org.qdbusgen.Signature" = "ssas" }\n'
        '"org.example.Registry1:Count" = { "org.qdbusgen.Type" = "u" }\n'
        '"org.example.Registry1.RegisterEvent()[event]" = '
        '{ "org.qdbusgen.Python.Name" = "event_name" }\n',
        encoding="utf-8",
    )
    gen = qdbusgen("generate", str(xml), "-o", str(tmp_path / "pkg"), cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    text = (tmp_path / "pkg" / "registry1.py").read_text(encoding="utf-8")
    assert "arg2: list[str]" in text  # the signal as it is really sent
    assert "async def register_event(self, event_name: str) -> None:" in text
    assert "property ``Count`` of type ``u``" in text  # the corrected type


def test_overrides_table_is_found_from_the_inputs(tmp_path: Path) -> None:
    """Run from this repository's root (whose pyproject.toml has no overrides), a file in
    another project still gets that project's [tool.qdbusgen.overrides], as it gets its
    lint settings."""
    project = tmp_path / "consumer"
    project.mkdir()
    xml = project / "org.example.Registry1.xml"
    xml.write_text(REGISTRY_XML, encoding="utf-8")
    (project / "pyproject.toml").write_text(
        "[tool.qdbusgen.overrides]\n"
        '"org.example.Registry1.RegisterEvent()[event]" = '
        '{ "org.qdbusgen.Python.Name" = "event_name" }\n',
        encoding="utf-8",
    )
    root = Path(__file__).resolve().parent.parent
    gen = qdbusgen("generate", str(xml), "-o", str(tmp_path / "pkg"), cwd=root)
    assert gen.returncode == 0, gen.stderr
    text = (tmp_path / "pkg" / "registry1.py").read_text(encoding="utf-8")
    assert "async def register_event(self, event_name: str) -> None:" in text
    linted = qdbusgen(
        "lint", str(xml), "--annotate", "org.example.Registry1::Nope", "k.k", "v", cwd=root
    )
    assert linted.returncode == 2 and "OVR-E001" in linted.stderr + linted.stdout


def test_override_of_a_missing_element_is_a_positioned_error(tmp_path: Path) -> None:
    xml = tmp_path / "org.example.Registry1.xml"
    xml.write_text(REGISTRY_XML, encoding="utf-8")
    config = tmp_path / "pyproject.toml"
    config.write_text(
        "[tool.qdbusgen.overrides]\n"
        '"org.example.Registry1:Count" = { "org.qdbusgen.Type" = "u" }\n'
        '"org.example.Registry1::Gone" = { "org.qdbusgen.Signature" = "s" }\n',
        encoding="utf-8",
    )
    out = tmp_path / "pkg"
    gen = qdbusgen("generate", "--config", str(config), str(xml), "-o", str(out))
    assert gen.returncode == 2 and not out.exists()
    assert (
        f"{config}:3:1: error: override 'org.example.Registry1::Gone' org.qdbusgen.Signature: "
        "interface org.example.Registry1 has no signal 'Gone' [OVR-E001]"
    ) in gen.stderr
    cases = [
        (
            ["org.example.Nothing1", "k.k", "v"],
            "no input declares interface 'org.example.Nothing1'",
            "OVR-E001",
        ),
        (
            ["org.example.Registry1.RegisterEvent()[nope]", "k.k", "v"],
            "has no arg 'nope'",
            "OVR-E001",
        ),
        (
            ["org.example.Registry1:Count", "org.qdbusgen.Type", "ii"],
            "is not one complete type",
            "OVR-E002",
        ),
        (["org.example.Registry1 Count", "k.k", "v"], "not an element", "OVR-E002"),
    ]
    for args, message, rule in cases:
        proc = qdbusgen(
            "generate",
            str(xml),
            "--annotate",
            "a.b.C",
            "k.k",
            "v",
            "--annotate",
            *args,
            "-o",
            str(out),
        )
        assert proc.returncode == 2 and not out.exists(), proc.stderr
        assert "<command line>:1:1: error: override 'a.b.C'" in proc.stderr  # the first option
        line = next(l for l in proc.stderr.splitlines() if l.startswith("<command line>:1:2:"))
        assert message in line and f"[{rule}]" in line, line
        assert "Traceback" not in proc.stderr


@async_test()
async def test_corrected_signal_signature_receives_what_the_service_sends(
    bus: Any, tmp_path: Path
) -> None:
    # The AT-SPI registry sends EventListenerRegistered as ssas while its XML says ss.
    from dbus_fast import Message, MessageType

    from qdbusgen.config import GenerateOptions
    from qdbusgen.generate import generate
    from qdbusgen.overrides import from_command_line

    xml = tmp_path / "org.example.Registry1.xml"
    xml.write_text(REGISTRY_XML, encoding="utf-8")
    fix = from_command_line(
        [("org.example.Registry1::EventListenerRegistered", "org.qdbusgen.Signature", "ssas")]
    )
    assert generate(
        [xml], tmp_path / "pkgs" / "tp_registry", GenerateOptions(overrides=tuple(fix))
    ).ok
    pkg = import_package(tmp_path / "pkgs", "tp_registry")
    sender = await pkg.connect(bus.address)
    client = await pkg.connect(bus.address)
    try:
        proxy = pkg.Registry1Proxy(client, sender.unique_name, "/org/example/Registry", timeout=5)
        async with proxy.stream_event_listener_registered() as stream:
            await sender.send(
                Message(
                    message_type=MessageType.SIGNAL,
                    path="/org/example/Registry",
                    interface="org.example.Registry1",
                    member="EventListenerRegistered",
                    signature="ssas",
                    body=[":1.9", "object:state-changed", ["focused"]],
                )
            )
            event = await asyncio.wait_for(anext(stream), 3)
        assert tuple(event) == (":1.9", "object:state-changed", ["focused"])
        assert event._fields == ("bus", "path", "arg2")
    finally:
        client.disconnect()
        sender.disconnect()


# --------------------------------------------------------------------------- tolerant signals


async def send_signal(bus: Any, signature: str, body: list[Any]) -> None:
    from dbus_fast import Message, MessageType

    await bus.send(
        Message(
            message_type=MessageType.SIGNAL,
            path="/org/example/Registry",
            interface="org.example.Registry1",
            member="EventListenerRegistered",
            signature=signature,
            body=body,
        )
    )


@async_test(timeout=60)
async def test_tolerant_signals(bus: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from qdbusgen.config import GenerateOptions
    from qdbusgen.generate import generate
    from qdbusgen.overrides import from_command_line

    xml = tmp_path / "org.example.Registry1.xml"
    xml.write_text(REGISTRY_XML, encoding="utf-8")
    assert generate([xml], tmp_path / "pkgs" / "tp_strict").ok
    tolerant_by_xml = from_command_line(
        [("org.example.Registry1::EventListenerRegistered", "org.qdbusgen.Signal.Tolerant", "true")]
    )
    assert generate(
        [xml], tmp_path / "pkgs" / "tp_tolerant", GenerateOptions(overrides=tuple(tolerant_by_xml))
    ).ok
    strict_pkg = import_package(tmp_path / "pkgs", "tp_strict")
    tolerant_pkg = import_package(tmp_path / "pkgs", "tp_tolerant")
    sender = await strict_pkg.connect(bus.address)
    client = await strict_pkg.connect(bus.address)
    client2 = await tolerant_pkg.connect(bus.address)
    name, path = sender.unique_name, "/org/example/Registry"
    try:
        strict = strict_pkg.Registry1Proxy(client, name, path)
        by_option = strict_pkg.Registry1Proxy(client, name, path, tolerant_signals=True)
        by_member = strict_pkg.Registry1Proxy(
            client, name, path, tolerant_signals={"EventListenerRegistered"}
        )
        by_annotation = tolerant_pkg.Registry1Proxy(client2, name, path)
        proxies = [strict, by_option, by_member, by_annotation]
        streams = [p.stream_event_listener_registered() for p in proxies]
        for s in streams:
            await s
        caplog.set_level(logging.INFO)
        await send_signal(sender, "ssas", [":1.7", "/a", ["x"]])  # extends the declaration
        await send_signal(sender, "si", [":1.7", 3])  # does not
        await send_signal(sender, "ss", [":1.7", "/b"])  # as declared
        for s in streams[1:]:
            first = await asyncio.wait_for(anext(s), 3)
            assert tuple(first) == (":1.7", "/a")  # the declared part
            assert tuple(await asyncio.wait_for(anext(s), 3)) == (":1.7", "/b")
        assert tuple(await asyncio.wait_for(anext(streams[0]), 3)) == (":1.7", "/b")  # strict
        for p in proxies[1:]:
            assert p.tolerated_signals == {"EventListenerRegistered": 1}
        assert strict.tolerated_signals == {}
        for s in streams:
            await s.aclose()
    finally:
        for b in (sender, client, client2):
            b.disconnect()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    extended = [w for w in warnings if "signature 'ssas', expected 'ss'" in w]
    assert len(extended) == 1  # the strict proxy; the message says how to opt in
    assert "tolerant_signals={'EventListenerRegistered'}" in extended[0]
    assert "org.qdbusgen.Signal.Tolerant=true" in extended[0]
    other = [w for w in warnings if "signature 'si', expected 'ss'" in w]
    assert len(other) == 4 and all("org.qdbusgen.Signature 'si'" in w for w in other)


# --------------------------------------------------------------------------- ObjectManager

DEVICES_XML = """<node>
  <interface name="org.freedesktop.DBus.ObjectManager">
    <method name="GetManagedObjects">
      <arg name="objects" type="a{oa{sa{sv}}}" direction="out"/>
    </method>
    <signal name="InterfacesAdded">
      <arg name="object_path" type="o"/><arg name="interfaces_and_properties" type="a{sa{sv}}"/>
    </signal>
    <signal name="InterfacesRemoved">
      <arg name="object_path" type="o"/><arg name="interfaces" type="as"/>
    </signal>
  </interface>
  <interface name="com.example.Device1">
    <method name="Reset"/>
    <property name="Name" type="s" access="read"/>
    <property name="Sizes" type="at" access="read"/>
  </interface>
  <interface name="com.example.Battery1">
    <property name="Percentage" type="d" access="read"/>
  </interface>
</node>
"""


@async_test(timeout=120)
async def test_object_manager_round_trip(bus: Any, tmp_path: Path) -> None:
    xml = tmp_path / "devices.xml"
    xml.write_text(DEVICES_XML, encoding="utf-8")
    pkg = generate_package([xml], tmp_path / "pkgs", "tp_devices")  # ObjectManager declared
    assert pkg.object_manager.ManagedInterfaces.__annotations__.keys() == {
        "com.example.Device1",
        "com.example.Battery1",
    }

    class Device(pkg.Device1Server):  # type: ignore[misc,name-defined]
        def __init__(self, name: str) -> None:
            self.name, self.resets = name, 0

        async def reset(self) -> None:
            self.resets += 1

        async def get_name(self) -> str:
            return self.name

        async def get_sizes(self) -> list[int]:
            return [1, 2**40]

    class Battery(pkg.Battery1Server):  # type: ignore[misc,name-defined]
        async def get_percentage(self) -> float:
            return 87.5

    server_bus = await pkg.connect(bus.address)
    client_bus = await pkg.connect(bus.address)
    try:
        manager = pkg.ObjectManagerServer()
        manager.export(server_bus, "/com/example")
        disk = Device("disk")
        await manager.add("/com/example/disk", disk)
        om = pkg.ObjectManagerProxy(client_bus, server_bus.unique_name, "/com/example", timeout=5)
        assert await om.get_managed_objects() == {
            "/com/example/disk": {"com.example.Device1": {"Name": "disk", "Sizes": [1, 2**40]}}
        }
        removed: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()
        sub = await om.on_interfaces_removed(lambda event: removed.put_nowait(tuple(event)))
        async with om.stream_interfaces_added() as added:
            await manager.add("/com/example/phone", Device("phone"), Battery())
            event = await asyncio.wait_for(anext(added), 3)
        assert isinstance(event, pkg.ObjectManagerInterfacesAddedSignal)
        assert event.object_path == "/com/example/phone"
        assert event.interfaces_and_properties == {
            "com.example.Device1": {"Name": "phone", "Sizes": [1, 2**40]},
            "com.example.Battery1": {"Percentage": 87.5},
        }
        # introspect -> generate picks up the ObjectManager by itself
        rc, _out, err = await aqdbusgen(
            "introspect",
            "--address",
            bus.address,
            "--dest",
            server_bus.unique_name,
            "/com/example",
            "--generate",
            "-o",
            str(tmp_path / "pkgs" / "tp_devices_live"),
        )
        assert rc == 0, err
        live = import_package(tmp_path / "pkgs", "tp_devices_live")
        assert live.object_manager.ManagedInterfaces.__annotations__.keys() == {
            "com.example.Device1",
            "com.example.Battery1",
        }
        # proxies for managed objects, of the package's classes
        objects = await om.get_managed_objects()
        assert sorted(objects) == ["/com/example/disk", "/com/example/phone"]
        phone = om.managed_proxy(pkg.Device1Proxy, "/com/example/phone")
        assert await phone.get_name() == "phone"
        disk_proxy = om.managed_proxy(
            pkg.object_manager.PROXY_CLASSES["com.example.Device1"], "/com/example/disk"
        )
        await disk_proxy.reset()
        assert disk.resets == 1
        await manager.remove("/com/example/phone", "com.example.Battery1")
        assert await asyncio.wait_for(removed.get(), 3) == (
            "/com/example/phone",
            ["com.example.Battery1"],
        )
        await manager.remove("/com/example/disk")
        assert await asyncio.wait_for(removed.get(), 3) == (
            "/com/example/disk",
            ["com.example.Device1"],
        )
        assert await om.get_managed_objects() == {
            "/com/example/phone": {"com.example.Device1": {"Name": "phone", "Sizes": [1, 2**40]}}
        }
        with pytest.raises(pkg.DBusError):  # unexported with its removal
            await disk_proxy.reset()
        await sub.cancel()
    finally:
        client_bus.disconnect()
        server_bus.disconnect()
    (tmp_path / "pkgs" / "use.py").write_text(
        "import tp_devices\n\n\n"
        "async def names(om: tp_devices.ObjectManagerProxy) -> list[str]:\n"
        "    out = []\n"
        "    for path, ifaces in (await om.get_managed_objects()).items():\n"
        '        device = ifaces.get("com.example.Device1")\n'
        "        if device is not None:\n"
        '            out.append(path + device["Name"])\n'
        "    return out\n",
        encoding="utf-8",
    )
    mypy_strict(tmp_path / "pkgs", "tp_devices", "use.py")
    pyright_strict(tmp_path / "pkgs", "tp_devices", "use.py")


def test_only_standard_interfaces_get_a_positioned_message(tmp_path: Path) -> None:
    xml = tmp_path / "om.xml"
    xml.write_text(DEVICES_XML.split('  <interface name="com.example')[0] + "</node>\n")
    proc = qdbusgen("generate", str(xml), "-o", str(tmp_path / "pkg"))
    assert proc.returncode == 1 and not (tmp_path / "pkg").exists()
    assert f"{xml}:2:3: error: the inputs declare only standard interfaces " in proc.stderr
    assert "the runtime provides them" in proc.stderr and "ObjectManagerServer" in proc.stderr


def test_overrides_recompute_what_annotations_mean(tmp_path: Path) -> None:
    from qdbusgen.api import load
    from qdbusgen.model import EmitsChanged
    from qdbusgen.overrides import from_command_line

    xml = tmp_path / "org.example.Registry1.xml"
    xml.write_text(REGISTRY_XML, encoding="utf-8")
    fixes = from_command_line(
        [
            (
                "org.example.Registry1.RegisterEvent()",
                "org.freedesktop.DBus.Method.NoReply",
                "true",
            ),
            ("org.example.Registry1", "org.freedesktop.DBus.Property.EmitsChangedSignal", "const"),
            (
                "org.example.Registry1::EventListenerRegistered",
                "org.freedesktop.DBus.Deprecated",
                "true",
            ),
        ]
    )
    loaded = load([xml], overrides=fixes)
    assert not loaded.unusable and not loaded.errors
    (iface,) = loaded.documents[0].interfaces
    assert iface.methods[0].no_reply
    assert iface.properties[0].emits_changed is EmitsChanged.CONST
    assert iface.signals[0].deprecated
    ann = iface.methods[0].annotations[-1]
    assert (ann.location.file, ann.location.line, ann.location.column) == ("<command line>", 1, 1)


def test_overrides_table_that_is_not_a_table_is_a_usage_error(tmp_path: Path) -> None:
    xml = tmp_path / "org.example.Registry1.xml"
    xml.write_text(REGISTRY_XML, encoding="utf-8")
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.qdbusgen.overrides]\n"org.example.Registry1" = "oops"\n')
    proc = qdbusgen("generate", "--config", str(config), str(xml), "-o", str(tmp_path / "pkg"))
    assert proc.returncode == 2 and "must be a table of KEY" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "pkg").exists()


@async_test(timeout=60)
async def test_tolerant_signal_closes_fds_in_the_dropped_args(bus: Any, tmp_path: Path) -> None:
    import os

    from dbus_fast import Message, MessageType

    xml = tmp_path / "org.example.Registry1.xml"
    xml.write_text(REGISTRY_XML, encoding="utf-8")
    pkg = generate_package([xml], tmp_path / "pkgs", "tp_tolerant_fds")
    sender = await pkg.connect(bus.address)
    client = await pkg.connect(bus.address)
    try:
        proxy = pkg.Registry1Proxy(
            client, sender.unique_name, "/org/example/Registry", tolerant_signals=True
        )
        async with proxy.stream_event_listener_registered() as stream:
            r, w = os.pipe()
            try:
                before = set(os.listdir("/proc/self/fd"))
                for _ in range(5):
                    await sender.send(
                        Message(
                            message_type=MessageType.SIGNAL,
                            path="/org/example/Registry",
                            interface="org.example.Registry1",
                            member="EventListenerRegistered",
                            signature="ssh",
                            body=[":1.1", "/p", 0],
                            unix_fds=[r],
                        )
                    )
                for _ in range(5):
                    assert tuple(await asyncio.wait_for(anext(stream), 3)) == (":1.1", "/p")
                await asyncio.sleep(0.1)
                leaked = set(os.listdir("/proc/self/fd")) - before
                assert not leaked, leaked  # the received copies of the fd were closed
            finally:
                os.close(r)
                os.close(w)
        assert proxy.tolerated_signals["EventListenerRegistered"] == 5
    finally:
        client.disconnect()
        sender.disconnect()
