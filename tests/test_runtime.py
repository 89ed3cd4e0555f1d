"""Tests of qdbusgen_runtime (runtime/), the support package every generated package imports.

Everything runs on real connections: a private dbus-daemon (the ``bus``
fixture) or real socketpairs for peer-to-peer; foreign peers are GDBus
(PyGObject) and dbus-python run with the system ``/usr/bin/python3``.
The classes below are hand-written exactly the way generated code uses the
runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from dbus_fast import Message
from dbus_fast.errors import AuthError
from dbus_fast.introspection import Node

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"


import qdbusgen_runtime as rt  # noqa: E402


def async_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test function in a fresh event loop with a hard time limit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 15))

    return wrapper


def system_python_has(module: str) -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    return (
        subprocess.run([SYSTEM_PYTHON, "-c", f"import {module}"], capture_output=True).returncode
        == 0
    )


async def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def open_fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


# ---------------------------------------------------------------------------
# "generated" code
# ---------------------------------------------------------------------------

NAME = "org.qdbusgen.TestService"
PATH = "/org/qdbusgen/Test"
IFACE = "org.qdbusgen.Test1"
OTHER_IFACE = "org.qdbusgen.Other1"

BASIC_SIG = "ybnqiuxtdsog"

TEST_XML = f"""<interface name="{IFACE}">
    <method name="EchoBasic">
      <arg name="y" type="y" direction="in"/>
      <arg name="b" type="b" direction="in"/>
      <arg name="n" type="n" direction="in"/>
      <arg name="q" type="q" direction="in"/>
      <arg name="i" type="i" direction="in"/>
      <arg name="u" type="u" direction="in"/>
      <arg name="x" type="x" direction="in"/>
      <arg name="t" type="t" direction="in"/>
      <arg name="d" type="d" direction="in"/>
      <arg name="s" type="s" direction="in"/>
      <arg name="o" type="o" direction="in"/>
      <arg name="g" type="g" direction="in"/>
      <arg name="y_out" type="y" direction="out"/>
      <arg name="b_out" type="b" direction="out"/>
      <arg name="n_out" type="n" direction="out"/>
      <arg name="q_out" type="q" direction="out"/>
      <arg name="i_out" type="i" direction="out"/>
      <arg name="u_out" type="u" direction="out"/>
      <arg name="x_out" type="x" direction="out"/>
      <arg name="t_out" type="t" direction="out"/>
      <arg name="d_out" type="d" direction="out"/>
      <arg name="s_out" type="s" direction="out"/>
      <arg name="o_out" type="o" direction="out"/>
      <arg name="g_out" type="g" direction="out"/>
    </method>
    <method name="EchoNested">
      <arg name="m" type="a{{sa(ix)}}" direction="in"/>
      <arg name="blobs" type="aay" direction="in"/>
      <arg name="props" type="a{{sv}}" direction="in"/>
      <arg name="var" type="v" direction="in"/>
      <arg name="st" type="(s(ii)as)" direction="in"/>
      <arg name="dicts" type="aa{{ss}}" direction="in"/>
      <arg name="m_out" type="a{{sa(ix)}}" direction="out"/>
      <arg name="blobs_out" type="aay" direction="out"/>
      <arg name="props_out" type="a{{sv}}" direction="out"/>
      <arg name="var_out" type="v" direction="out"/>
      <arg name="st_out" type="(s(ii)as)" direction="out"/>
      <arg name="dicts_out" type="aa{{ss}}" direction="out"/>
    </method>
    <method name="Save">
      <arg name="data" type="ay" direction="out"/>
    </method>
    <method name="Load">
      <arg name="data" type="ay" direction="in"/>
    </method>
    <method name="Fail">
      <arg name="name" type="s" direction="in"/>
      <arg name="text" type="s" direction="in"/>
    </method>
    <method name="Crash"/>
    <method name="Unimplemented"/>
    <method name="BadReturn">
      <arg name="value" type="i" direction="out"/>
    </method>
    <method name="Sleep">
      <arg name="seconds" type="d" direction="in"/>
    </method>
    <method name="Notify">
      <arg name="text" type="s" direction="in"/>
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>
    </method>
    <method name="Emit">
      <arg name="text" type="s" direction="in"/>
      <arg name="n" type="i" direction="in"/>
    </method>
    <method name="WriteToFd">
      <arg name="fd" type="h" direction="in"/>
      <arg name="data" type="ay" direction="in"/>
      <arg name="fd_number" type="i" direction="out"/>
    </method>
    <method name="OpenPipe">
      <arg name="data" type="ay" direction="in"/>
      <arg name="fd" type="h" direction="out"/>
    </method>
    <method name="WriteToAll">
      <arg name="fds" type="ah" direction="in"/>
      <arg name="opts" type="a{{sv}}" direction="in"/>
      <arg name="data" type="ay" direction="in"/>
      <arg name="distinct" type="u" direction="out"/>
    </method>
    <method name="EmitFd">
      <arg name="data" type="ay" direction="in"/>
    </method>
    <property name="Name" type="s" access="readwrite"/>
    <property name="Count" type="i" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    </property>
    <property name="Version" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <property name="Secret" type="s" access="readwrite">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"/>
    </property>
    <property name="Token" type="s" access="write"/>
    <property name="Later" type="u" access="read"/>
    <signal name="Changed">
      <arg name="text" type="s"/>
      <arg name="n" type="i"/>
    </signal>
    <signal name="FdSignal">
      <arg name="fd" type="h"/>
    </signal>
  </interface>"""


class ChangedArgs(NamedTuple):
    text: str
    n: int


class Test1Server(rt.ServerBase):
    """What qdbusgen generates for org.qdbusgen.Test1 (server side)."""

    __test__ = False

    INTERFACE = IFACE
    _METHODS = {
        "EchoBasic": rt.MethodSpec(
            "EchoBasic", BASIC_SIG, BASIC_SIG, "echo_basic", no_reply=False, multiple_out=True
        ),
        "EchoNested": rt.MethodSpec(
            "EchoNested",
            "a{sa(ix)}aaya{sv}v(s(ii)as)aa{ss}",
            "a{sa(ix)}aaya{sv}v(s(ii)as)aa{ss}",
            "echo_nested",
            no_reply=False,
            multiple_out=True,
        ),
        "Save": rt.MethodSpec("Save", "", "ay", "save", no_reply=False, multiple_out=False),
        "Load": rt.MethodSpec("Load", "ay", "", "load", no_reply=False, multiple_out=False),
        "Fail": rt.MethodSpec("Fail", "ss", "", "fail", no_reply=False, multiple_out=False),
        "Crash": rt.MethodSpec("Crash", "", "", "crash", no_reply=False, multiple_out=False),
        "Unimplemented": rt.MethodSpec(
            "Unimplemented", "", "", "unimplemented", no_reply=False, multiple_out=False
        ),
        "BadReturn": rt.MethodSpec(
            "BadReturn", "", "i", "bad_return", no_reply=False, multiple_out=False
        ),
        "Sleep": rt.MethodSpec("Sleep", "d", "", "sleep", no_reply=False, multiple_out=False),
        "Notify": rt.MethodSpec("Notify", "s", "", "notify", no_reply=True, multiple_out=False),
        "Emit": rt.MethodSpec("Emit", "si", "", "emit", no_reply=False, multiple_out=False),
        "WriteToFd": rt.MethodSpec(
            "WriteToFd", "hay", "i", "write_to_fd", no_reply=False, multiple_out=False
        ),
        "OpenPipe": rt.MethodSpec(
            "OpenPipe", "ay", "h", "open_pipe", no_reply=False, multiple_out=False
        ),
        "WriteToAll": rt.MethodSpec(
            "WriteToAll", "aha{sv}ay", "u", "write_to_all", no_reply=False, multiple_out=False
        ),
        "EmitFd": rt.MethodSpec("EmitFd", "ay", "", "emit_fd", no_reply=False, multiple_out=False),
    }
    _PROPERTIES = {
        "Name": rt.PropertySpec(
            "Name", "s", "readwrite", "true", getter="get_name", setter="set_name"
        ),
        "Count": rt.PropertySpec(
            "Count", "i", "read", "invalidates", getter="get_count", setter=None
        ),
        "Version": rt.PropertySpec(
            "Version", "s", "read", "const", getter="get_version", setter=None
        ),
        "Secret": rt.PropertySpec(
            "Secret", "s", "readwrite", "false", getter="get_secret", setter="set_secret"
        ),
        "Token": rt.PropertySpec("Token", "s", "write", "true", getter=None, setter="set_token"),
        "Later": rt.PropertySpec("Later", "u", "read", "true", getter="get_later", setter=None),
    }
    _SIGNALS = {
        "Changed": rt.SignalSpec("Changed", "si"),
        "FdSignal": rt.SignalSpec("FdSignal", "h"),
    }
    _INTROSPECTION_XML = TEST_XML

    async def echo_basic(
        self,
        y: int,
        b: bool,
        n: int,
        q: int,
        i: int,
        u: int,
        x: int,
        t: int,
        d: float,
        s: str,
        o: str,
        g: str,
    ) -> tuple[int, bool, int, int, int, int, int, int, float, str, str, str]:
        raise rt.not_implemented("EchoBasic")

    async def echo_nested(self, *args: Any) -> tuple[Any, ...]:
        raise rt.not_implemented("EchoNested")

    async def save(self) -> bytes:
        raise rt.not_implemented("Save")

    async def load(self, data: bytes) -> None:
        raise rt.not_implemented("Load")

    async def fail(self, name: str, text: str) -> None:
        raise rt.not_implemented("Fail")

    async def crash(self) -> None:
        raise rt.not_implemented("Crash")

    async def unimplemented(self) -> None:
        raise rt.not_implemented("Unimplemented")

    async def bad_return(self) -> int:
        raise rt.not_implemented("BadReturn")

    async def sleep(self, seconds: float) -> None:
        raise rt.not_implemented("Sleep")

    async def notify(self, text: str) -> None:
        raise rt.not_implemented("Notify")

    async def emit(self, text: str, n: int) -> None:
        raise rt.not_implemented("Emit")

    async def write_to_fd(self, fd: int, data: bytes) -> int:
        raise rt.not_implemented("WriteToFd")

    async def open_pipe(self, data: bytes) -> int:
        raise rt.not_implemented("OpenPipe")

    async def write_to_all(self, fds: list[int], opts: dict[str, Any], data: bytes) -> int:
        raise rt.not_implemented("WriteToAll")

    async def emit_fd(self, data: bytes) -> None:
        raise rt.not_implemented("EmitFd")

    async def get_name(self) -> str:
        raise rt.not_implemented("Name")

    async def set_name(self, value: str) -> None:
        raise rt.not_implemented("Name")

    async def get_count(self) -> int:
        raise rt.not_implemented("Count")

    async def get_version(self) -> str:
        raise rt.not_implemented("Version")

    async def get_secret(self) -> str:
        raise rt.not_implemented("Secret")

    async def set_secret(self, value: str) -> None:
        raise rt.not_implemented("Secret")

    async def set_token(self, value: str) -> None:
        raise rt.not_implemented("Token")

    async def get_later(self) -> int:
        raise rt.not_implemented("Later")

    def emit_changed(self, text: str, n: int) -> None:
        self._emit_signal("Changed", "si", [text, n])

    def emit_fd_signal(self, fd: int) -> None:
        self._emit_signal("FdSignal", "h", [fd])


class Test1Proxy(rt.ProxyBase):
    """What qdbusgen generates for org.qdbusgen.Test1 (client side)."""

    __test__ = False

    INTERFACE = IFACE

    async def echo_basic(self, *args: Any) -> tuple[Any, ...]:
        return tuple(await self._call("EchoBasic", BASIC_SIG, list(args), BASIC_SIG))

    async def echo_nested(self, *args: Any) -> tuple[Any, ...]:
        sig = "a{sa(ix)}aaya{sv}v(s(ii)as)aa{ss}"
        return tuple(await self._call("EchoNested", sig, list(args), sig))

    async def save(self) -> bytes:
        (data,) = await self._call("Save", "", [], "ay")
        return data

    async def load(self, data: bytes) -> None:
        await self._call("Load", "ay", [data], "")

    async def fail(self, name: str, text: str) -> None:
        await self._call("Fail", "ss", [name, text], "")

    async def crash(self) -> None:
        await self._call("Crash", "", [], "")

    async def unimplemented(self) -> None:
        await self._call("Unimplemented", "", [], "")

    async def bad_return(self) -> int:
        (value,) = await self._call("BadReturn", "", [], "i")
        return value

    async def sleep(self, seconds: float) -> None:
        await self._call("Sleep", "d", [seconds], "")

    async def notify(self, text: str) -> None:
        await self._call("Notify", "s", [text], "", no_reply=True)

    async def emit(self, text: str, n: int) -> None:
        await self._call("Emit", "si", [text, n], "")

    async def write_to_fd(self, fd: Any, data: bytes) -> int:
        (n,) = await self._call("WriteToFd", "hay", [fd, data], "i")
        return n

    async def open_pipe(self, data: bytes) -> int:
        (fd,) = await self._call("OpenPipe", "ay", [data], "h")
        return fd

    async def write_to_all(self, fds: list[int], opts: dict[str, Any], data: bytes) -> int:
        (n,) = await self._call("WriteToAll", "aha{sv}ay", [fds, opts, data], "u")
        return n

    async def emit_fd(self, data: bytes) -> None:
        await self._call("EmitFd", "ay", [data], "")

    async def get_name(self) -> str:
        return await self._get_property("Name", "s")

    async def set_name(self, value: str) -> None:
        await self._set_property("Name", "s", value)

    async def get_count(self) -> int:
        return await self._get_property("Count", "i")

    async def get_token(self) -> str:  # not generated (write-only); used to check the error
        return await self._get_property("Token", "s")

    async def set_token(self, value: str) -> None:
        await self._set_property("Token", "s", value)

    async def set_count(self, value: int) -> None:  # not generated (read-only); checks the error
        await self._set_property("Count", "i", value)

    async def on_changed(self, callback: Callable[[str, int], None]) -> Any:
        return await self._subscribe("Changed", lambda body: callback(*body))

    def changed_signals(self) -> Any:
        return self._signals("Changed")

    async def changed_stream(self) -> Any:  # the generated form: typed items, subscribed on return
        return await self._signals("Changed", ChangedArgs._make)

    async def on_fd_signal(self, callback: Callable[[int], None]) -> Any:
        return await self._subscribe("FdSignal", lambda body: callback(body[0]))


class TestImpl(Test1Server):
    """The user's implementation."""

    __test__ = False

    def __init__(self) -> None:
        self.name = "initial"
        self.count = 7
        self.secret = "s3cret"
        self.token = ""
        self.saved = b"\x00\x01saved\xff"
        self.loaded: bytes | None = None
        self.notified: list[str] = []
        self.received_fds: list[int] = []

    async def echo_basic(self, *args: Any) -> tuple[Any, ...]:
        return args

    async def echo_nested(self, *args: Any) -> tuple[Any, ...]:
        return args

    async def save(self) -> bytes:
        return self.saved

    async def load(self, data: bytes) -> None:
        self.loaded = data

    async def fail(self, name: str, text: str) -> None:
        raise rt.DBusError(name, text)

    async def crash(self) -> None:
        raise RuntimeError("secret-internal-detail")

    async def bad_return(self) -> int:
        return "not an int"

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def notify(self, text: str) -> None:
        self.notified.append(text)

    async def emit(self, text: str, n: int) -> None:
        self.emit_changed(text, n)

    async def write_to_fd(self, fd: int, data: bytes) -> int:
        self.received_fds.append(fd)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        return fd

    async def open_pipe(self, data: bytes) -> int:
        r, w = os.pipe()
        os.write(w, data)
        os.close(w)
        return rt.transfer_fd(r)

    async def write_to_all(self, fds: list[int], opts: dict[str, Any], data: bytes) -> int:
        all_fds = list(fds) + [v.value for v in opts.values() if v.signature == "h"]
        try:
            for fd in all_fds:
                os.write(fd, data)
        finally:
            for fd in all_fds:
                os.close(fd)
        return len(set(all_fds))

    async def emit_fd(self, data: bytes) -> None:
        r, w = os.pipe()
        os.write(w, data)
        os.close(w)
        self.emit_fd_signal(r)
        os.close(r)  # sending never takes the caller's fd: close our own right away

    async def get_name(self) -> str:
        return self.name

    async def set_name(self, value: str) -> None:
        self.name = value  # the runtime sends PropertiesChanged (EmitsChangedSignal=true)

    async def get_count(self) -> int:
        return self.count

    async def get_version(self) -> str:
        return "1.0"

    async def get_secret(self) -> str:
        return self.secret

    async def set_secret(self, value: str) -> None:
        self.secret = value

    async def set_token(self, value: str) -> None:
        self.token = value

    # get_later stays unimplemented: GetAll must leave it out


