"""Hand-built D-Bus frames and a harness of hostile and well-behaved peers (tests only).

A hostile peer needs to put bytes on the wire that no D-Bus library would write, so the
frames here are assembled byte by byte (``raw_message``); valid bodies come from
dbus-fast's own marshaller.  ``Harness`` runs a server of the runtime under test with one
well-behaved p2p client beside every hostile connection, and measures what the issue asks
to stay bounded: open fds, RSS, tracebacks in the log.
"""

from __future__ import annotations

import array
import asyncio
import logging
import os
import socket
import struct
from collections.abc import Callable
from types import ModuleType
from typing import Any

from dbus_fast import Message, MessageType
from dbus_fast._private.marshaller import Marshaller

PATH = "/org/qdbusgen/Hostile"
GOOD_TEXTS = frozenset({"ready", "still there", "me"})
IFACE = "org.qdbusgen.Hostile1"

HEADER_CODES = {
    "path": (1, "o"),
    "interface": (2, "s"),
    "member": (3, "s"),
    "error_name": (4, "s"),
    "reply_serial": (5, "u"),
    "destination": (6, "s"),
    "sender": (7, "s"),
    "signature": (8, "g"),
    "unix_fds": (9, "u"),
}


def body_bytes(signature: str, body: list[Any]) -> bytes:
    """A valid body, marshalled by dbus-fast (aligned from offset 0, as in a message)."""
    if not signature:
        return b""
    return bytes(Marshaller(signature, body).marshall())


def _field(out: bytearray, code: int, typ: str, value: Any, u32: struct.Struct) -> None:
    out += b"\0" * (-len(out) % 8)
    out += bytes([code, 1, ord(typ), 0])
    if typ in "so":
        raw = value if isinstance(value, bytes) else value.encode()
        out += u32.pack(len(raw)) + raw + b"\0"
    elif typ == "g":
        raw = value if isinstance(value, bytes) else value.encode()
        out += bytes([len(raw)]) + raw + b"\0"
    else:
        out += u32.pack(value)


def raw_message(
    *,
    mtype: int = 1,
    flags: int = 0,
    serial: int = 1,
    body: bytes = b"",
    endian: str = "l",
    raw_fields: bytes | None = None,
    **fields: Any,
) -> bytes:
    """A frame with exactly the given header fields (``path=``, ``member=``, ...; None = absent)."""
    u32 = struct.Struct("<I" if endian == "l" else ">I")
    out = bytearray()
    if raw_fields is not None:
        out += raw_fields
    for name, value in fields.items():
        if value is None:
            continue
        code, typ = HEADER_CODES[name]
        _field(out, code, typ, value, u32)
    head = (
        endian.encode()
        + bytes([mtype, flags, 1])
        + u32.pack(len(body))
        + u32.pack(serial)
        + u32.pack(len(out))
    )
    frame = head + bytes(out)
    frame += b"\0" * (-len(frame) % 8)
    return frame + body


def call(
    member: str, signature: str = "", body: bytes | list[Any] = b"", serial: int = 7, **kw: Any
) -> bytes:
    """A METHOD_CALL frame to the test object (body given as bytes, or values to marshal)."""
    raw = body if isinstance(body, bytes) else body_bytes(signature, body)
    kw.setdefault("path", PATH)
    kw.setdefault("interface", IFACE)
    return raw_message(serial=serial, member=member, signature=signature or None, body=raw, **kw)


