"""Robustness of qdbusgen_runtime against hostile or broken peers.

QEMU's D-Bus documentation asks helpers to validate everything a peer of
another trust level sends; these tests feed the runtime's SASL server and
client, its dispatcher and its signal machinery with what a broken or
hostile peer could send, over real socketpairs (peer-to-peer) or a private
dbus-daemon, and check that every case fails cleanly, in bounded time,
with the right D-Bus error and without leaking fds or tasks.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import Message, MessageFlag, MessageType, Variant
from dbus_fast.errors import AuthError, AuthTimeoutError

ROOT = Path(__file__).resolve().parent.parent


import qdbusgen_runtime as rt  # noqa: E402


def async_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run in a fresh loop with a hard limit; fail if the test leaked tasks."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        async def main() -> None:
            await asyncio.wait_for(fn(*args, **kwargs), 10)
            await asyncio.sleep(0)
            me = asyncio.current_task()
            left = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
            for t in left:
                t.cancel()
            assert not left, f"tasks left running: {left}"

        asyncio.run(main())

    return wrapper


def open_fds() -> set[int]:
    """The fds open in this process (without the one listing them)."""
    fds = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the directory fd of the listing itself, already closed
        if not target.startswith("/proc/"):
            fds.add(int(name))
    return fds


async def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


async def settle_fds(baseline: set[int], timeout: float = 3.0) -> None:
    """Wait until no fd beyond ``baseline`` is open (fail with the leaked ones)."""
    try:
        await wait_until(lambda: not (open_fds() - baseline), timeout)
    except AssertionError:
        leaked = {fd: os.readlink(f"/proc/self/fd/{fd}") for fd in open_fds() - baseline}
        raise AssertionError(f"fds leaked: {leaked}") from None


# ---------------------------------------------------------------------------
# a small "generated" interface
# ---------------------------------------------------------------------------

PATH = "/org/qdbusgen/Robust"
IFACE = "org.qdbusgen.Robust1"

ROBUST_XML = f"""<interface name="{IFACE}">
    <method name="Echo"><arg type="s" direction="in"/><arg type="s" direction="out"/></method>
    <method name="TakeFd"><arg type="h" direction="in"/><arg type="i" direction="out"/></method>
    <method name="Pair"><arg type="s" direction="out"/><arg type="i" direction="out"/></method>
    <method name="Sleep"><arg type="d" direction="in"/></method>
    <method name="SlowPipe"><arg type="d" direction="in"/><arg type="v" direction="out"/></method>
    <property name="Name" type="s" access="readwrite"/>
    <property name="Count" type="i" access="read"/>
    <property name="Token" type="s" access="write"/>
    <signal name="Changed"><arg type="s"/></signal>
  </interface>"""


class RobustServer(rt.ServerBase):
    __test__ = False
    INTERFACE = IFACE
    _METHODS = {
        "Echo": rt.MethodSpec("Echo", "s", "s", "echo"),
        "TakeFd": rt.MethodSpec("TakeFd", "h", "i", "take_fd"),
        "Pair": rt.MethodSpec("Pair", "", "si", "pair", multiple_out=True),
        "Sleep": rt.MethodSpec("Sleep", "d", "", "sleep"),
        "SlowPipe": rt.MethodSpec("SlowPipe", "d", "v", "slow_pipe"),
    }
    _PROPERTIES = {
        "Name": rt.PropertySpec("Name", "s", "readwrite", getter="get_name", setter="set_name"),
        "Count": rt.PropertySpec("Count", "i", "read", getter="get_count"),
        "Token": rt.PropertySpec("Token", "s", "write", setter="set_token"),
    }
    _SIGNALS = {"Changed": rt.SignalSpec("Changed", "s")}
    _INTROSPECTION_XML = ROBUST_XML

    def __init__(self) -> None:
        self.name = "initial"
        self.calls = 0
        self.pair_result: Any = ("a", 1)
        self.sleeping = 0

    async def echo(self, text: str) -> str:
        self.calls += 1
        return text

    async def take_fd(self, fd: int) -> int:
        self.calls += 1
        os.close(fd)
        return 1

    async def pair(self) -> tuple[str, int]:
        return self.pair_result  # type: ignore[no-any-return]

    async def sleep(self, seconds: float) -> None:
        self.sleeping += 1
        try:
            await asyncio.sleep(seconds)
        finally:
            self.sleeping -= 1

    async def slow_pipe(self, seconds: float) -> Variant:
        await asyncio.sleep(seconds)
        r, w = os.pipe()
        os.close(w)
        return Variant("h", rt.transfer_fd(r))

    async def get_name(self) -> str:
        return self.name

    async def set_name(self, value: str) -> None:
        self.name = value

    async def get_count(self) -> int:
        return 7

    async def set_token(self, value: str) -> None:
        pass


class RobustProxy(rt.ProxyBase):
    __test__ = False
    INTERFACE = IFACE

    async def echo(self, text: str) -> str:
        (out,) = await self._call("Echo", "s", [text], "s")
        return out  # type: ignore[no-any-return]

    async def pair(self) -> tuple[str, int]:
        out = await self._call("Pair", "", [], "si")
        return (out[0], out[1])

    async def sleep(self, seconds: float) -> None:
        await self._call("Sleep", "d", [seconds], "")


async def p2p_pair(**kw: Any) -> tuple[Any, Any]:
    """(server end from accept_p2p, client end from connect_p2p) on a socketpair."""
    a, b = socket.socketpair()
    server = asyncio.ensure_future(rt.accept_p2p(a, **kw))
    client = await rt.connect_p2p(b)
    return await server, client


async def close_pair(*buses: Any) -> None:
    for b in buses:
        if b.connected:
            b.disconnect()
    for b in buses:
        await asyncio.wait_for(b.wait_for_disconnect(), 3)


class ReplyRecorder:
    """Records every METHOD_RETURN / ERROR a connection receives (before dbus-fast drops it)."""

    def __init__(self, bus: Any) -> None:
        self.replies: dict[int, Message] = {}
        bus.add_message_handler(self)

    def __call__(self, msg: Message) -> None:
        if msg.message_type in (MessageType.METHOD_RETURN, MessageType.ERROR):
            self.replies[msg.reply_serial] = msg


def call_msg(
    member: str,
    signature: str = "",
    body: list[Any] | None = None,
    *,
    path: str = PATH,
    interface: str | None = IFACE,
    unix_fds: list[int] | None = None,
    flags: MessageFlag = MessageFlag.NONE,
) -> Message:
    return Message(
        path=path,
        interface=interface,
        member=member,
        signature=signature,
        body=body or [],
        unix_fds=unix_fds or [],
        flags=flags,
    )


async def raw_call(bus: Any, msg: Message) -> Message:
    reply = await asyncio.wait_for(bus.call(msg), 3)
    assert reply is not None
    return reply  # type: ignore[no-any-return]


def error_name(reply: Message) -> str | None:
    assert reply.message_type in (MessageType.ERROR, MessageType.METHOD_RETURN)
    return reply.error_name if reply.message_type is MessageType.ERROR else None


# ---------------------------------------------------------------------------
# accept_p2p: our SASL server against hostile clients
# ---------------------------------------------------------------------------

OUR_UID_HEX = str(os.getuid()).encode().hex()


async def run_server_auth(
    script: Callable[[socket.socket, asyncio.AbstractEventLoop], Coroutine[Any, Any, None]],
    *,
    auth_timeout: float = 2.0,
    uids: list[int] | None = None,
) -> BaseException | Any:
    """Run accept_p2p on one end while ``script`` plays the client on the other.

    Returns the exception accept_p2p raised (or the bus it returned).  Checks
    that the runtime closed its end and that nothing leaked.
    """
    baseline = open_fds()
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    b.setblocking(False)
    server = asyncio.ensure_future(rt.accept_p2p(a, uids=uids, auth_timeout=auth_timeout))
    try:
        await script(b, loop)
        try:
            result: Any = await asyncio.wait_for(server, auth_timeout + 2)
        except BaseException as e:  # noqa: BLE001 - the result under test
            result = e
    finally:
        server.cancel()
        b.close()
    if isinstance(result, BaseException):
        assert a.fileno() == -1, "accept_p2p left its socket open after failing"
        await settle_fds(baseline)
    return result


async def recv_line(b: socket.socket, loop: asyncio.AbstractEventLoop) -> bytes:
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = await asyncio.wait_for(loop.sock_recv(b, 1), 3)
        if not chunk:
            return buf
        buf += chunk
    return buf


@pytest.mark.parametrize(
    "data, message",
    [
        (b"GARBAGE\r\n", "NUL"),
        (b"\0" + b"A" * (17 * 1024), "too long"),
        (b"\0AUTH EXT", "closed"),
        (b"\0\xff\xfe\r\n", "ASCII"),
        (b"\0BEGIN\r\n", "BEGIN before"),
        (b"\0" + b"FOO\r\n" * 100, "too many"),
        (b"", "NUL"),
    ],
    ids=["no-nul", "overlong-line", "early-eof", "non-ascii", "begin-first", "flood", "empty"],
)
@async_test
async def test_accept_p2p_garbage_fails_fast(data: bytes, message: str) -> None:
    async def script(b: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        try:
            await loop.sock_sendall(b, data)
        except OSError:
            pass  # the server may already have hung up
        b.shutdown(socket.SHUT_WR)

    t0 = asyncio.get_running_loop().time()
    result = await run_server_auth(script, auth_timeout=5)
    assert isinstance(result, AuthError), repr(result)
    assert not isinstance(result, AuthTimeoutError), repr(result)
    assert message in str(result)
    assert asyncio.get_running_loop().time() - t0 < 2


@async_test
async def test_accept_p2p_peer_hangs_up_while_we_answer() -> None:
    """A client that sends a command and vanishes gets an AuthError, not a raw OSError."""

    async def script(b: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        await loop.sock_sendall(b, b"\0" + b"AUTH FOO\r\n" * 40)
        b.close()

    for _ in range(5):
        result = await run_server_auth(script)
        assert isinstance(result, AuthError), repr(result)


@pytest.mark.parametrize(
    "line",
    [b"AUTH EXTERNAL\n", b"AUTH EXTERNAL", b"\0AUTH EXTERNAL " + OUR_UID_HEX.encode() + b"\r"],
    ids=["lf-only", "no-eol", "cr-only"],
)
@async_test
async def test_accept_p2p_line_without_crlf_is_bounded_by_auth_timeout(line: bytes) -> None:
    async def script(b: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        await loop.sock_sendall(b, line if line.startswith(b"\0") else b"\0" + line)

    t0 = asyncio.get_running_loop().time()
    result = await run_server_auth(script, auth_timeout=0.3)
    assert isinstance(result, AuthTimeoutError), repr(result)
    assert asyncio.get_running_loop().time() - t0 < 1.5


@async_test
async def test_accept_p2p_slow_loris_is_bounded_by_auth_timeout() -> None:
    async def script(b: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        async def drip() -> None:
            await loop.sock_sendall(b, b"\0")
            try:
                for _ in range(1000):  # one byte every 20 ms, never a whole line
                    await loop.sock_sendall(b, b"A")
                    await asyncio.sleep(0.02)
            except OSError:
                pass

        task = asyncio.ensure_future(drip())
        await asyncio.sleep(0.6)
        task.cancel()

    t0 = asyncio.get_running_loop().time()
    result = await run_server_auth(script, auth_timeout=0.4)
    assert isinstance(result, AuthTimeoutError), repr(result)
    assert asyncio.get_running_loop().time() - t0 < 2


@async_test
async def test_accept_p2p_rejects_wrong_mechanism_and_wrong_uid() -> None:
    answers: list[bytes] = []

    async def script(b: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        await loop.sock_sendall(b, b"\0AUTH ANONYMOUS\r\n")
        answers.append(await recv_line(b, loop))
        await loop.sock_sendall(b, b"AUTH DBUS_COOKIE_SHA1 30\r\n")
        answers.append(await recv_line(b, loop))
        # our real uid, but the server only accepts another one
        await loop.sock_sendall(b, b"AUTH EXTERNAL " + OUR_UID_HEX.encode() + b"\r\n")
        answers.append(await recv_line(b, loop))
        # identity from the socket credentials, in the DATA exchange
        await loop.sock_sendall(b, b"AUTH EXTERNAL\r\n")
        answers.append(await recv_line(b, loop))
        await loop.sock_sendall(b, b"DATA\r\n")
        answers.append(await recv_line(b, loop))
        # a claimed identity that is not hex
        await loop.sock_sendall(b, b"AUTH EXTERNAL zz\r\n")
        answers.append(await recv_line(b, loop))
        await loop.sock_sendall(b, b"BEGIN\r\n")

    result = await run_server_auth(script, uids=[os.getuid() + 4242])
    assert isinstance(result, AuthError), repr(result)
    assert answers == [
        b"REJECTED EXTERNAL\r\n",
        b"REJECTED EXTERNAL\r\n",
        b"REJECTED EXTERNAL\r\n",
        b"DATA\r\n",
        b"REJECTED EXTERNAL\r\n",
        b"REJECTED EXTERNAL\r\n",
    ]


@async_test
async def test_accept_p2p_message_in_the_same_read_as_begin() -> None:
    """A client that pipelines the whole handshake and its first call in one write."""
    ping = Message(
        path="/", interface="org.freedesktop.DBus.Peer", member="Ping", serial=1
    )._marshall(True)
    got: list[bytes] = []

    async def script(b: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        await loop.sock_sendall(
            b,
            b"\0AUTH EXTERNAL "
            + OUR_UID_HEX.encode()
            + b"\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n"
            + bytes(ping),
        )
        got.append(await recv_line(b, loop))
        got.append(await recv_line(b, loop))
        # the reply to Ping: a METHOD_RETURN ('l' endianness, type 2)
        reply = await asyncio.wait_for(loop.sock_recv(b, 4096), 3)
        got.append(reply[:2])

    server_bus = await run_server_auth(script)
    try:
        assert not isinstance(server_bus, BaseException), repr(server_bus)
        assert got[0].startswith(b"OK ") and got[1] == b"AGREE_UNIX_FD\r\n"
        assert got[2] == b"l\x02"
    finally:
        if not isinstance(server_bus, BaseException):
            server_bus.disconnect()
            await asyncio.wait_for(server_bus.wait_for_disconnect(), 3)


# ---------------------------------------------------------------------------
# connect_p2p: our SASL client against hostile servers
# ---------------------------------------------------------------------------


async def run_client_auth(
    answer: bytes | list[bytes] | None, *, auth_timeout: float = 2.0
) -> BaseException | Any:
    """connect_p2p on one end; the other end reads the client's first line and sends ``answer``.

    ``answer`` None closes the connection instead; a list is sent one item
    per line the client sends.
    """
    baseline = open_fds()
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    b.setblocking(False)
    client = asyncio.ensure_future(rt.connect_p2p(a, auth_timeout=auth_timeout))
    try:
        assert await asyncio.wait_for(loop.sock_recv(b, 1), 3) == b"\0"
        assert (await recv_line(b, loop)).startswith(b"AUTH EXTERNAL ")
        if isinstance(answer, list):
            for i, line in enumerate(answer):
                if i:
                    await recv_line(b, loop)
                await loop.sock_sendall(b, line)
        elif answer is None:
            b.close()
        elif answer:
            try:
                await loop.sock_sendall(b, answer)
            except OSError:
                pass
        try:
            result: Any = await asyncio.wait_for(client, auth_timeout + 2)
        except BaseException as e:  # noqa: BLE001 - the result under test
            result = e
    finally:
        client.cancel()
        b.close()
    assert isinstance(result, BaseException), f"connect_p2p succeeded: {result!r}"
    assert a.fileno() == -1, "connect_p2p left its socket open after failing"
    await settle_fds(baseline)
    return result


@pytest.mark.parametrize(
    "answer",
    [
        b"HELLO THERE\r\n",
        b"REJECTED EXTERNAL\r\n",
        None,
        b"\xff\xfe\xfd\r\n",
        b"X" * (17 * 1024),
        [b"OK 0123456789abcdef0123456789abcdef\r\n", b"ERROR no fds here\r\n"],
        b"DATA\r\n",
    ],
    ids=["garbage", "rejected", "closed", "non-utf8", "overlong", "no-fd-passing", "data"],
)
@async_test
async def test_connect_p2p_fails_cleanly_against_a_bad_server(answer: bytes | None) -> None:
    t0 = asyncio.get_running_loop().time()
    result = await run_client_auth(answer)
    assert isinstance(result, AuthError), repr(result)
    assert not isinstance(result, AuthTimeoutError), repr(result)
    assert asyncio.get_running_loop().time() - t0 < 2


@async_test
async def test_connect_p2p_against_a_silent_server_times_out() -> None:
    t0 = asyncio.get_running_loop().time()
    result = await run_client_auth(b"", auth_timeout=0.3)
    assert isinstance(result, AuthTimeoutError), repr(result)
    assert asyncio.get_running_loop().time() - t0 < 1.5


# ---------------------------------------------------------------------------
# server dispatch: malformed calls get the right error and leak nothing
# ---------------------------------------------------------------------------

UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
UNKNOWN_INTERFACE = "org.freedesktop.DBus.Error.UnknownInterface"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"
UNKNOWN_PROPERTY = "org.freedesktop.DBus.Error.UnknownProperty"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
READ_ONLY = "org.freedesktop.DBus.Error.PropertyReadOnly"
FAILED = "org.freedesktop.DBus.Error.Failed"
PROPS = "org.freedesktop.DBus.Properties"

BAD_CALLS: list[tuple[str, Message, str | None]] = [
    ("wrong-signature", call_msg("Echo", "i", [1]), INVALID_ARGS),
    ("missing-args", call_msg("Echo"), INVALID_ARGS),
    ("unknown-member", call_msg("Nope"), UNKNOWN_METHOD),
    (
        "unknown-interface",
        call_msg("Echo", "s", ["x"], interface="org.qdbusgen.Nope1"),
        UNKNOWN_INTERFACE,
    ),
    ("unknown-path", call_msg("Echo", "s", ["x"], path="/org/qdbusgen/Nowhere"), UNKNOWN_OBJECT),
    ("no-interface-wrong-sig", call_msg("Echo", "u", [1], interface=None), UNKNOWN_METHOD),
    ("no-interface-ok", call_msg("Echo", "s", ["x"], interface=None), None),
    ("get-unknown-prop", call_msg("Get", "ss", [IFACE, "Nope"], interface=PROPS), UNKNOWN_PROPERTY),
    ("get-wrong-types", call_msg("Get", "si", [IFACE, 3], interface=PROPS), INVALID_ARGS),
    (
        "get-unknown-iface",
        call_msg("Get", "ss", ["org.x.Nope1", "Name"], interface=PROPS),
        UNKNOWN_INTERFACE,
    ),
    ("get-write-only", call_msg("Get", "ss", [IFACE, "Token"], interface=PROPS), INVALID_ARGS),
    ("get-any-iface", call_msg("Get", "ss", ["", "Count"], interface=PROPS), None),
    ("getall-wrong-type", call_msg("GetAll", "i", [1], interface=PROPS), INVALID_ARGS),
    (
        "getall-unknown-iface",
        call_msg("GetAll", "s", ["org.x.Nope1"], interface=PROPS),
        UNKNOWN_INTERFACE,
    ),
    (
        "set-read-only",
        call_msg("Set", "ssv", [IFACE, "Count", Variant("i", 1)], interface=PROPS),
        READ_ONLY,
    ),
    (
        "set-wrong-variant",
        call_msg("Set", "ssv", [IFACE, "Name", Variant("i", 1)], interface=PROPS),
        INVALID_ARGS,
    ),
    ("set-wrong-args", call_msg("Set", "ss", [IFACE, "Name"], interface=PROPS), INVALID_ARGS),
    (
        "set-unknown-prop",
        call_msg("Set", "ssv", [IFACE, "Nope", Variant("s", "")], interface=PROPS),
        UNKNOWN_PROPERTY,
    ),
    ("props-unknown-member", call_msg("Frob", "s", [IFACE], interface=PROPS), UNKNOWN_METHOD),
    (
        "introspect-with-args",
        call_msg("Introspect", "s", ["x"], interface="org.freedesktop.DBus.Introspectable"),
        INVALID_ARGS,
    ),
    ("peer-unknown", call_msg("Pong", interface="org.freedesktop.DBus.Peer"), UNKNOWN_METHOD),
]


@async_test
async def test_bad_calls_get_the_right_errors() -> None:
    server_bus, client_bus = await p2p_pair()
    impl = RobustServer()
    impl.export(server_bus, PATH)
    try:
        for label, msg, expected in BAD_CALLS:
            msg.serial = 0
            reply = await raw_call(client_bus, msg)
            assert error_name(reply) == expected, (label, reply.error_name, reply.body)
        assert impl.name == "initial"
        assert impl.calls == 1
    finally:
        await close_pair(client_bus, server_bus)


@async_test
async def test_introspect_on_odd_paths() -> None:
    server_bus, client_bus = await p2p_pair()
    RobustServer().export(server_bus, PATH)
    intro = "org.freedesktop.DBus.Introspectable"
    try:
        for path, child in [("/", "org"), ("/org", "qdbusgen"), ("/org/qdbusgen", "Robust")]:
            reply = await raw_call(client_bus, call_msg("Introspect", path=path, interface=intro))
            assert reply.message_type is MessageType.METHOD_RETURN, (path, reply.body)
            assert f'<node name="{child}"/>' in reply.body[0]
        reply = await raw_call(client_bus, call_msg("Introspect", interface=intro))
        assert IFACE in reply.body[0]
        # below an object, and a sibling: no children, nothing of ours
        for path in (PATH + "/below", "/org/qdbusgen/Robus"):
            reply = await raw_call(client_bus, call_msg("Introspect", path=path, interface=intro))
            assert reply.message_type is MessageType.METHOD_RETURN, (path, reply.body)
            assert IFACE not in reply.body[0]
    finally:
        await close_pair(client_bus, server_bus)


@async_test
async def test_no_reply_expected_is_honoured_even_for_errors() -> None:
    server_bus, client_bus = await p2p_pair()
    impl = RobustServer()
    impl.export(server_bus, PATH)
    recorder = ReplyRecorder(client_bus)
    intro = "org.freedesktop.DBus.Introspectable"
    msgs = [m for _, m, _ in BAD_CALLS] + [
        call_msg("Echo", "s", ["fine"]),
        call_msg("Get", "ss", [IFACE, "Name"], interface=PROPS),
        call_msg("GetAll", "s", [IFACE], interface=PROPS),
        call_msg("Set", "ssv", [IFACE, "Name", Variant("s", "quiet")], interface=PROPS),
        call_msg("Introspect", interface=intro),
        call_msg("Introspect", path="/", interface=intro),
        call_msg("Ping", interface="org.freedesktop.DBus.Peer"),
        call_msg("Pair"),
    ]
    try:
        sent = []
        for msg in msgs:
            msg.serial = 0
            msg.flags = MessageFlag.NO_REPLY_EXPECTED
            await client_bus.send(msg)
            sent.append(msg.serial)
        impl.pair_result = None  # a handler bug, on a no-reply call
        await asyncio.sleep(0.1)
        # a round trip after them all: every reply would have arrived by now
        await raw_call(client_bus, call_msg("Ping", interface="org.freedesktop.DBus.Peer"))
        await asyncio.sleep(0.05)
        stray = {s: recorder.replies[s] for s in sent if s in recorder.replies}
        assert not stray, {s: (m.error_name, m.body) for s, m in stray.items()}
        assert impl.name == "quiet"
    finally:
        await close_pair(client_bus, server_bus)


@async_test
async def test_fds_the_handler_cannot_take_are_closed() -> None:
    server_bus, client_bus = await p2p_pair()
    impl = RobustServer()
    impl.export(server_bus, PATH)
    baseline = open_fds()
    try:
        cases: list[tuple[Message, str | None]] = [
            # fds attached, but nothing in the signature can carry them
            (call_msg("Echo", "s", ["x"]), None),
            # fd index out of range
            (call_msg("TakeFd", "h", [5]), INVALID_ARGS),
            # fds on calls that are refused before any handler runs
            (call_msg("Echo", "h", [0]), INVALID_ARGS),
            (call_msg("Nope", "h", [0]), UNKNOWN_METHOD),
            (call_msg("Echo", "h", [0], interface="org.qdbusgen.Nope1"), UNKNOWN_INTERFACE),
            (call_msg("Echo", "h", [0], path="/org/qdbusgen/Nowhere"), UNKNOWN_OBJECT),
            (
                call_msg("Set", "ssv", [IFACE, "Name", Variant("h", 0)], interface=PROPS),
                INVALID_ARGS,
            ),
            (call_msg("Set", "ssv", [IFACE, "Count", Variant("h", 0)], interface=PROPS), READ_ONLY),
            (call_msg("Get", "ss", [IFACE, "Name"], interface=PROPS), None),
            (call_msg("Ping", interface="org.freedesktop.DBus.Peer"), None),
            (
                call_msg("Introspect", path="/", interface="org.freedesktop.DBus.Introspectable"),
                None,
            ),
        ]
        for msg, expected in cases:
            r, w = os.pipe()
            msg.serial = 0
            msg.unix_fds = [r, w]
            try:
                reply = await raw_call(client_bus, msg)
            finally:
                os.close(r)
                os.close(w)
            assert error_name(reply) == expected, (msg.member, msg.path, reply.body)
        # the same without waiting for a reply
        for msg, _ in cases:
            r, w = os.pipe()
            msg.serial = 0
            msg.flags = MessageFlag.NO_REPLY_EXPECTED
            msg.unix_fds = [r, w]
            try:
                await client_bus.send(msg)
            finally:
                os.close(r)
                os.close(w)
        await raw_call(client_bus, call_msg("Ping", interface="org.freedesktop.DBus.Peer"))
        await settle_fds(baseline)
    finally:
        await close_pair(client_bus, server_bus)


@async_test
async def test_fds_in_unwanted_signals_and_stray_replies_are_closed() -> None:
    server_bus, client_bus = await p2p_pair()
    proxy = RobustProxy(client_bus, None, PATH)
    got: list[Any] = []
    sub = await proxy._subscribe("Changed", got.append, signature="s")
    baseline = open_fds()
    try:
        hostile = [
            # nobody subscribed to this signal
            Message(
                message_type=MessageType.SIGNAL,
                path=PATH,
                interface=IFACE,
                member="Other",
                signature="h",
                body=[0],
            ),
            # subscribed, but the wrong signature
            Message(
                message_type=MessageType.SIGNAL,
                path=PATH,
                interface=IFACE,
                member="Changed",
                signature="h",
                body=[0],
            ),
            # subscribed, right signature, fds attached anyway
            Message(
                message_type=MessageType.SIGNAL,
                path=PATH,
                interface=IFACE,
                member="Changed",
                signature="s",
                body=["x"],
            ),
            # replies to calls never made
            Message(
                message_type=MessageType.METHOD_RETURN, reply_serial=4242, signature="h", body=[0]
            ),
            Message(
                message_type=MessageType.ERROR,
                reply_serial=4243,
                error_name="org.x.E",
                signature="h",
                body=[0],
            ),
        ]
        for msg in hostile:
            r, w = os.pipe()
            msg.unix_fds = [r, w]
            try:
                await server_bus.send(msg)
            finally:
                os.close(r)
                os.close(w)
        await wait_until(lambda: got == [["x"]])
        await raw_call(client_bus, call_msg("Ping", interface="org.freedesktop.DBus.Peer"))
        await settle_fds(baseline)
    finally:
        await sub.cancel()
        await close_pair(client_bus, server_bus)


@async_test
async def test_handler_returning_a_bad_value_gets_an_error_not_a_hang(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server_bus, client_bus = await p2p_pair()
    impl = RobustServer()
    impl.export(server_bus, PATH)
    proxy = RobustProxy(client_bus, None, PATH, timeout=3)
    try:
        for bad in (None, 5, ("a",), ("a", 1, 2), ("a", "b"), [1, "a"]):
            impl.pair_result = bad
            with caplog.at_level(logging.ERROR):
                with pytest.raises(rt.DBusError) as info:
                    await proxy.pair()
            assert info.value.name == FAILED, (bad, info.value)
            assert "Traceback" not in info.value.text
        impl.pair_result = ("ok", 2)
        assert await proxy.pair() == ("ok", 2)
    finally:
        await close_pair(client_bus, server_bus)


@async_test
async def test_fds_of_a_reply_that_comes_after_the_timeout_are_closed() -> None:
    server_bus, client_bus = await p2p_pair()
    RobustServer().export(server_bus, PATH)
    proxy = RobustProxy(client_bus, None, PATH, timeout=0.05)
    baseline = open_fds()
    try:
        with pytest.raises(rt.DBusError) as info:
            await proxy._call("SlowPipe", "d", [0.2], "v")
        assert info.value.name == "org.freedesktop.DBus.Error.NoReply"
        await asyncio.sleep(0.3)
        await raw_call(client_bus, call_msg("Ping", interface="org.freedesktop.DBus.Peer"))
        await settle_fds(baseline)
    finally:
        await close_pair(client_bus, server_bus)


# ---------------------------------------------------------------------------
# concurrency
# ---------------------------------------------------------------------------


@async_test
async def test_many_concurrent_calls() -> None:
    server_bus, client_bus = await p2p_pair()
    impl = RobustServer()
    impl.export(server_bus, PATH)
    proxy = RobustProxy(client_bus, None, PATH, timeout=5)
    try:
        texts = [f"call-{i}" * (i % 7 + 1) for i in range(500)]
        assert await asyncio.gather(*(proxy.echo(t) for t in texts)) == texts
        assert impl.calls == 500
    finally:
        await close_pair(client_bus, server_bus)


@async_test
async def test_unexport_during_an_inflight_call() -> None:
    server_bus, client_bus = await p2p_pair()
    impl = RobustServer()
    impl.export(server_bus, PATH)
    proxy = RobustProxy(client_bus, None, PATH, timeout=3)
    try:
        call = asyncio.ensure_future(proxy.sleep(0.2))
        await wait_until(lambda: impl.sleeping == 1)
        impl.unexport()
        await call  # the call already running still gets its reply
        with pytest.raises(rt.DBusError) as info:
            await proxy.echo("gone")
        assert info.value.name == UNKNOWN_OBJECT
    finally:
        await close_pair(client_bus, server_bus)


@pytest.mark.parametrize("side", ["server", "client"])
@async_test
async def test_disconnect_during_calls_raises_disconnected(
    side: str, caplog: pytest.LogCaptureFixture
) -> None:
    server_bus, client_bus = await p2p_pair()
    impl = RobustServer()
    impl.export(server_bus, PATH)
    proxy = RobustProxy(client_bus, None, PATH)  # no timeout: a lost reply would hang
    calls = [asyncio.ensure_future(proxy.sleep(0.2)) for _ in range(20)]
    calls += [asyncio.ensure_future(proxy._call("SlowPipe", "d", [0.2], "v")) for _ in range(5)]
    await wait_until(lambda: impl.sleeping == 20)
    (server_bus if side == "server" else client_bus).disconnect()
    results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 2)
    assert all(isinstance(r, rt.DisconnectedError) for r in results), results
    with pytest.raises(rt.DisconnectedError):
        await proxy.echo("after")
    await close_pair(client_bus, server_bus)
    # the handlers still running finish quietly, with nobody to reply to
    with caplog.at_level(logging.DEBUG):
        await wait_until(lambda: impl.sleeping == 0)
        await asyncio.sleep(0.25)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.records


@async_test
async def test_signal_callbacks_that_raise_are_logged_and_do_not_stop_delivery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server_bus, client_bus = await p2p_pair()
    impl = RobustServer()
    impl.export(server_bus, PATH)
    proxy = RobustProxy(client_bus, None, PATH)
    got: list[str] = []

    def bad_sync(body: list[Any]) -> None:
        raise ValueError("boom-in-sync")

    async def bad_async(body: list[Any]) -> None:
        raise ValueError("boom-in-coroutine")

    subs = [
        await proxy._subscribe("Changed", bad_sync),
        await proxy._subscribe("Changed", bad_async),
        await proxy._subscribe("Changed", lambda body: got.append(body[0])),
    ]
    try:
        with caplog.at_level(logging.ERROR):
            for i in range(3):
                impl._emit_signal("Changed", "s", [f"s{i}"])
            await wait_until(lambda: len(got) == 3)
            await wait_until(
                lambda: sum("boom-in-coroutine" in str(r.exc_info) for r in caplog.records) == 3
            )
        assert got == ["s0", "s1", "s2"]
        assert sum("boom-in-sync" in str(r.exc_info) for r in caplog.records) == 3
    finally:
        for sub in subs:
            await sub.cancel()
        await close_pair(client_bus, server_bus)


@async_test
async def test_subscriptions_cancelled_twice_and_after_disconnect(bus: Any) -> None:
    server = await rt.connect(bus.address)
    await server.request_name("org.qdbusgen.Robust")
    impl = RobustServer()
    impl.export(server, PATH)
    client = await rt.connect(bus.address)
    proxy = RobustProxy(client, "org.qdbusgen.Robust", PATH)
    got: list[Any] = []
    try:
        sub1 = await proxy._subscribe("Changed", got.append)
        sub2 = await proxy._subscribe("Changed", got.append)
        stream = await proxy._signals("Changed", maxsize=2)
        # twice, and twice at once
        await sub1.cancel()
        await sub1.cancel()
        await asyncio.gather(sub2.cancel(), sub2.cancel())
        assert not sub1.active and not sub2.active
        impl._emit_signal("Changed", "s", ["x"])
        for i in range(5):
            impl._emit_signal("Changed", "s", [f"q{i}"])
        await wait_until(lambda: stream._queue.qsize() == 2)
        sub3 = await proxy._subscribe("Changed", got.append)
        client.disconnect()
        await asyncio.wait_for(client.wait_for_disconnect(), 3)
        assert not sub3.active and not stream.active
        await sub3.cancel()
        await sub3.cancel()
        # the stream hands out what it queued (the newest two), then ends
        assert [body async for body in stream] == [["q3"], ["q4"]]
        await stream.aclose()
        assert got == []
        with pytest.raises(rt.DisconnectedError):
            await proxy._subscribe("Changed", got.append)
    finally:
        server.disconnect()
        client.disconnect()


@async_test
async def test_many_large_concurrent_calls_through_the_daemon(bus: Any) -> None:
    server = await rt.connect(bus.address)
    client = await rt.connect(bus.address)
    impl = RobustServer()
    impl.export(server, PATH)
    proxy = RobustProxy(client, server.unique_name, PATH, timeout=8)
    try:
        texts = [chr(65 + i % 26) * 65536 for i in range(150)]
        assert await asyncio.gather(*(proxy.echo(t) for t in texts)) == texts
    finally:
        server.disconnect()
        client.disconnect()