class Other1Server(rt.ServerBase):
    INTERFACE = OTHER_IFACE
    _METHODS = {"Ping": rt.MethodSpec("Ping", "s", "s", "ping", no_reply=False, multiple_out=False)}
    _PROPERTIES = {
        "Kind": rt.PropertySpec("Kind", "s", "read", "true", getter="get_kind", setter=None)
    }
    _SIGNALS: dict[str, Any] = {}
    _INTROSPECTION_XML = f"""<interface name="{OTHER_IFACE}">
    <method name="Ping">
      <arg name="text" type="s" direction="in"/>
      <arg name="reply" type="s" direction="out"/>
    </method>
    <property name="Kind" type="s" access="read"/>
  </interface>"""

    async def ping(self, text: str) -> str:
        return "pong:" + text

    async def get_kind(self) -> str:
        return "other"


class Other1Proxy(rt.ProxyBase):
    INTERFACE = OTHER_IFACE

    async def ping(self, text: str) -> str:
        (reply,) = await self._call("Ping", "s", [text], "s")
        return reply


class IntrospectableProxy(rt.ProxyBase):
    INTERFACE = "org.freedesktop.DBus.Introspectable"

    async def introspect(self) -> str:
        (xml,) = await self._call("Introspect", "", [], "s")
        return xml