def open_fds() -> set[int]:
    fds = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if not target.startswith("/proc/"):
            fds.add(int(name))
    return fds


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")  # pragma: no cover


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def server_class(rt: ModuleType) -> type:
    """A server with the shapes the audit used (strings, fds, variants, blobs, signals)."""

    class HostileTarget(rt.ServerBase):  # type: ignore[misc, name-defined]
        INTERFACE = IFACE
        _METHODS = {
            "Echo": rt.MethodSpec("Echo", "s", "s", "echo"),
            "EchoPath": rt.MethodSpec("EchoPath", "o", "o", "echo_path"),
            "EchoBool": rt.MethodSpec("EchoBool", "b", "b", "echo_bool"),
            "EchoVariant": rt.MethodSpec("EchoVariant", "v", "v", "echo_variant"),
            "TakeFd": rt.MethodSpec("TakeFd", "h", "i", "take_fd"),
            "TakeFds": rt.MethodSpec("TakeFds", "ah", "i", "take_fds"),
            "EchoFds": rt.MethodSpec("EchoFds", "ah", "ah", "echo_fds"),
            "Options": rt.MethodSpec("Options", "a{sv}", "i", "options"),
            "Nothing": rt.MethodSpec("Nothing", "", "", "nothing"),
            "Blob": rt.MethodSpec("Blob", "u", "ay", "blob"),
            "Length": rt.MethodSpec("Length", "ay", "u", "length"),
            "Measure": rt.MethodSpec("Measure", "xdyay", "xdyu", "measure", multiple_out=True),
        }
        _PROPERTIES = {
            "Name": rt.PropertySpec("Name", "s", "readwrite", getter="get_name", setter="set_name")
        }
        _SIGNALS = {"Tick": rt.SignalSpec("Tick", "s")}
        _INTROSPECTION_XML = f'<interface name="{IFACE}"/>'

        def __init__(self) -> None:
            self.calls = 0
            self.fd_numbers: list[int] = []
            self.keep = False
            self.kept: list[int] = []
            self.lengths: list[int] = []

        async def echo(self, text: str) -> str:
            if text not in GOOD_TEXTS:  # the well-behaved client's calls are not counted
                self.calls += 1
            return text

        async def echo_path(self, path: str) -> str:
            return path

        async def echo_bool(self, value: bool) -> bool:
            return value

        async def echo_variant(self, value: Any) -> Any:
            return value

        async def take_fd(self, fd: int) -> int:
            self.fd_numbers.append(fd)
            os.close(fd)
            return 1

        async def take_fds(self, fds: list[int]) -> int:
            self.fd_numbers.extend(fds)
            for fd in fds:
                os.close(fd)
            return len(fds)

        async def echo_fds(self, fds: list[int]) -> list[int]:
            return [rt.transfer_fd(fd) for fd in fds]

        async def options(self, opts: dict[str, Any]) -> int:
            self.calls += 1
            if self.keep:
                for v in opts.values():
                    if v.signature == "h":
                        self.kept.append(rt.keep_fd(v.value))
            return len(opts)

        async def nothing(self) -> None:
            self.calls += 1

        async def blob(self, size: int) -> bytes:
            return b"\x5a" * size

        async def length(self, data: bytes) -> int:
            self.lengths.append(len(data))
            return len(data)

        async def measure(
            self, x: int, d: float, y: int, data: bytes
        ) -> tuple[int, float, int, int]:
            self.lengths.append(len(data))
            return x, d, y, len(data)

        async def get_name(self) -> str:
            return "name"

        async def set_name(self, value: str) -> None:
            pass

    return HostileTarget


def proxy_class(rt: ModuleType) -> type:
    class HostileProxy(rt.ProxyBase):  # type: ignore[misc, name-defined]
        INTERFACE = IFACE

        async def echo(self, text: str) -> str:
            return (await self._call("Echo", "s", [text], "s"))[0]  # type: ignore[no-any-return]

        async def echo_variant(self, value: Any) -> Any:
            return (await self._call("EchoVariant", "v", [value], "v"))[0]

        async def take_fd(self, fd: int) -> int:
            return (await self._call("TakeFd", "h", [fd], "i"))[0]  # type: ignore[no-any-return]

        async def blob(self, size: int) -> bytes:
            return (await self._call("Blob", "u", [size], "ay"))[0]  # type: ignore[no-any-return]

        async def length(self, data: bytes) -> int:
            return (await self._call("Length", "ay", [data], "u"))[0]  # type: ignore[no-any-return]

    return HostileProxy


