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