class PeerProxy(rt.ProxyBase):
    INTERFACE = "org.freedesktop.DBus.Peer"

    async def ping(self) -> None:
        await self._call("Ping", "", [], "")

    async def get_machine_id(self) -> str:
        (mid,) = await self._call("GetMachineId", "", [], "s")
        return mid


class DBusDaemonProxy(rt.ProxyBase):
    """org.freedesktop.DBus of the daemon itself, as qdbusgen would generate it."""

    INTERFACE = "org.freedesktop.DBus"

    async def list_names(self) -> list[str]:
        (names,) = await self._call("ListNames", "", [], "as")
        return names

    async def get_name_owner(self, name: str) -> str:
        (owner,) = await self._call("GetNameOwner", "s", [name], "s")
        return owner

    async def on_name_owner_changed(self, callback: Callable[[str, str, str], None]) -> Any:
        return await self._subscribe("NameOwnerChanged", lambda body: callback(*body))


async def daemon_ready(address: str) -> None:
    """Wait until the daemon accepts connections.

    The harness returns once the socket file exists, which dbus-daemon
    creates at bind(), slightly before listen(): an early connect() can get
    ECONNREFUSED.
    """
    path = address.removeprefix("unix:path=")
    loop = asyncio.get_running_loop()
    for _ in range(300):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.setblocking(False)
            try:
                await loop.sock_connect(probe, path)
                return
            except (ConnectionRefusedError, FileNotFoundError):
                await asyncio.sleep(0.01)
    raise AssertionError(f"dbus-daemon at {address} does not accept connections")


@contextlib.asynccontextmanager
async def service(address: str) -> AsyncIterator[tuple[Any, Any, TestImpl, Test1Proxy]]:
    """A server connection owning NAME with TestImpl at PATH, and a client proxy for it."""
    await daemon_ready(address)
    server_bus = await rt.connect(address)
    client_bus = await rt.connect(address)
    try:
        await server_bus.request_name(NAME)
        impl = TestImpl()
        impl.export(server_bus, PATH)
        yield server_bus, client_bus, impl, Test1Proxy(client_bus, NAME, PATH)
    finally:
        for b in (client_bus, server_bus):
            b.disconnect()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(b.wait_for_disconnect(), 2)


async def p2p_pair() -> tuple[Any, Any]:
    """Both ends of a socketpair: (server side via accept_p2p, client side via connect_p2p)."""
    a, b = socket.socketpair()
    server, client = await asyncio.gather(rt.accept_p2p(a), rt.connect_p2p(b))
    return server, client


# ---------------------------------------------------------------------------
# types
# ---------------------------------------------------------------------------

BASIC_EXTREMES = [
    (
        255,
        True,
        -(2**15),
        2**16 - 1,
        -(2**31),
        2**32 - 1,
        -(2**63),
        2**64 - 1,
        -1.5e300,
        "héllo ☃ \x01",
        "/a/b_c/D9",
        "a{sv}(iah)",
    ),
    (0, False, 2**15 - 1, 0, 2**31 - 1, 0, 2**63 - 1, 0, 0.0, "", "/", ""),
]


@async_test
async def test_every_basic_type_round_trips(bus: Any) -> None:
    async with service(bus.address) as (_, _, _, proxy):
        for values in BASIC_EXTREMES:
            result = await proxy.echo_basic(*values)
            assert result == values
            assert [type(v) for v in result] == [
                type(v) for v in values
            ]  # bool stays bool, float stays float


@async_test
async def test_nested_containers_structs_variants(bus: Any) -> None:
    V = rt.Variant
    args = (
        {"a": [(1, -(2**40)), (-1, 2**40)], "empty": []},
        [b"", bytes(range(256)) * 4],
        {
            "s": V("s", "text"),
            "i": V("i", -3),
            "ao": V("ao", ["/x", "/y"]),
            "nested": V("a{sv}", {"inner": V("(bd)", (True, 2.5))}),
            "vv": V("v", V("t", 2**64 - 1)),
        },
        V("(sa{sy})", ("k", {"a": 1, "b": 255})),
        ("st", (1, 2), ["a", "b"]),
        [{"a": "b", "c": "d"}, {}],
    )
    async with service(bus.address) as (_, _, impl, proxy):
        result = await proxy.echo_nested(*args)
        assert result == args
        assert isinstance(result[4], tuple) and isinstance(
            result[4][1], tuple
        )  # structs are tuples
        assert isinstance(result[1][1], bytes)  # ay is bytes
        # large byte arrays, like vmstate blobs
        blob = os.urandom(3 * 1024 * 1024)
        impl.saved = blob
        assert await proxy.save() == blob
        await proxy.load(blob)
        assert impl.loaded == blob


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