class Peer:
    """A connection of ours with its raw socket, to write any bytes and read the replies."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self.sock: socket.socket = bus._sock
        self.replies: dict[int, Message] = {}
        self.signals: list[Message] = []
        bus.add_message_handler(self._record)

    def _record(self, msg: Message) -> None:
        if msg.message_type in (MessageType.METHOD_RETURN, MessageType.ERROR):
            self.replies[msg.reply_serial] = msg
        elif msg.message_type is MessageType.SIGNAL:
            self.signals.append(msg)

    async def send(self, frame: bytes, fds: list[int] | None = None) -> None:
        loop = asyncio.get_running_loop()
        if fds:
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
            sent = self.sock.sendmsg([frame], anc)
            frame = frame[sent:]
        if frame:
            await loop.sock_sendall(self.sock, frame)

    async def reply(self, serial: int, timeout: float = 5.0) -> Message:
        await wait_until(lambda: serial in self.replies or not self.bus.connected, timeout)
        assert serial in self.replies, "disconnected without a reply"
        return self.replies.pop(serial)

    async def disconnected(self, timeout: float = 5.0) -> None:
        await wait_until(lambda: not self.bus.connected, timeout)


class LogWatch(logging.Handler):
    """Every log record of the runtime under test; tracebacks are what must never appear."""

    def __init__(self, name: str) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.logger = logging.getLogger(name)
        self.logger.addHandler(self)
        self.old_level = self.logger.level
        self.logger.setLevel(logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def close(self) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.old_level)
        super().close()

    def tracebacks(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.exc_info]

    def warnings(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.WARNING]


class Harness:
    """A p2p server of the runtime ``rt`` with one well-behaved client; hostile peers on demand."""

    def __init__(self, rt: ModuleType, **limits: Any) -> None:
        self.rt = rt
        self.limits = rt.Limits(**limits) if limits else None
        self.impl = server_class(rt)()
        self.servers: list[Any] = []
        self.clients: list[Any] = []
        self.log = LogWatch(rt.__name__)

    async def connect(self) -> tuple[Any, Any]:
        """(server end, client end) of a new p2p connection served by the harness's object."""
        a, b = socket.socketpair()
        server_f = asyncio.ensure_future(self.rt.accept_p2p(a, limits=self.limits))
        client = await self.rt.connect_p2p(b)
        server = await server_f
        self.impl.export(server, PATH)
        self.servers.append(server)
        self.clients.append(client)
        return server, client

    async def start(self) -> None:
        _, good = await self.connect()
        self.good = proxy_class(self.rt)(good, None, PATH, timeout=5)
        await self.good.echo("ready")
        self.fds0 = open_fds()
        self.rss0 = rss_mib()

    async def hostile(self) -> Peer:
        _, client = await self.connect()
        return Peer(client)

    async def assert_still_serving(self, *, fd_slack: int = 4, rss_slack_mib: float = 64) -> None:
        """The well-behaved client is answered promptly; fds, RSS bounded; no traceback."""
        loop = asyncio.get_running_loop()
        t = loop.time()
        assert await self.good.echo("still there") == "still there"
        assert loop.time() - t < 2.0
        # hostile connections closed by now do not count; the harness's own ones do
        await asyncio.sleep(0.05)
        extra = open_fds() - self.fds0
        live = sum(1 for s in self.servers + self.clients if s.connected) - 2
        assert len(extra) <= fd_slack + 2 * live, {
            fd: os.readlink(f"/proc/self/fd/{fd}") for fd in extra
        }
        assert rss_mib() - self.rss0 < rss_slack_mib
        assert not self.log.tracebacks(), self.log.tracebacks()

    async def close(self) -> None:
        for b in self.servers + self.clients:
            if b.connected:
                b.disconnect()
        await asyncio.sleep(0.01)
        self.log.close()
