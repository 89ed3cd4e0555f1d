"""Shared pieces of tests/test_e2e_bus.py: generating packages, the Types1 test interface
and its server implementation (used in-process and by tests/e2e_types_server.py).

Everything here goes through code that qdbusgen generated at test time; the only
runtime names used are the ones a generated package re-exports (``DBusError``,
``Variant``, ``transfer_fd``...).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import os
import sys
from collections.abc import Callable, Coroutine, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TYPES1_NAME = "com.example.Types1"
TYPES1_PATH = "/com/example/Types1"
DIVISION_BY_ZERO = "com.example.Types1.Error.DivisionByZero"
CRASH_DETAIL = "internal detail that must stay in the server"

#: The inline test interface: every basic type, nested containers, several out args,
#: errors, NoReply, fds, signals and one property per EmitsChangedSignal mode.
TYPES1_XML = """<?xml version="1.0" encoding="utf-8"?>
<node>
  <!--
      com.example.Types1:

      The interface of qdbusgen's end-to-end tests.
  -->
  <interface name="com.example.Types1">
    <annotation name="com.example.Stability" value="testing"/>
    <method name="EchoBasic">
      <arg name="byte" type="y" direction="in"/>
      <arg name="flag" type="b" direction="in"/>
      <arg name="int16" type="n" direction="in"/>
      <arg name="uint16" type="q" direction="in"/>
      <arg name="int32" type="i" direction="in"/>
      <arg name="uint32" type="u" direction="in"/>
      <arg name="int64" type="x" direction="in"/>
      <arg name="uint64" type="t" direction="in"/>
      <arg name="real" type="d" direction="in"/>
      <arg name="text" type="s" direction="in"/>
      <arg name="object" type="o" direction="in"/>
      <arg name="signature" type="g" direction="in"/>
      <arg name="byte_out" type="y" direction="out"/>
      <arg name="flag_out" type="b" direction="out"/>
      <arg name="int16_out" type="n" direction="out"/>
      <arg name="uint16_out" type="q" direction="out"/>
      <arg name="int32_out" type="i" direction="out"/>
      <arg name="uint32_out" type="u" direction="out"/>
      <arg name="int64_out" type="x" direction="out"/>
      <arg name="uint64_out" type="t" direction="out"/>
      <arg name="real_out" type="d" direction="out"/>
      <arg name="text_out" type="s" direction="out"/>
      <arg name="object_out" type="o" direction="out"/>
      <arg name="signature_out" type="g" direction="out"/>
    </method>
    <method name="EchoContainers">
      <arg name="lists" type="aas" direction="in"/>
      <arg name="nested" type="a{sa{sv}}" direction="in"/>
      <arg name="groups" type="a(sa(ii))" direction="in"/>
      <arg name="record" type="(ybs)" direction="in"/>
      <arg name="options" type="a{sv}" direction="in"/>
      <arg name="anything" type="v" direction="in"/>
      <arg name="lists_out" type="aas" direction="out"/>
      <arg name="nested_out" type="a{sa{sv}}" direction="out"/>
      <arg name="groups_out" type="a(sa(ii))" direction="out"/>
      <arg name="record_out" type="(ybs)" direction="out"/>
      <arg name="options_out" type="a{sv}" direction="out"/>
      <arg name="anything_out" type="v" direction="out"/>
    </method>
    <method name="Divide">
      <annotation name="com.example.Note" value="integer division"/>
      <arg name="dividend" type="i" direction="in"/>
      <arg name="divisor" type="i" direction="in">
        <annotation name="com.example.Note" value="not zero"/>
      </arg>
      <arg name="quotient" type="i" direction="out"/>
      <arg name="remainder" type="i" direction="out"/>
    </method>
    <method name="Join">
      <arg name="parts" type="as" direction="in"/>
      <arg name="separator" type="s" direction="in"/>
      <arg name="joined" type="s" direction="out"/>
    </method>
    <method name="Fail">
      <arg name="error_name" type="s" direction="in"/>
      <arg name="message" type="s" direction="in"/>
    </method>
    <method name="Crash"/>
    <method name="Unimplemented"/>
    <method name="Notify">
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>
      <arg name="label" type="s" direction="in"/>
    </method>
    <method name="OpenGate"/>
    <method name="WriteTo">
      <arg name="fd" type="h" direction="in"/>
      <arg name="data" type="ay" direction="in"/>
    </method>
    <method name="OpenPipe">
      <arg name="data" type="ay" direction="in"/>
      <arg name="fd" type="h" direction="out"/>
    </method>
    <method name="HandOut">
      <arg name="data" type="ay" direction="in"/>
    </method>
    <method name="Trigger">
      <arg name="name" type="s" direction="in"/>
      <arg name="value" type="i" direction="in"/>
    </method>
    <signal name="Changed">
      <arg name="name" type="s"/>
      <arg name="value" type="i"/>
      <arg name="details" type="a{sv}"/>
    </signal>
    <signal name="Notified">
      <arg name="label" type="s"/>
    </signal>
    <signal name="Handed">
      <arg name="fd" type="h"/>
      <arg name="note" type="s"/>
    </signal>
    <property name="Name" type="s" access="readwrite"/>
    <property name="Version" type="u" access="read"/>
    <property name="Level" type="i" access="readwrite">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    </property>
    <property name="Serial" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <property name="Scratch" type="t" access="readwrite">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"/>
    </property>
    <property name="Tags" type="a{sv}" access="readwrite"/>
  </interface>