class NoSuchInterfaceProxy(rt.ProxyBase):
    INTERFACE = "org.qdbusgen.NoSuch1"


@async_test
async def test_errors_carry_names_both_ways(bus: Any, caplog: pytest.LogCaptureFixture) -> None:
    async with service(bus.address) as (_, client_bus, _, proxy):
        # a handler raising DBusError -> that error, name and text
        with pytest.raises(rt.DBusError) as info:
            await proxy.fail("org.qdbusgen.Test1.Error.Custom", "custom text")
        assert info.value.name == "org.qdbusgen.Test1.Error.Custom"
        assert info.value.text == "custom text"

        # any other exception -> Failed, short text, traceback only in the log
        with caplog.at_level(logging.ERROR):
            with pytest.raises(rt.DBusError) as info:
                await proxy.crash()
        assert info.value.name == "org.freedesktop.DBus.Error.Failed"
        assert "secret-internal-detail" not in info.value.text
        assert "Traceback" not in info.value.text and len(info.value.text) < 200
        assert "secret-internal-detail" in caplog.text

        with pytest.raises(rt.DBusError) as info:
            await proxy.unimplemented()
        assert info.value.name == "org.freedesktop.DBus.Error.NotSupported"

        with pytest.raises(rt.DBusError) as info:  # a return value that does not marshal
            await proxy.bad_return()
        assert info.value.name == "org.freedesktop.DBus.Error.Failed"

        with pytest.raises(rt.DBusError) as info:
            await proxy._call("NoSuchMethod", "", [], "")
        assert info.value.name == "org.freedesktop.DBus.Error.UnknownMethod"

        with pytest.raises(rt.DBusError) as info:
            await NoSuchInterfaceProxy(client_bus, NAME, PATH)._call("Anything", "", [], "")
        assert info.value.name == "org.freedesktop.DBus.Error.UnknownInterface"

        with pytest.raises(rt.DBusError) as info:  # wrong in-signature
            await proxy._call("Fail", "s", ["only one"], "")
        assert info.value.name == "org.freedesktop.DBus.Error.InvalidArgs"

        with pytest.raises(rt.DBusError) as info:  # reply signature differs from the stub's
            await proxy._call("Save", "", [], "s")
        assert info.value.name == "org.freedesktop.DBus.Error.InvalidSignature"

        # errors from a foreign server (the daemon) keep their names too
        daemon = DBusDaemonProxy(client_bus, "org.freedesktop.DBus", "/org/freedesktop/DBus")
        with pytest.raises(rt.DBusError) as info:
            await daemon.get_name_owner("org.qdbusgen.NobodyHasThis")
        assert info.value.name == "org.freedesktop.DBus.Error.NameHasNoOwner"
        assert isinstance(info.value, rt.NameHasNoOwner)  # the daemon's error, by class

        # per-proxy timeout: the runtime's own NoReply, by class too
        slow = Test1Proxy(client_bus, NAME, PATH, timeout=0.1)
        with pytest.raises(rt.NoReply) as info:
            await slow.sleep(2)
        assert info.value.name == "org.freedesktop.DBus.Error.NoReply"

        client_bus.disconnect()
        await client_bus.wait_for_disconnect()
        with pytest.raises(rt.DisconnectedError):
            await proxy.save()
    assert str(rt.DBusError("a.b.C", "t")) == "a.b.C: t"


@async_test
async def test_no_reply_call(bus: Any) -> None:
    async with service(bus.address) as (_, _, impl, proxy):
        assert await proxy.notify("fire") is None
        assert await proxy.notify("and forget") is None
        await wait_until(lambda: impl.notified == ["fire", "and forget"])
        # the no-reply call did not leave a reply handler behind or disturb ordinary calls
        assert await proxy.save() == impl.saved


# ---------------------------------------------------------------------------
# signals
# ---------------------------------------------------------------------------


@async_test
async def test_signals_callback_iterator_and_cancel(bus: Any) -> None:
    async with service(bus.address) as (_, client_bus, impl, proxy):
        got: list[tuple[str, int]] = []
        sub = await proxy.on_changed(lambda text, n: got.append((text, n)))
        assert sub.active
        impl.emit_changed("one", 1)
        await proxy.emit("two", 2)  # emitted by the server while handling a call
        await wait_until(lambda: len(got) == 2)
        assert got == [("one", 1), ("two", 2)]

        async with proxy.changed_signals() as stream:
            impl.emit_changed("three", 3)
            assert await asyncio.wait_for(stream.__anext__(), 3) == ["three", 3]
            impl.emit_changed("four", 4)
            async for body in stream:
                assert body == ["four", 4]
                break
        await wait_until(lambda: len(got) == 4)

        await sub.cancel()
        assert not sub.active
        await sub.cancel()  # idempotent
        later: list[Any] = []
        async with await proxy.on_changed(lambda text, n: later.append(text)):
            impl.emit_changed("five", 5)
            await wait_until(lambda: later == ["five"])
        assert len(got) == 4  # the cancelled subscription saw nothing more

        # the generated form: `await` subscribes and returns the stream; items converted
        typed = await proxy.changed_stream()
        assert typed.active
        impl.emit_changed("six", 6)
        event = await asyncio.wait_for(typed.__anext__(), 3)
        assert event == ChangedArgs("six", 6) and event.text == "six"
        await typed.aclose()
        assert not typed.active
        assert [b async for b in typed] == []  # iteration ends when the stream is closed

        # a signal whose body does not have the stub's signature is dropped
        checked: list[Any] = []
        await proxy._subscribe("Changed", checked.append, signature="si")
        await proxy._subscribe("Changed", checked.append, signature="s")
        impl.emit_changed("seven", 7)
        await wait_until(lambda: checked == [["seven", 7]])


@async_test
async def test_signals_only_from_the_service_owner(bus: Any) -> None:
    async with service(bus.address) as (server_bus, client_bus, impl, proxy):
        other_bus = await rt.connect(bus.address)
        impostor = TestImpl()
        impostor.export(other_bus, PATH)
        got: list[tuple[str, int]] = []
        await proxy.on_changed(lambda text, n: got.append((text, n)))
        # a second subscription on the same connection for the impostor's unique
        # name: its signals reach this connection but must not reach `proxy`'s
        direct: list[str] = []
        impostor_proxy = Test1Proxy(client_bus, other_bus.unique_name, PATH)
        await impostor_proxy.on_changed(lambda text, n: direct.append(text))

        impostor.emit_changed("fake", 0)
        impl.emit_changed("real", 1)
        await wait_until(lambda: got == [("real", 1)] and direct == ["fake"])

        # the name moves to the other connection: the subscription follows it
        await server_bus.release_name(NAME)
        await other_bus.request_name(NAME)
        daemon = DBusDaemonProxy(client_bus, "org.freedesktop.DBus", "/org/freedesktop/DBus")
        assert await daemon.get_name_owner(NAME) == other_bus.unique_name
        impl.emit_changed("old owner", 2)
        impostor.emit_changed("new owner", 3)
        await wait_until(lambda: len(got) == 2)
        assert got == [("real", 1), ("new owner", 3)]
        other_bus.disconnect()


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------


@async_test
async def test_properties_get_set_getall_and_access(bus: Any) -> None:
    async with service(bus.address) as (_, _, impl, proxy):
        assert await proxy.get_name() == "initial"
        await proxy.set_name("renamed")
        assert impl.name == "renamed"
        assert await proxy.get_name() == "renamed"
        assert await proxy.get_count() == 7

        # GetAll: readable properties, unwrapped; write-only and unimplemented ones left out
        assert await proxy._get_all() == {
            "Name": "renamed",
            "Count": 7,
            "Version": "1.0",
            "Secret": "s3cret",
        }

        with pytest.raises(rt.DBusError) as info:
            await proxy.set_count(8)
        assert info.value.name == "org.freedesktop.DBus.Error.PropertyReadOnly"
        with pytest.raises(rt.DBusError) as info:
            await proxy.get_token()
        assert info.value.name == "org.freedesktop.DBus.Error.InvalidArgs"
        await proxy.set_token("tok")
        assert impl.token == "tok"
        with pytest.raises(rt.DBusError) as info:  # Set with a variant of the wrong type
            await proxy._set_property("Name", "i", 5)
        assert info.value.name == "org.freedesktop.DBus.Error.InvalidArgs"
        assert impl.name == "renamed"
        with pytest.raises(rt.DBusError) as info:
            await proxy._get_property("NoSuchProperty", "s")
        assert info.value.name == "org.freedesktop.DBus.Error.UnknownProperty"
        with pytest.raises(rt.DBusError) as info:  # the stub expects another type
            await proxy._get_property("Count", "s")
        assert info.value.name == "org.freedesktop.DBus.Error.InvalidSignature"
        with pytest.raises(rt.DBusError) as info:
            await proxy._get_property("Later", "u")
        assert info.value.name == "org.freedesktop.DBus.Error.NotSupported"


@async_test
async def test_properties_changed_in_each_emits_mode(bus: Any) -> None:
    async with service(bus.address) as (server_bus, _, impl, proxy):
        other = Other1Server()
        other.export(server_bus, PATH)  # same path, other interface
        events: list[tuple[dict[str, Any], list[str]]] = []
        sub = await proxy._watch_properties(
            lambda changed, invalidated: events.append((changed, invalidated))
        )

        impl._emit_properties_changed("Version", "2.0")  # const: nothing
        impl._emit_properties_changed("Secret", "x")  # false: nothing
        other._emit_properties_changed("Kind", "k")  # other interface: filtered by arg0
        impl._emit_properties_changed("Count", 8)  # invalidates: name only
        await proxy.set_name("via-set")  # true: the runtime emits the getter's value after Set
        await wait_until(lambda: len(events) == 2)
        assert events == [({}, ["Count"]), ({"Name": "via-set"}, [])]
        await sub.cancel()


# ---------------------------------------------------------------------------
# introspection, Peer, several objects on one path
# ---------------------------------------------------------------------------


def interface_names(xml: str) -> list[str]:
    return [i.get("name", "") for i in ET.fromstring(xml).findall("interface")]


def child_names(xml: str) -> list[str]:
    return [n.get("name", "") for n in ET.fromstring(xml).findall("node")]


@async_test
async def test_introspect_peer_and_several_interfaces_on_one_path(bus: Any) -> None:
    async with service(bus.address) as (server_bus, client_bus, impl, proxy):
        other = Other1Server()
        other.export(server_bus, PATH)
        child = Other1Server()
        child.export(server_bus, PATH + "/child/deeper")
        with pytest.raises(ValueError):
            TestImpl().export(server_bus, PATH)  # one object per interface and path

        other_proxy = Other1Proxy(client_bus, NAME, PATH)
        assert await other_proxy.ping("x") == "pong:x"
        assert await proxy.save() == impl.saved
        assert await other_proxy._get_all() == {"Kind": "other"}
        # no interface given: found by member name
        reply = await client_bus.call(
            Message(destination=NAME, path=PATH, member="Ping", signature="s", body=["y"])
        )
        assert reply.body == ["pong:y"]

        xml = await IntrospectableProxy(client_bus, NAME, PATH).introspect()
        assert interface_names(xml) == [
            "org.freedesktop.DBus.Introspectable",
            "org.freedesktop.DBus.Peer",
            "org.freedesktop.DBus.Properties",
            IFACE,
            OTHER_IFACE,
        ]
        assert child_names(xml) == ["child"]
        node = Node.parse(xml)  # dbus-fast's parser agrees
        test_iface = next(i for i in node.interfaces if i.name == IFACE)
        assert {m.name for m in test_iface.methods} >= {"EchoBasic", "Save", "Load", "WriteToFd"}
        assert {p.name: p.signature for p in test_iface.properties}["Name"] == "s"
        assert [s.name for s in test_iface.signals] == ["Changed", "FdSignal"]
        # the fragment is exactly the generator's XML (annotations included)
        assert TEST_XML.strip() in xml

        # a tree walk from / reaches every exported object
        found: list[str] = []

        async def walk(path: str) -> None:
            text = await IntrospectableProxy(client_bus, NAME, path).introspect()
            if interface_names(text)[3:]:
                found.append(path)
            for name in child_names(text):
                await walk(path.rstrip("/") + "/" + name)

        await walk("/")
        assert found == [PATH, PATH + "/child/deeper"]

        peer = PeerProxy(client_bus, NAME, PATH)
        await peer.ping()
        machine_id = await peer.get_machine_id()
        assert len(machine_id) == 32 and int(machine_id, 16) >= 0

        # unexport: the path is gone
        other.unexport()
        impl.unexport()
        with pytest.raises(rt.DBusError):
            await other_proxy.ping("x")
        xml = await IntrospectableProxy(client_bus, NAME, PATH).introspect()
        assert interface_names(xml)[3:] == [] and child_names(xml) == ["child"]


@pytest.mark.skipif(shutil.which("gdbus") is None, reason="gdbus CLI not installed")
@async_test
async def test_gdbus_cli_introspects_the_tree(bus: Any) -> None:
    async with service(bus.address) as (server_bus, _, _, _):
        Other1Server().export(server_bus, "/org/qdbusgen/Test/child")
        proc = await asyncio.create_subprocess_exec(
            "gdbus", "introspect", "--address", bus.address, "--dest", NAME,
            "--object-path", "/", "--recurse",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 10)
        assert proc.returncode == 0, err
        text = out.decode()
        assert f"interface {IFACE}" in text and f"interface {OTHER_IFACE}" in text
        assert "node /org/qdbusgen/Test/child" in text
        assert "EchoBasic(" in text


def load_runtime_copy(name: str) -> Any:
    """A second, independent copy of the runtime package (as ``--vendor-runtime`` makes)."""
    init = Path(rt.__file__)
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(init.parent)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@async_test
async def test_a_second_runtime_copy_is_refused_on_a_served_connection(bus: Any) -> None:
    """A vendored runtime cannot share a connection with the installed one: it says so."""
    rt2 = load_runtime_copy("qdbusgen_test_runtime_copy")

    class Second(rt2.ServerBase):  # type: ignore[name-defined,misc]
        INTERFACE = "org.qdbusgen.Second1"
        _METHODS: dict[str, Any] = {}
        _PROPERTIES: dict[str, Any] = {}
        _SIGNALS: dict[str, Any] = {}
        _INTROSPECTION_XML = '<interface name="org.qdbusgen.Second1"/>'

    async with service(bus.address) as (server_bus, _client_bus, _, proxy):
        with pytest.raises(RuntimeError, match="another copy of qdbusgen's runtime"):
            Second().export(server_bus, "/org/qdbusgen/Second")
        assert await proxy.save() == b"\x00\x01saved\xff"