</node>
"""

#: The interface both foreign peers (dbus-python, GDBus) implement.
FOREIGN1_NAME = "com.example.Foreign1"
FOREIGN1_PATH = "/com/example/Foreign"
FOREIGN1_XML = """<?xml version="1.0" encoding="utf-8"?>
<node>
  <interface name="com.example.Foreign1">
    <method name="Stats">
      <arg name="values" type="ai" direction="in"/>
      <arg name="total" type="i" direction="out"/>
      <arg name="mean" type="d" direction="out"/>
      <arg name="summary" type="s" direction="out"/>
    </method>
    <method name="Tick">
      <arg name="seq" type="u" direction="in"/>
    </method>
    <method name="Refuse">
      <arg name="reason" type="s" direction="in"/>
    </method>
    <signal name="Ticked">
      <arg name="seq" type="u"/>
      <arg name="note" type="s"/>
    </signal>
    <property name="Title" type="s" access="readwrite"/>
    <property name="Version" type="u" access="read"/>
  </interface>
</node>
"""
FOREIGN_REFUSED = "com.example.Foreign1.Error.Refused"


def generate_package(
    sources: Iterable[str | Path],
    parent: Path,
    package: str,
    *,
    defines: Mapping[str, str] | None = None,
) -> ModuleType:
    """Generate ``package`` into ``parent`` with qdbusgen's API and import it."""
    from qdbusgen.diagnostics import Severity
    from qdbusgen.config import GenerateOptions
    from qdbusgen.generate import generate

    defined = defines or {"HOST_OS": "linux"}
    options = GenerateOptions(package=package, defines=tuple(sorted(defined.items())))
    result = generate(list(sources), parent / package, options)
    assert result.ok, [d.format() for d in result.diagnostics if d.severity is Severity.ERROR]
    return import_package(parent, package)


def import_package(parent: Path, package: str) -> ModuleType:
    if str(parent) not in sys.path:
        sys.path.insert(0, str(parent))
    importlib.invalidate_caches()
    return importlib.import_module(package)