# ---------------------------------------------------------------------------
# file descriptors
# ---------------------------------------------------------------------------


def read_all(fd: int, timeout: float = 3.0) -> bytes:
    """Read until EOF: EOF proves that no other copy of the write end is left open."""
    os.set_blocking(fd, True)
    import select

    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, "no EOF: a copy of the write end is still open somewhere"
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


@async_test
async def test_fds_both_ways_and_ownership(bus: Any) -> None:
    async with service(bus.address) as (_, _, impl, proxy):
        await proxy.save()  # warm up (lazy state in the libraries) before counting fds
        before = open_fd_count()

        # client -> server: a pipe's write end; the server writes through it
        r, w = os.pipe()
        server_fd = await proxy.write_to_fd(w, b"via pipe")
        assert server_fd != w  # the handler got a new fd ...
        os.fstat(w)  # ... and the caller's fd is still open
        os.close(w)
        assert read_all(r) == b"via pipe"  # EOF: the runtime's dup was closed after sending
        os.close(r)

        # a socket end, passed as the socket object itself (has fileno())
        a, b = socket.socketpair()
        await proxy.write_to_fd(a, b"via socket")
        a.close()
        assert b.recv(100) == b"via socket"
        b.close()

        # server -> client: a new fd in the reply, handed over with transfer_fd
        fd = await proxy.open_pipe(b"from server")
        assert read_all(fd) == b"from server"
        os.close(fd)

        # fds inside containers and variants; one fd twice -> two distinct fds
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        distinct = await proxy.write_to_all(
            [w1, w1], {"extra": rt.Variant("h", w2), "n": rt.Variant("i", 1)}, b"x"
        )
        assert distinct == 3
        os.close(w1)
        os.close(w2)
        assert read_all(r1) == b"xx" and read_all(r2) == b"x"
        os.close(r1)
        os.close(r2)

        # fd in a signal, to two subscribers: each gets its own fd
        got: list[int] = []
        await proxy.on_fd_signal(got.append)
        await proxy.on_fd_signal(got.append)
        await proxy.emit_fd(b"signal data")
        await wait_until(lambda: len(got) == 2)
        assert got[0] != got[1]
        assert os.read(got[0], 100) == b"signal data"
        for fd in got:
            os.close(fd)

        # fds attached to calls the runtime refuses are closed, not leaked
        r, w = os.pipe()
        for member, signature in (("NoSuchMethod", "h"), ("WriteToFd", "h")):  # unknown / bad args
            reply = await proxy._bus.call(
                Message(destination=NAME, path=PATH, interface=IFACE, member=member,
                        signature=signature, body=[0], unix_fds=[w])
            )  # fmt: skip
            assert reply.error_name in (
                "org.freedesktop.DBus.Error.UnknownMethod",
                "org.freedesktop.DBus.Error.InvalidArgs",
            )
        os.close(w)
        assert read_all(r) == b""  # EOF: the server closed the copies it received
        os.close(r)

        await asyncio.sleep(0.05)
        assert open_fd_count() == before  # nothing leaked on either side


# ---------------------------------------------------------------------------
# peer-to-peer
# ---------------------------------------------------------------------------


@async_test
async def test_p2p_both_ends_ours(bus: Any) -> None:
    del bus  # no daemon involved
    server_bus, client_bus = await p2p_pair()
    impl = TestImpl()
    impl.export(server_bus, PATH)
    proxy = Test1Proxy(client_bus, None, PATH)
    try:
        assert await proxy.echo_basic(*BASIC_EXTREMES[0]) == BASIC_EXTREMES[0]
        with pytest.raises(rt.DBusError) as info:
            await proxy.fail("org.qdbusgen.P2P.Error", "p2p")
        assert info.value.name == "org.qdbusgen.P2P.Error"
        await proxy.set_name("p2p-name")
        assert await proxy._get_all() == {
            "Name": "p2p-name",
            "Count": 7,
            "Version": "1.0",
            "Secret": "s3cret",
        }

        got: list[tuple[str, int]] = []
        changes: list[dict[str, Any]] = []
        await proxy.on_changed(lambda text, n: got.append((text, n)))  # no AddMatch on p2p
        await proxy._watch_properties(lambda changed, invalidated: changes.append(changed))
        impl.emit_changed("p2p", 9)
        await proxy.set_name("again")
        await wait_until(lambda: got == [("p2p", 9)] and changes == [{"Name": "again"}])

        r, w = os.pipe()
        await proxy.write_to_fd(w, b"fd over p2p")
        os.close(w)
        assert read_all(r) == b"fd over p2p"
        os.close(r)
        fd = await proxy.open_pipe(b"back")
        assert read_all(fd) == b"back"
        os.close(fd)

        xml = await IntrospectableProxy(client_bus, None, PATH).introspect()
        assert IFACE in interface_names(xml)
        assert len(await PeerProxy(client_bus, None, PATH).get_machine_id()) == 32

        # the other direction, as with QEMU: the auth server calls the client's objects
        Other1Server().export(client_bus, "/org/qdbusgen/Listener")
        assert (
            await Other1Proxy(server_bus, None, "/org/qdbusgen/Listener").ping("srv") == "pong:srv"
        )
    finally:
        client_bus.disconnect()
        # the peer notices; a hang-up is a normal end of a p2p session
        assert await asyncio.wait_for(server_bus.wait_for_disconnect(), 3) is None
    with pytest.raises(rt.DisconnectedError):
        await proxy.save()


@async_test
async def test_accept_p2p_rejects_a_false_identity(bus: Any) -> None:
    del bus
    a, b = socket.socketpair()
    server = asyncio.ensure_future(rt.accept_p2p(a))
    loop = asyncio.get_running_loop()
    b.setblocking(False)
    await loop.sock_sendall(b, b"\0AUTH\r\n")
    assert (await loop.sock_recv(b, 100)).startswith(b"REJECTED EXTERNAL")
    wrong_uid = str(os.getuid() + 1).encode().hex().encode()
    await loop.sock_sendall(b, b"AUTH EXTERNAL " + wrong_uid + b"\r\n")
    assert (await loop.sock_recv(b, 100)).startswith(b"REJECTED")
    await loop.sock_sendall(b, b"BEGIN\r\n")
    with pytest.raises(AuthError):
        await asyncio.wait_for(server, 3)
    b.close()


GDBUS_PEER = r'''
import json, os, sys
import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib

PEER_XML = """<node><interface name="org.qdbusgen.Peer1">
  <method name="Echo"><arg type="s" direction="in"/><arg type="s" direction="out"/></method>
  <method name="Fail"/>
  <method name="ReadFd"><arg type="h" direction="in"/><arg type="s" direction="out"/></method>
  <signal name="Hello"><arg type="s"/></signal>
  <property name="Label" type="s" access="read"/>
</interface></node>"""
LPATH, LIFACE = "/org/qemu/Display1/Listener", "org.qemu.Display1.Listener"
NONE = Gio.DBusCallFlags.NONE

mode, fd = sys.argv[1], int(sys.argv[2])
stream = Gio.Socket.new_from_fd(fd).connection_factory_create_connection()
# exactly QEMU's setup (server) or a GDBus client like the ones QEMU docs describe
flags = Gio.DBusConnectionFlags.DELAY_MESSAGE_PROCESSING
if mode == "server":
    flags |= Gio.DBusConnectionFlags.AUTHENTICATION_SERVER
    guid = Gio.dbus_generate_guid()
else:
    flags |= Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
    guid = None
conn = Gio.DBusConnection.new_sync(stream, guid, flags, None, None)
loop = GLib.MainLoop()


def on_call(conn, sender, path, iface, method, params, inv):
    if method == "Echo":
        inv.return_value(GLib.Variant("(s)", (params.unpack()[0] + "!",)))
    elif method == "Fail":
        inv.return_dbus_error("org.qdbusgen.Peer1.Error.Nope", "gdbus says no")
    elif method == "ReadFd":
        rfd = inv.get_message().get_unix_fd_list().get(params.unpack()[0])
        data = os.read(rfd, 100)
        os.close(rfd)
        inv.return_value(GLib.Variant("(s)", (data.decode(),)))


def get_prop(conn, sender, path, iface, name):
    return GLib.Variant("s", "gdbus-label")


conn.register_object("/org/qdbusgen/Peer", Gio.DBusNodeInfo.new_for_xml(PEER_XML).interfaces[0],
                     on_call, get_prop, None)
conn.connect("closed", lambda *a: loop.quit())
conn.start_message_processing()

res = {}
# What QEMU does with a registered listener: a proxy (GetAll), then calls.
r = conn.call_sync(None, LPATH, "org.freedesktop.DBus.Properties", "GetAll", GLib.Variant("(s)", (LIFACE,)),
                   GLib.VariantType("(a{sv})"), NONE, 5000, None)
res["getall"] = r.unpack()[0]
conn.call_sync(None, LPATH, LIFACE, "Scanout",
               GLib.Variant("(uuuuay)", (4, 2, 16, 0x20020888, bytes(range(32)))), None, NONE, 5000, None)
rp, wp = os.pipe()
os.write(wp, b"dmabuf-bytes")
os.close(wp)
fdl = Gio.UnixFDList.new()
idx = fdl.append(rp)
os.close(rp)
conn.call_with_unix_fd_list_sync(None, LPATH, LIFACE, "ScanoutDMABUF",
                                 GLib.Variant("(huuuutb)", (idx, 4, 2, 16, 0x34325258, 7, True)),
                                 None, NONE, 5000, fdl, None)
try:
    conn.call_sync(None, LPATH, LIFACE, "Disable", None, None, NONE, 5000, None)
    res["error"] = None
except GLib.Error as e:
    res["error"] = [Gio.DBusError.get_remote_error(e), e.message]
try:
    conn.call_sync(None, LPATH, LIFACE, "Scanout", GLib.Variant("(s)", ("bad",)), None, NONE, 5000, None)
except GLib.Error as e:
    res["bad_args"] = Gio.DBusError.get_remote_error(e)
xml = conn.call_sync(None, LPATH, "org.freedesktop.DBus.Introspectable", "Introspect", None,
                     GLib.VariantType("(s)"), NONE, 5000, None).unpack()[0]
res["introspect"] = [i.name for i in Gio.DBusNodeInfo.new_for_xml(xml).interfaces]
conn.emit_signal(None, "/org/qdbusgen/Peer", "org.qdbusgen.Peer1", "Hello", GLib.Variant("(s)", ("hi",)))
print(json.dumps(res), flush=True)
loop.run()
'''


class ListenerServer(rt.ServerBase):
    """A cut-down org.qemu.Display1.Listener, served on the p2p connection."""

    INTERFACE = "org.qemu.Display1.Listener"
    _METHODS = {
        "Scanout": rt.MethodSpec(
            "Scanout", "uuuuay", "", "scanout", no_reply=False, multiple_out=False
        ),
        "ScanoutDMABUF": rt.MethodSpec(
            "ScanoutDMABUF", "huuuutb", "", "scanout_dmabuf", no_reply=False, multiple_out=False
        ),
        "Disable": rt.MethodSpec("Disable", "", "", "disable", no_reply=False, multiple_out=False),
    }
    _PROPERTIES = {
        "Interfaces": rt.PropertySpec(
            "Interfaces", "as", "read", "true", getter="get_interfaces", setter=None
        )
    }
    _SIGNALS: dict[str, Any] = {}
    _INTROSPECTION_XML = """<interface name="org.qemu.Display1.Listener">
    <method name="Scanout">
      <arg type="u" name="width" direction="in"/>
      <arg type="u" name="height" direction="in"/>
      <arg type="u" name="stride" direction="in"/>
      <arg type="u" name="pixman_format" direction="in"/>
      <arg type="ay" name="data" direction="in"/>
    </method>
    <method name="ScanoutDMABUF">
      <arg type="h" name="dmabuf" direction="in"/>
      <arg type="u" name="width" direction="in"/>
      <arg type="u" name="height" direction="in"/>
      <arg type="u" name="stride" direction="in"/>
      <arg type="u" name="fourcc" direction="in"/>
      <arg type="t" name="modifier" direction="in"/>
      <arg type="b" name="y0_top" direction="in"/>
    </method>
    <method name="Disable"/>
    <property name="Interfaces" type="as" access="read"/>
  </interface>"""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    async def scanout(self, width: int, height: int, stride: int, fmt: int, data: bytes) -> None:
        self.calls.append(("Scanout", width, height, stride, fmt, data))

    async def scanout_dmabuf(self, fd: int, *rest: Any) -> None:
        try:
            self.calls.append(("ScanoutDMABUF", os.read(fd, 100), *rest))
        finally:
            os.close(fd)

    async def disable(self) -> None:
        raise rt.DBusError("org.qemu.Display1.Error.Failed", "cannot disable")

    async def get_interfaces(self) -> list[str]:
        return ["org.qemu.Display1.Listener"]


class GDBusPeerProxy(rt.ProxyBase):
    INTERFACE = "org.qdbusgen.Peer1"

    async def echo(self, text: str) -> str:
        (reply,) = await self._call("Echo", "s", [text], "s")
        return reply

    async def read_fd(self, fd: int) -> str:
        (reply,) = await self._call("ReadFd", "h", [fd], "s")
        return reply