def async_test(
    timeout: float = 15.0,
) -> Callable[[Callable[..., Coroutine[Any, Any, None]]], Callable[..., None]]:
    """Run an async test in a fresh event loop with a hard time limit."""

    def deco(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            asyncio.run(asyncio.wait_for(fn(*args, **kwargs), timeout))

        return wrapper

    return deco


def runtime_of(pkg: ModuleType) -> ModuleType:
    """The runtime a generated package imports: ``qdbusgen_runtime``, or its vendored copy."""
    return sys.modules[pkg.ProxyBase.__module__.rpartition(".")[0]]


def types1_server_class(pkg: ModuleType) -> type[Any]:
    """A subclass of the generated ``Types1Server`` of package ``pkg`` implementing the test interface.

    ``Unimplemented`` is deliberately left to the generated default.
    """
    rt = runtime_of(pkg)

    class Types1Impl(pkg.Types1Server):
        def __init__(self) -> None:
            self.name = "initial name"
            self.level = 1
            self.scratch = 0
            self.tags: dict[str, Any] = {"kind": rt.Variant("s", "test")}
            self.gate = asyncio.Event()
            self.notified: list[str] = []

        async def echo_basic(self, *args: Any) -> tuple[Any, ...]:
            return args

        async def echo_containers(self, *args: Any) -> tuple[Any, ...]:
            return args

        async def divide(self, dividend: int, divisor: int) -> tuple[int, int]:
            if divisor == 0:
                raise rt.DBusError(DIVISION_BY_ZERO, f"{dividend} / 0")
            return divmod(dividend, divisor)

        async def join(self, parts: list[str], separator: str) -> str:
            return separator.join(parts)

        async def fail(self, error_name: str, message: str) -> None:
            raise rt.DBusError(error_name, message)

        async def crash(self) -> None:
            raise RuntimeError(CRASH_DETAIL)

        async def notify(self, label: str) -> None:
            # NoReply: the caller is not waiting; the handler blocks until OpenGate.
            await self.gate.wait()
            self.notified.append(label)
            self.emit_notified(label)

        async def open_gate(self) -> None:
            self.gate.set()

        async def write_to(self, fd: int, data: bytes) -> None:
            # A received fd belongs to the handler: write, then close it.
            try:
                os.write(fd, data)
            finally:
                os.close(fd)

        async def open_pipe(self, data: bytes) -> int:
            r, w = os.pipe()
            try:
                os.write(w, data)
            finally:
                os.close(w)
            return rt.transfer_fd(r)

        async def hand_out(self, data: bytes) -> None:
            r, w = os.pipe()
            try:
                os.write(w, data)
            finally:
                os.close(w)
            self.emit_handed(
                rt.transfer_fd(r), f"{len(data)} bytes"
            )  # the runtime sends r, then closes it

        async def trigger(self, name: str, value: int) -> None:
            if name in self._PROPERTIES:
                # Announce per the property's EmitsChangedSignal mode (the runtime decides).
                self._emit_properties_changed(
                    name, await getattr(self, self._PROPERTIES[name].getter)()
                )
                return
            self.emit_changed(
                name,
                value,
                {"source": rt.Variant("s", "server"), "twice": rt.Variant("x", 2 * value)},
            )

        async def get_name(self) -> str:
            return self.name

        async def set_name(self, value: str) -> None:
            self.name = value  # the runtime sends PropertiesChanged when this returns

        async def get_version(self) -> int:
            return 7

        async def get_level(self) -> int:
            return self.level

        async def set_level(self, value: int) -> None:
            if value < 0:
                raise rt.InvalidArgs("Level must not be negative")
            self.level = value

        async def get_serial(self) -> str:
            return "SN-0001"

        async def get_scratch(self) -> int:
            return self.scratch

        async def set_scratch(self, value: int) -> None:
            self.scratch = value  # EmitsChangedSignal=false: no notify_scratch, nothing is sent

        async def get_tags(self) -> dict[str, Any]:
            return self.tags

        async def set_tags(self, value: dict[str, Any]) -> None:
            self.tags = value

    return Types1Impl