@pytest.mark.skipif(
    not system_python_has("gi"), reason="python3-gi not installed for /usr/bin/python3"
)
@pytest.mark.parametrize("gdbus_role", ["server", "client"])
@async_test
async def test_p2p_with_gdbus_peer(bus: Any, tmp_path: Path, gdbus_role: str) -> None:
    """GDBus as AUTHENTICATION_SERVER (what QEMU does) against connect_p2p, and
    GDBus as AUTHENTICATION_CLIENT against accept_p2p."""
    del bus
    script = tmp_path / "gdbus_peer.py"
    script.write_text(GDBUS_PEER)
    ours, theirs = socket.socketpair()
    proc = await asyncio.create_subprocess_exec(
        SYSTEM_PYTHON, str(script), gdbus_role, str(theirs.fileno()),
        pass_fds=[theirs.fileno()], stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    theirs.close()
    try:
        p2p = await (rt.connect_p2p(ours) if gdbus_role == "server" else rt.accept_p2p(ours))
        # export before awaiting anything else: the peer calls right away
        listener = ListenerServer()
        listener.export(p2p, "/org/qemu/Display1/Listener")
        peer = GDBusPeerProxy(p2p, None, "/org/qdbusgen/Peer")
        hello = peer._signals("Hello")
        await hello.start()

        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 10)
        report = json.loads(line)
        assert report["getall"] == {"Interfaces": ["org.qemu.Display1.Listener"]}
        assert report["error"] == [
            "org.qemu.Display1.Error.Failed",
            "GDBus.Error:org.qemu.Display1.Error.Failed: cannot disable",
        ]
        assert report["bad_args"] == "org.freedesktop.DBus.Error.InvalidArgs"
        assert "org.qemu.Display1.Listener" in report["introspect"]
        assert listener.calls == [
            ("Scanout", 4, 2, 16, 0x20020888, bytes(range(32))),
            ("ScanoutDMABUF", b"dmabuf-bytes", 4, 2, 16, 0x34325258, 7, True),
        ]

        assert await asyncio.wait_for(hello.__anext__(), 3) == ["hi"]
        assert await peer.echo("ping") == "ping!"
        with pytest.raises(rt.DBusError) as info:
            await peer._call("Fail", "", [], "")
        assert (
            info.value.name == "org.qdbusgen.Peer1.Error.Nope"
            and info.value.text == "gdbus says no"
        )
        r, w = os.pipe()
        os.write(w, b"read by gdbus")
        os.close(w)
        assert await peer.read_fd(r) == "read by gdbus"
        os.close(r)
        assert await peer._get_property("Label", "s") == "gdbus-label"
        await hello.aclose()
        p2p.disconnect()
        assert await asyncio.wait_for(proc.wait(), 5) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# ---------------------------------------------------------------------------
# interop on the message bus
# ---------------------------------------------------------------------------


@async_test
async def test_daemon_methods_through_proxybase(bus: Any) -> None:
    await daemon_ready(bus.address)
    async with await DBusDaemonProxy.new(
        bus.address, "org.freedesktop.DBus", "/org/freedesktop/DBus"
    ) as daemon:
        other = await rt.connect(bus.address)
        names = await daemon.list_names()
        assert "org.freedesktop.DBus" in names and other.unique_name in names
        events: list[tuple[str, str, str]] = []
        sub = await daemon.on_name_owner_changed(lambda *args: events.append(args))
        await other.request_name("org.qdbusgen.Watched")
        assert await daemon.get_name_owner("org.qdbusgen.Watched") == other.unique_name
        await wait_until(lambda: ("org.qdbusgen.Watched", "", other.unique_name) in events)
        await sub.cancel()
        other.disconnect()
    assert not daemon._bus.connected  # new() opened the connection, so the proxy closed it


DBUS_PYTHON_PEER = r"""
import json, os, sys
import dbus
address, name, path, iface = sys.argv[1:5]
bus = dbus.bus.BusConnection(address)
obj = bus.get_object(name, path, introspect=False)
props = "org.freedesktop.DBus.Properties"
res = {}
out = obj.EchoBasic(dbus.Byte(200), dbus.Boolean(True), dbus.Int16(-2), dbus.UInt16(3), dbus.Int32(-4),
                    dbus.UInt32(5), dbus.Int64(-(2**40)), dbus.UInt64(2**63), dbus.Double(0.25), "dbus-python",
                    dbus.ObjectPath("/from/dbus_python"), dbus.Signature("a{sv}"), dbus_interface=iface)
res["echo"] = [int(out[0]), bool(out[1])] + [int(v) for v in out[2:8]] + [float(out[8])] + [str(v) for v in out[9:]]
try:
    obj.Fail("org.qdbusgen.FromPython.Error", "dbus-python sees this", dbus_interface=iface)
except dbus.exceptions.DBusException as e:
    res["error"] = [e.get_dbus_name(), e.get_dbus_message()]
obj.Set(iface, "Name", dbus.String("set-by-dbus-python", variant_level=1), dbus_interface=props)
res["name"] = str(obj.Get(iface, "Name", dbus_interface=props))
res["getall"] = sorted(str(k) for k in obj.GetAll(iface, dbus_interface=props))
r, w = os.pipe()
obj.WriteToFd(dbus.types.UnixFd(w), dbus.ByteArray(b"written for dbus-python"), dbus_interface=iface)
os.close(w)
res["fd"] = os.read(r, 100).decode()
res["saved"] = list(bytes(obj.Save(dbus_interface=iface, byte_arrays=True)))
xml = obj.Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
res["introspect_has_iface"] = ('interface name="%s"' % iface) in xml
print(json.dumps(res))
"""


@pytest.mark.skipif(
    not system_python_has("dbus"), reason="python3-dbus not installed for /usr/bin/python3"
)
@async_test
async def test_dbus_python_client_calls_our_server(bus: Any, tmp_path: Path) -> None:
    script = tmp_path / "dbus_python_peer.py"
    script.write_text(DBUS_PYTHON_PEER)
    async with service(bus.address) as (_, _, impl, _):
        proc = await asyncio.create_subprocess_exec(
            SYSTEM_PYTHON, str(script), bus.address, NAME, PATH, IFACE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 10)
        assert proc.returncode == 0, err.decode()
        res = json.loads(out)
        assert res["echo"] == [
            200,
            True,
            -2,
            3,
            -4,
            5,
            -(2**40),
            2**63,
            0.25,
            "dbus-python",
            "/from/dbus_python",
            "a{sv}",
        ]
        assert res["error"] == ["org.qdbusgen.FromPython.Error", "dbus-python sees this"]
        assert res["name"] == "set-by-dbus-python" and impl.name == "set-by-dbus-python"
        assert res["getall"] == ["Count", "Name", "Secret", "Version"]
        assert res["fd"] == "written for dbus-python"
        assert bytes(res["saved"]) == impl.saved
        assert res["introspect_has_iface"] is True


# ---------------------------------------------------------------------------
# small API checks
# ---------------------------------------------------------------------------


def test_api_surface() -> None:
    assert rt.ObjectPath("/a") == "/a" and rt.Signature("s") == "s" and rt.UnixFD(3) == 3
    assert rt.Variant is __import__("dbus_fast").Variant
    err = rt.not_implemented("Save")
    assert isinstance(err, rt.DBusError) and err.name == "org.freedesktop.DBus.Error.NotSupported"
    assert rt.DBusError("org.x.E").text == ""
    with pytest.raises(ValueError):
        rt.PropertySpec("P", "s", "readonly", "true", getter="p", setter=None)
    with pytest.raises(ValueError):
        rt.PropertySpec("P", "s", "read", "sometimes", getter="p", setter=None)
    with pytest.raises(TypeError):
        Test1Proxy.__new__(Test1Proxy).__init__(None, "org.ok.Name", "not/a/path")
    # the naming stage's reserved names (read from the runtime's code) cover every attribute
    # of the bases, but for the runtime's own markers, which no generated name can take
    attrs = {n for cls in (rt.ProxyBase, rt.ServerBase) for n in dir(cls) if not n.startswith("__")}
    proxy = Test1Proxy.__new__(Test1Proxy)
    rt.ProxyBase.__init__(proxy, None, "org.ok.Name", "/ok")
    attrs |= set(vars(proxy))
    server = TestImpl()
    server._qdbusgen_exports()
    attrs |= set(vars(server)) - set(vars(TestImpl()))  # what the runtime adds to an instance
    from qdbusgen.naming import OBJECT_ATTRIBUTES, RUNTIME_MEMBERS

    attrs = {a for a in attrs if not a.startswith("_qdbusgen_")}
    assert attrs <= RUNTIME_MEMBERS | OBJECT_ATTRIBUTES, sorted(attrs - RUNTIME_MEMBERS)
    assert {"new", "export", "unexport", "INTERFACE"} <= RUNTIME_MEMBERS
