"""The dbus-fast adapter: every use of a dbus-fast internal in the runtime is here.

The runtime works on dbus-fast 5.2 (``dbus-fast>=5.2,<5.3`` in its
distribution).  Its public API (``MessageBus``, ``Message``, ``Variant``,
signatures, validators) is imported where it is used; what dbus-fast keeps
private is reached only through this module, and :data:`PRIVATE_MEMBERS`
lists all of it.  :func:`check_dbus_fast` runs when the runtime is imported
and refuses, with one message naming what is missing, a dbus-fast whose
internals differ (a ``pip install -U dbus-fast`` past the supported range).

What the internals are used for:

* the inbound boundary (:class:`_InboundGate`): every frame is read here,
  checked by the validator of :mod:`._wire` (bodies by its compiled check
  where built), and only a frame that passed is handed to dbus-fast's
  compiled reader, which reads it from the gate instead of the socket.
  dbus-fast's compiled unmarshaller trusts the frame: a variant whose
  signature is empty makes it dereference a NULL type and the process dies
  with SIGSEGV; an ``h`` index is returned as a raw number when no fds are
  attached; booleans other than 0/1, strings without their NUL and invalid
  object paths pass.  A dbus-daemon filters most of this, a peer-to-peer
  socket filters nothing;
* the limited write queue (:class:`_Writer`, a ``_MessageWriter`` subclass
  that waits on ``EAGAIN`` instead of disconnecting);
* peer-to-peer connections (:class:`_PeerMessageBus`: a socket adopted
  without ``Hello``, both SASL roles);
* the registry's view of the connection (:func:`service_exports`,
  :func:`message_handlers`, reply handlers, :func:`bus_call`).
"""

from __future__ import annotations

import array
import asyncio
import errno
import os
import socket
import struct
import types
import uuid
from collections import deque
from collections.abc import Callable, Collection
from typing import Any, ClassVar, Final, cast

from dbus_fast.aio.message_bus import MessageBus
from dbus_fast.auth import AuthExternal
from dbus_fast.errors import AuthError, AuthTimeoutError, InvalidMessageError
from dbus_fast.constants import MessageFlag, MessageType
from dbus_fast.message import Message

from ._version import DBUS_FAST_RANGE, __version__
from ._base import ERROR_INVALID_ARGS, _ERROR, _LOG, _METHOD_CALL, _NO_REPLY_BIT, _SIGNAL
from .errors import DBusError, DisconnectedError
from ._fds import _close_fds, _send
from ._wire import (
    ERROR_LIMITS_EXCEEDED,
    Limits,
    _BadFds,
    _BadMessage,
    _CHUNK,
    _DEFAULT_LIMITS,
    _Head,
    _InvalidMessageError,
    _MAX_ARRAY_LENGTH,
    _MAX_MESSAGE_SIZE,
    _NO_FDS,
    _UNPACK_HEAD,
    _blob_scalars,
    _check_frame,
    _check_large_frame,
    _frame_length,
    _is_bus_name,
    _limits,
    _quick,
)

#: Every dbus-fast internal the runtime relies on: (owner, attribute, what for).
#: ``Class()`` means an instance attribute: a member of the compiled class, or set
#: by one of the Python ``__init__`` methods of the class.
PRIVATE_MEMBERS: Final[tuple[tuple[str, str, str], ...]] = (
    ("dbus_fast._private.unmarshaller", "Unmarshaller", "reads gated frames"),
    ("dbus_fast.aio.message_reader", "_message_reader", "the compiled read loop"),
    ("dbus_fast.aio.message_reader", "build_message_reader", "replaced in connect"),
    ("dbus_fast.aio.message_bus", "_MessageWriter", "subclassed by the write queue"),
    ("MessageBus.connect", "__globals__", "connect rebuilt with the gated reader"),
    ("MessageBus", "_authenticate", "p2p client SASL"),
    ("MessageBus", "_finalize", "disconnect on a bad peer"),
    ("MessageBus", "_process_message", "the dispatch of a gated frame"),
    ("MessageBus", "_call", "GetNameOwner without a task"),
    ("MessageBus()", "_writer", "the write queue"),
    ("MessageBus()", "_sock", "p2p socket adoption"),
    ("MessageBus()", "_stream", "p2p socket adoption"),
    ("MessageBus()", "_fd", "p2p socket adoption"),
    ("MessageBus()", "_loop", "p2p socket adoption"),
    ("MessageBus()", "_negotiate_unix_fd", "fd passing negotiated"),
    ("MessageBus()", "_user_disconnect", "a write error after disconnect()"),
    ("MessageBus()", "_auth_timeout", "p2p SASL timeout"),
    ("MessageBus()", "_disconnect_future", "p2p EOF"),
    ("MessageBus()", "_disconnected", "p2p socket adoption"),
    ("MessageBus()", "_user_message_handlers", "the registry's handler"),
    ("MessageBus()", "_path_exports", "dbus-fast ServiceInterface exports"),
    ("MessageBus()", "_method_return_handlers", "replies to calls with fds"),
    ("Message", "_marshall", "the write queue's sizes"),
    ("dbus_fast._private.marshaller", "Marshaller", "bodies with large ay, not copied"),
    ("_MessageWriter()", "messages", "the write queue"),
    ("_MessageWriter()", "buf", "the write queue"),
    ("_MessageWriter()", "offset", "the write queue"),
    ("_MessageWriter()", "unix_fds", "the write queue"),
    ("_MessageWriter()", "fut", "the write queue"),
    ("_MessageWriter()", "sock", "the write queue"),
    ("_MessageWriter()", "fd", "the write queue"),
    ("_MessageWriter()", "loop", "the write queue"),
    ("_MessageWriter()", "bus", "the write queue"),
    ("_MessageWriter()", "negotiate_unix_fd", "the write queue"),
)


def _has_instance_member(cls: type, name: str) -> bool:
    if hasattr(cls, name):
        return True
    for klass in cls.__mro__:
        code = getattr(getattr(klass, "__init__", None), "__code__", None)
        if code is not None and name in code.co_names:
            return True
    return False


def _missing_members() -> list[str]:
    import importlib

    modules: dict[str, Any] = {}
    missing = []
    for where, name, _why in PRIVATE_MEMBERS:
        if where.startswith("dbus_fast.") and where not in modules:
            try:
                modules[where] = importlib.import_module(where)
            except ImportError:
                modules[where] = None
    writer = getattr(modules.get("dbus_fast.aio.message_bus"), "_MessageWriter", None)
    owners: dict[str, Any] = {
        **modules,
        "MessageBus": MessageBus,
        "MessageBus.connect": MessageBus.connect,
        "Message": Message,
    }
    instances: dict[str, Any] = {"MessageBus()": MessageBus, "_MessageWriter()": writer}
    for where, name, _why in PRIVATE_MEMBERS:
        if where in instances:
            cls = instances[where]
            found = cls is not None and _has_instance_member(cls, name)
        else:
            owner = owners[where]
            found = owner is not None and hasattr(owner, name)
        if not found:
            missing.append(f"{where}.{name}")
    code = getattr(MessageBus.connect, "__code__", None)
    if code is None or "build_message_reader" not in code.co_names:
        missing.append("MessageBus.connect() calling build_message_reader")
    return missing


def check_dbus_fast() -> None:
    """Raise ImportError unless the installed dbus-fast has every internal in
    :data:`PRIVATE_MEMBERS` (run once, when the runtime is imported)."""
    missing = _missing_members()
    if missing:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("dbus-fast")
        except PackageNotFoundError:  # pragma: no cover - imported, so installed
            installed = "unknown"
        raise ImportError(
            f"qdbusgen-runtime {__version__} supports dbus-fast {DBUS_FAST_RANGE}, whose "
            f"internals it adapts; the installed dbus-fast {installed} lacks "
            f"{', '.join(missing)}. Install dbus-fast{DBUS_FAST_RANGE.replace(' ', '')} "
            "or a qdbusgen-runtime that supports this dbus-fast."
        )


# -- the registry's view of a connection -------------------------------------


def service_exports(bus: MessageBus, path: str) -> Any:
    """dbus-fast ServiceInterface objects exported at ``path`` (None: none)."""
    return bus._path_exports.get(path) or None


def exported_paths(bus: MessageBus) -> Collection[str]:
    """Paths with dbus-fast ServiceInterface exports."""
    return bus._path_exports.keys()


def message_handlers(bus: MessageBus) -> list[Any]:
    """The handlers added with ``bus.add_message_handler`` (in order)."""
    return cast(list[Any], bus._user_message_handlers)


def fds_negotiated(bus: MessageBus) -> bool:
    """True when the connection negotiated Unix fd passing."""
    return bool(bus._negotiate_unix_fd)


def awaits_reply(bus: MessageBus, serial: int) -> bool:
    """True while a call with this serial waits for its reply."""
    return serial in bus._method_return_handlers


def set_reply_handler(
    bus: MessageBus, serial: int, handler: Callable[[Message | None, Exception | None], None]
) -> None:
    """Route the reply to ``serial`` to ``handler`` (as ``bus.call`` does)."""
    bus._method_return_handlers[serial] = handler


def drop_reply_handler(bus: MessageBus, serial: int) -> None:
    bus._method_return_handlers.pop(serial, None)


def send_nowait(bus: MessageBus, msg: Message) -> None:
    """``bus.send(msg)`` without a future: for messages that carry no fds (a write
    error ends the connection, as it does with a future nobody awaits)."""
    writer = bus._writer
    if type(writer) is not _Writer:  # dbus-fast's own writer: with a future, as bus.send
        _send(bus, msg)
        return
    if not msg.serial:
        msg.serial = bus.next_serial()
    writer.schedule_write(msg, None)


def bus_call(
    bus: MessageBus, msg: Message, callback: Callable[[Message | None, Exception | None], None]
) -> None:
    """Send a method call; ``callback(reply, error)`` runs on the reply (no task)."""
    bus._call(msg, callback)


check_dbus_fast()

# checked above: present, so these imports cannot fail
from dbus_fast._private.marshaller import Marshaller  # noqa: E402
from dbus_fast._private.unmarshaller import Unmarshaller  # noqa: E402
from dbus_fast.aio.message_bus import _MessageWriter  # noqa: E402
from dbus_fast.aio.message_reader import _message_reader, build_message_reader  # noqa: E402

_MSG_CTRUNC: Final = int(socket.MSG_CTRUNC)  # a plain int: IntFlag's & is a Python call


_LITTLE: Final = ord("l")


class _InboundGate:
    """The reader callback of a connection: every frame crosses the validator first.

    Each call reads the socket once (up to ``_CHUNK`` bytes; a frame larger
    than that is then read into a buffer of its own size), cuts the data into
    frames, checks each with :func:`_check_frame` and hands the frames that
    passed to dbus-fast's compiled unmarshaller, which reads them from this
    object (``recv``) instead of from the socket.  fds arrive with the read
    that holds the first byte of their message (the kernel ends a read after
    the data that carried fds); they are given to the last frame that starts
    in that read and set on its Message before dispatch.  An invalid frame
    never reaches the compiled reader:

    * peer to peer: the peer is disconnected, with one log line;
    * on a bus: the frame is dropped, its fds closed, a method call gets
      ``InvalidArgs`` and the connection lives (the daemon frames messages,
      so the stream stays in step);
    * fds that do not match the body (an ``h`` index without an fd, more
      than ``max_message_fds``) are refused the same way on p2p too: the
      frame itself is well-formed.
    """

    def __init__(
        self,
        bus: MessageBus,
        sock: socket.socket,
        process: Callable[[Message], None],
        finalize: Callable[[Exception | None], None],
        negotiate_unix_fd: bool,
    ) -> None:
        self.bus = bus
        self.sock = sock
        self.real_process = process
        self.real_finalize = finalize
        self.fd_passing = negotiate_unix_fd
        self.p2p = _is_p2p(bus)
        self.max_fds = _limits(bus).max_message_fds
        self.ancbufsize = socket.CMSG_SPACE(4 * max(self.max_fds, 1))
        self.rbuf = bytearray(_CHUNK)
        self.rview = memoryview(self.rbuf)
        self.start = 0  # first byte of rbuf not yet cut into a frame
        self.end = 0  # end of the data in rbuf
        self.offset = 0  # stream offset of rbuf[0]
        self.big: list[bytes] | None = None  # a frame longer than _CHUNK being read
        self.big_have = 0
        self.big_total = 0
        self.big_off = 0
        self.big_cut = False
        self.big_fds: list[int] = []
        self.pending_fds: dict[int, list[int]] = {}  # stream offset of a frame -> its fds
        self.ctrunc: set[int] = set()  # frames whose fds did not fit the control buffer
        self.ready: deque[bytes] = deque()  # checked frames (or pieces of one) for the unmarshaller
        self.ready_fds: deque[list[int]] = deque()
        self.bad = 0
        self.dead = False
        self.unmarshaller = Unmarshaller(None, cast(socket.socket, self), False)

    # -- what the compiled unmarshaller sees ------------------------------

    def recv(self, bufsize: int) -> bytes:
        ready = self.ready
        if not ready:
            raise BlockingIOError(errno.EAGAIN, "no validated frame")
        if len(ready) == 1:
            return ready.popleft()
        if len(ready[0]) > _CHUNK:  # a piece of a large frame: as it is, no copy
            return ready.popleft()
        parts = []
        while ready and len(ready[0]) <= _CHUNK:
            parts.append(ready.popleft())
        return b"".join(parts)

    def process(self, msg: Message) -> None:
        fds = self.ready_fds.popleft()
        if fds:
            msg.unix_fds = fds
        self.real_process(msg)

    def finalize(self, err: Exception | None) -> None:
        if self.dead:
            return
        self.dead = True
        for fds in self.ready_fds:
            _close_fds(fds)
        self.ready_fds.clear()
        self.ready.clear()
        for fds in self.pending_fds.values():
            _close_fds(fds)
        self.pending_fds.clear()
        _close_fds(self.big_fds)
        self.big_fds = []
        self.real_finalize(err)

    # -- the reader callback ----------------------------------------------

    def __call__(self) -> None:
        if self.dead:
            return
        err: Exception | None = None
        try:
            if self.big is not None:
                self._read_big()
            else:
                self._read()
        except _BadMessage as e:  # unframed: nothing after it can be read
            _LOG.warning("disconnecting: the peer sent an invalid message: %s", e)
            err = _InvalidMessageError(str(e))
        except Exception as e:  # EOFError, OSError
            err = e
        while self.ready and not self.dead:
            _message_reader(self.unmarshaller, self.process, self.finalize, False)
        if err is not None:
            self.finalize(err)

    def _recv_into(self, view: memoryview) -> tuple[int, list[int], bool]:
        """One read from the socket: (bytes read, fds received, fds cut off)."""
        if not self.fd_passing:
            return self.sock.recv_into(view), [], False
        n, anc, msg_flags, _addr = self.sock.recvmsg_into([view], self.ancbufsize)
        fds: list[int] = []
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.extend(array.array("i", data[: len(data) - len(data) % 4]))
        return n, fds, bool(msg_flags & _MSG_CTRUNC)

    def _read(self) -> None:
        if self.start == self.end:
            self.offset += self.end
            self.start = self.end = 0
        elif self.end == len(self.rbuf):  # move the partial frame to the front
            left = self.end - self.start
            self.rbuf[:left] = self.rbuf[self.start : self.end]
            self.offset += self.start
            self.start, self.end = 0, left
        try:
            n, fds, cut = self._recv_into(self.rview[self.end :])
        except (BlockingIOError, InterruptedError):
            return
        if not n:
            _close_fds(fds)
            raise EOFError()
        self.end += n
        if fds or cut:
            try:
                owner = self._owner()
            except _BadMessage:
                _close_fds(fds)
                raise
            self.pending_fds.setdefault(owner, []).extend(fds)
            if cut:
                self.ctrunc.add(owner)
        self._cut()

    def _owner(self) -> int:
        """Stream offset of the frame that fds just read belong to: the last one starting in rbuf."""
        buf, pos, end = self.rbuf, self.start, self.end
        while pos + 16 <= end:
            nxt = pos + _frame_length(buf[pos : pos + 16], _Head())
            if nxt >= end:
                break
            pos = nxt
        return self.offset + pos

    def _cut(self) -> None:
        """Cut the complete frames out of rbuf, check them, queue the good ones."""
        buf = self.rbuf
        while self.end - self.start >= 16 and not self.dead:
            pos = self.start
            unpack = _UNPACK_HEAD.get(buf[pos])
            if unpack is None or buf[pos + 3] != 1:
                _frame_length(buf[pos : pos + 16], _Head())  # raises: the stream is unframed
            body_len, _serial, head_len = unpack(buf, pos + 4)  # type: ignore[misc]
            total = 16 + head_len + (-head_len & 7) + body_len
            if total > _MAX_MESSAGE_SIZE or head_len > _MAX_ARRAY_LENGTH:
                _frame_length(buf[pos : pos + 16], _Head())  # raises
            if total > len(buf):
                self._start_big(total)
                return
            if pos + total > self.end:
                return
            self.start = pos + total
            frame = bytes(self.rview[pos : pos + total])  # one copy (a bytearray slice is two)
            offset = self.offset + pos
            if self.pending_fds or self.ctrunc:
                self._admit(frame, None, offset)
            else:
                if _quick(frame, 0, self.max_fds):
                    self.ready.append(frame)
                    self.ready_fds.append(_NO_FDS)
                else:
                    self._admit(frame, None, offset)

    def _start_big(self, total: int) -> None:
        # a list of the chunks as read: no zero-filled buffer of the frame's size
        self.big = [bytes(self.rview[self.start : self.end])]
        self.big_have = self.end - self.start
        self.big_total = total
        self.big_off = off = self.offset + self.start
        self.big_fds = self.pending_fds.pop(off, [])
        self.big_cut = off in self.ctrunc
        self.ctrunc.discard(off)
        self.offset = off + total
        self.start = self.end = 0

    def _read_big(self) -> None:
        chunks = cast(list[bytes], self.big)
        want = self.big_total - self.big_have
        try:
            if self.fd_passing:
                data, anc, msg_flags, _addr = self.sock.recvmsg(want, self.ancbufsize)
                for level, kind, raw in anc:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        self.big_fds.extend(array.array("i", raw[: len(raw) - len(raw) % 4]))
                if msg_flags & _MSG_CTRUNC:
                    self.big_cut = True
            else:
                data = self.sock.recv(want)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            raise EOFError()
        chunks.append(data)
        self.big_have += len(data)
        if self.big_have < self.big_total:
            return
        self.big = None
        offset = self.big_off
        fds, self.big_fds = self.big_fds, []
        if self.big_cut:
            self.ctrunc.add(offset)
        self.pending_fds[offset] = fds
        head = _Head()
        _frame_length(chunks[0], head)
        self._admit(chunks, head, offset)

    def _admit(self, frame: bytes | list[bytes], head: _Head | None, offset: int) -> None:
        """Check one frame (bytes, or the chunks of a large one) and queue it or refuse it."""
        if head is None:
            head = _Head()
            _frame_length(frame if isinstance(frame, bytes) else frame[0], head)
        fds = self.pending_fds.pop(offset, None) if self.pending_fds else None
        cut = offset in self.ctrunc
        if cut:
            self.ctrunc.discard(offset)
        try:
            if isinstance(frame, list):
                if not _check_large_frame(frame, head, len(fds) if fds else 0, self.max_fds):
                    frame = [b"".join(frame)]  # not plain data: check it whole
                    head.fields = {}
                    _check_frame(frame[0], head, len(fds) if fds else 0, self.max_fds)
            elif not _quick(frame, len(fds) if fds else 0, self.max_fds):
                _check_frame(frame, head, len(fds) if fds else 0, self.max_fds)
            if cut:
                raise _BadFds(f"more than {self.max_fds} fds attached to one message")
        except _BadMessage as e:
            if fds:
                _close_fds(fds)
            self._reject(head, e)
            return
        if isinstance(frame, list):
            if not fds and not self.ready and self._deliver_blob(frame, head):
                return
            self.ready.extend(frame)
        else:
            self.ready.append(frame)
        self.ready_fds.append(fds or [])

    def _deliver_blob(self, chunks: list[bytes], head: _Head) -> bool:
        """Dispatch a large checked frame whose body is fixed-size values and then one
        ``ay`` (a vmstate Save or Load, a display frame: ``Listener.Update`` is
        ``iiiiuay``) as a Message built here; False (nothing done) for any other body.

        The array's bytes are joined from the chunks once, straight into the body's
        ``bytes``, and the chunks freed; dbus-fast's reader would hold the frame in its
        buffer and slice a second copy out of it (receiving 64 MiB peaked at three
        payload-sized buffers).  The values before the array are read from the first
        chunk.  Only taken when no frame waits before it, so the order of messages
        stays the order of the stream.
        """
        f = head.fields
        sig = f.get(8, "")
        scalars = _blob_scalars(sig)
        if scalars is None:
            return False
        first = chunks[0]
        body_at = 16 + head.head_len
        body_at += -body_at & 7
        pos = body_at
        values: list[Any] = []
        order = "<" if head.endian == _LITTLE else ">"
        for code, size in scalars:
            pos += -pos & (size - 1)
            if pos + size > len(first):
                return False  # the values run past the first chunk: dbus-fast reads them
            values.append(struct.unpack_from(order + code, first, pos)[0])
            pos += size
        pos += -pos & 3
        if pos + 4 > len(first):
            return False
        start = pos + 4  # the array after its length (checked: it ends the body)
        stop = body_at + head.body_len
        pieces: list[memoryview] = []
        at = 0
        for chunk in chunks:
            lo, hi = max(start - at, 0), min(stop - at, len(chunk))
            if lo < hi:
                pieces.append(memoryview(chunk)[lo:hi])
            at += len(chunk)
        data = b"".join(pieces)
        del pieces
        chunks.clear()
        values.append(data)
        msg = Message(
            destination=f.get(6),
            path=f.get(1),
            interface=f.get(2),
            member=f.get(3),
            message_type=MessageType(head.mtype),
            flags=MessageFlag(head.flags),
            error_name=f.get(4),
            reply_serial=f.get(5),
            sender=f.get(7),
            signature=sig,
            body=values,
            serial=head.serial,
            validate=False,  # checked by the boundary
        )
        try:
            self.real_process(msg)
        except Exception:  # as dbus-fast's read loop does: the connection goes on
            _LOG.exception("unexpected error processing a message")
        return True

    def _reject(self, head: _Head, err: _BadMessage) -> None:
        """An invalid frame: disconnect a p2p peer, or refuse the message and go on.

        fd mismatches are refused without disconnecting even on p2p (the
        frame itself is well-formed).
        """
        text = str(err)
        if self.p2p and not isinstance(err, _BadFds):
            _LOG.warning("disconnecting the p2p peer: it sent an invalid message: %s", text)
            self.finalize(_InvalidMessageError(text))
            return
        self.bad += 1
        sender = head.fields.get(7)
        if self.bad == 1 or self.bad % 1000 == 0:
            _LOG.warning(
                "refused %d invalid message(s); the last from %s: %s",
                self.bad,
                sender or "the peer",
                text,
            )
        bus = self.bus
        if not bus.connected:
            return
        if head.mtype == 1:
            if head.flags & _NO_REPLY_BIT or not (
                self.p2p or (isinstance(sender, str) and _is_bus_name(sender))
            ):
                return
            _send(
                bus,
                Message(
                    message_type=_ERROR,
                    error_name=ERROR_INVALID_ARGS,
                    reply_serial=head.serial,
                    destination=None if self.p2p else sender,
                    signature="s",
                    body=[f"invalid message: {text}"],
                ),
            )
        elif head.mtype in (2, 3):
            # a broken reply fails the call it answers instead of leaving it waiting
            serial = head.fields.get(5)
            handler = bus._method_return_handlers.pop(serial, None) if serial else None
            if handler is not None:
                try:
                    handler(None, DBusError(ERROR_INVALID_ARGS, f"invalid reply: {text}"))
                except Exception:  # pragma: no cover - dbus-fast's own handlers do not raise
                    _LOG.exception("a reply handler failed")


# Benchmarks only (benchmarks/bench_boundary.py): False reads with dbus-fast's own reader.
_INBOUND_BOUNDARY = True


def _build_reader(
    sock: socket.socket,
    process: Callable[[Message], None],
    finalize: Callable[[Exception | None], None],
    negotiate_unix_fd: bool,
) -> Callable[[], None]:
    """Drop-in for dbus-fast's build_message_reader: the gated reader of the bus owning ``process``."""
    if not _INBOUND_BOUNDARY:
        return build_message_reader(sock, process, finalize, negotiate_unix_fd)
    bus = cast(MessageBus, getattr(process, "__self__"))
    return _InboundGate(bus, sock, process, finalize, negotiate_unix_fd)


def _gated_connect() -> Callable[[MessageBus], Any]:
    """MessageBus.connect, with its reader built by _build_reader (no global is patched)."""
    fn = cast(Any, MessageBus.connect)
    glob = dict(fn.__globals__)
    glob["build_message_reader"] = _build_reader
    new = types.FunctionType(fn.__code__, glob, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    return cast(Callable[[MessageBus], Any], new)


_CONNECT: Final = _gated_connect()


#: A top-level ``ay`` of at least this many bytes is sent from the caller's object (no copy).
_BIG_BYTES: Final = 64 * 1024
_PACK_U32: Final = struct.Struct("<I").pack
_U32: Final = struct.Struct("<I").unpack_from
_Parts = list[bytes | bytearray | memoryview]


def _marshall_parts(msg: Message, negotiate_unix_fd: bool) -> _Parts | None:
    """The wire bytes of a message with a large top-level ``ay``, as pieces: the bytes
    objects themselves (immutable: ``bytes`` only) between marshalled header and body parts.  None: no such ``ay``.

    dbus-fast copies an ``ay`` into the body buffer and then the body into the
    header's, so sending N bytes held 3N.  Here dbus-fast marshals the message with
    each large ``ay`` replaced by ``len % 8`` bytes (every later value keeps its
    alignment, which only depends on the offset modulo 8); the real lengths are
    patched in and the pieces are written in order.
    """
    if "ay" not in msg.signature:
        return None
    body = msg.body
    types = msg.signature_tree.types
    big = [
        i
        for i, (st, v) in enumerate(zip(types, body))
        if type(v) is bytes and len(v) >= _BIG_BYTES and st.signature == "ay"
    ]
    if not big:
        return None
    stand_in = list(body)
    for i in big:
        n = len(body[i])
        if n > _MAX_ARRAY_LENGTH:
            raise InvalidMessageError(f"array size {n} exceeds maximum {_MAX_ARRAY_LENGTH}")
        stand_in[i] = bytes(n % 8)
    msg.body = stand_in
    try:
        small = msg._marshall(negotiate_unix_fd)
    finally:
        msg.body = body
    fields_len = _U32(small, 12)[0]
    head_end = 16 + fields_len + (-fields_len & 7)
    body_len = len(small) - head_end + sum(len(body[i]) - len(body[i]) % 8 for i in big)
    if head_end + body_len > _MAX_MESSAGE_SIZE:
        raise InvalidMessageError(
            f"message size exceeds maximum {_MAX_MESSAGE_SIZE}: "
            f"header={head_end}, body={body_len}"
        )
    small[4:8] = _PACK_U32(body_len)
    view = memoryview(small)
    parts: _Parts = []
    start = 0
    for i in big:
        prefix = "".join(t.signature for t in types[:i])
        at = len(Marshaller(prefix, stand_in[:i]).marshall()) if prefix else 0
        at = head_end + at + (-at & 3)  # the array's length
        value = body[i]
        small[at : at + 4] = _PACK_U32(len(value))
        parts.append(view[start : at + 4])
        parts.append(value)
        start = at + 4 + len(value) % 8
    if start < len(small):
        parts.append(view[start:])
    return parts


class _Writer(_MessageWriter):
    """dbus-fast's writer with a limited queue, and "wait" (not "disconnect") on a full socket.

    dbus-fast 5.2's write_callback treats ``EAGAIN`` from ``send()`` as a
    fatal error and closes the connection.  It happens whenever the peer
    reads slower than we write (many calls at once, large bodies): a new
    message is written at once when the queue is empty, even while the
    previous one is only partly written or the socket buffer is full.

    The queue holds at most :class:`Limits` ``max_outgoing_bytes`` /
    ``max_outgoing_messages``; on a bus also ``max_outgoing_bytes_per_peer``
    per destination (see :class:`Limits` for what happens beyond).
    """

    def __init__(self, bus: MessageBus) -> None:
        super().__init__(bus)
        limits = _limits(bus)
        self.max_bytes = limits.max_outgoing_bytes
        self.max_messages = limits.max_outgoing_messages
        self.max_peer_bytes = limits.max_outgoing_bytes_per_peer
        self.p2p = _is_p2p(bus)
        self.queued = 0
        self.per_peer: dict[str, int] = {}
        self.over: set[str] = set()  # destinations whose messages were dropped
        self.dests: deque[str | None] = deque()
        self.sizes: deque[int] = deque()
        self.rest: deque[memoryview] = deque()  # pieces of the message being written
        bus._disconnect_future.add_done_callback(self._abandon)

    def _abandon(self, _done: asyncio.Future[Any]) -> None:
        """The connection is gone: fail what still waits to be written.

        Their futures' callbacks (``_fds._after_send``) close the runtime's
        dup()ed fds of those messages; without this they would never run.
        """
        err = DisconnectedError("the connection closed before the message was written")
        waiting = [self.fut] if self.buf is not None else []
        waiting += [fut for _buf, _fds, fut in self.messages]
        self.messages.clear()
        self.dests.clear()
        self.sizes.clear()
        self.rest.clear()
        self.per_peer.clear()
        self.buf = None
        self.queued = 0
        for fut in waiting:
            if fut is not None and not fut.done():
                fut.set_exception(err)
                fut.exception()  # retrieved: bus.call() drops its write futures

    def peer_blocked(self, peer: str | None) -> bool:
        """True while ``peer`` has more than its share waiting in the queue."""
        per_peer = self.per_peer
        return bool(per_peer and peer) and per_peer.get(cast(str, peer), 0) > self.max_peer_bytes

    def schedule_write(
        self, msg: Message | None = None, future: asyncio.Future[Any] | None = None
    ) -> None:
        # dbus-fast's also adds the fd writer after every message sent without a
        # future (one more loop turn per reply); write_callback adds it when needed.
        if msg is not None:
            self.buffer_message(msg, future)
        if self.bus.unique_name and self.buf is None and self.messages:
            self.write_callback(remove_writer=False)

    def buffer_message(self, msg: Message, future: asyncio.Future[Any] | None = None) -> None:
        parts = _marshall_parts(msg, self.negotiate_unix_fd) if "ay" in msg.signature else None
        buf: bytearray | _Parts
        if parts is None:
            buf = msg._marshall(self.negotiate_unix_fd)
            size = len(buf)
        else:
            buf = parts
            size = sum(len(p) for p in parts)
        # per destination: only what we answer (replies, errors), never our own calls
        mtype = msg.message_type
        dest = None if self.p2p or mtype is _METHOD_CALL or mtype is _SIGNAL else msg.destination
        refused = None
        if self.queued + size > self.max_bytes or len(self.messages) >= self.max_messages:
            refused = (
                f"the write queue is full ({len(self.messages)} messages, {self.queued} bytes)"
            )
        elif (
            dest and self.per_peer.get(dest, 0) and self.per_peer[dest] + size > self.max_peer_bytes
        ):
            refused = f"{self.per_peer[dest]} bytes already wait for {dest}"
        if refused is not None:
            if self.p2p:
                _LOG.warning("disconnecting the p2p peer: it does not read (%s)", refused)
                self.loop.call_soon(self.bus._finalize, DisconnectedError(refused))
            elif dest not in self.over:
                self.over.add(cast(str, dest))
                _LOG.warning("dropping messages to %s: %s", dest, refused)
            if future is not None and not future.done():
                future.set_exception(DBusError(ERROR_LIMITS_EXCEEDED, refused))
            return
        unix_fds = msg.unix_fds
        entry = (buf, list(unix_fds) if unix_fds else None, future)
        self.messages.append(cast(Any, entry))
        self.sizes.append(size)
        self.dests.append(dest)
        self.queued += size
        if dest:
            self.per_peer[dest] = self.per_peer.get(dest, 0) + size

    def _popped(self, size: int) -> None:
        self.queued -= size
        dest = self.dests.popleft()
        if dest:
            left = self.per_peer[dest] - size
            if left:
                self.per_peer[dest] = left
            else:
                del self.per_peer[dest]
                self.over.discard(dest)

    def write_callback(self, remove_writer: bool = True) -> None:
        sock = cast(socket.socket, self.sock)
        fd = cast(int, self.fd)
        try:
            while True:
                if self.buf is None:
                    if not self.messages:
                        if remove_writer:
                            self.loop.remove_writer(fd)
                        return
                    buf, unix_fds, fut = cast(Any, self.messages.popleft())
                    self._popped(self.sizes.popleft())
                    self.unix_fds = unix_fds
                    if type(buf) is list:
                        self.rest.extend(memoryview(p) for p in buf)
                        self.buf = self.rest.popleft()
                    else:
                        self.buf = memoryview(buf)
                    self.offset = 0
                    self.fut = fut
                try:
                    if self.unix_fds and self.negotiate_unix_fd:
                        ancdata = [
                            (socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", self.unix_fds))
                        ]
                        self.offset += sock.sendmsg([self.buf[self.offset :]], ancdata)
                        self.unix_fds = None  # sent with the first byte(s)
                    else:
                        self.offset += sock.send(self.buf[self.offset :])
                except (BlockingIOError, InterruptedError):
                    # nothing was written: wait until the socket is writable
                    self.loop.add_writer(fd, self.write_callback)
                    return
                if self.offset < len(self.buf):
                    self.loop.add_writer(fd, self.write_callback)
                    return
                if self.rest:
                    self.buf = self.rest.popleft()
                    self.offset = 0
                    continue
                self.buf = None
                fut = self.fut
                if fut is not None and not fut.done():
                    fut.set_result(None)
        except Exception as e:
            fut = self.fut
            if fut is not None and not fut.done():
                if self.bus._user_disconnect:
                    fut.set_result(None)
                else:
                    fut.set_exception(e)
            self.bus._finalize(e)


def _install_writer(bus: MessageBus) -> None:
    """Replace the idle dbus-fast writer of a connected bus by a _Writer."""
    old = bus._writer
    if type(old) is _MessageWriter and not old.messages and old.buf is None:
        bus._writer = _Writer(bus)


def _check_fd_count(bus: MessageBus, fds: list[int]) -> None:
    """Raise LimitsExceeded for an outgoing message with more fds than the connection allows."""
    limit = _limits(bus).max_message_fds
    if len(fds) > limit:
        raise DBusError(
            ERROR_LIMITS_EXCEEDED, f"a message may carry {limit} fds, this one has {len(fds)}"
        )


def _writer_of(bus: MessageBus) -> _Writer | None:
    writer = getattr(bus, "_writer", None)
    return writer if isinstance(writer, _Writer) else None


_P2P_UNIQUE_NAME: Final = ":p2p"
# BaseMessageBus parses an address in __init__; a p2p bus never connects it.
_P2P_DUMMY_ADDRESS: Final = "unix:path=/nonexistent/qdbusgen-p2p"
_MAX_AUTH_LINE: Final = 16 * 1024
_MAX_AUTH_ROUNDS: Final = 16


def _peer_uid(sock: socket.socket) -> int | None:
    so_peercred = getattr(socket, "SO_PEERCRED", None)
    if sock.family != socket.AF_UNIX or so_peercred is None:
        return None
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, so_peercred, struct.calcsize("3i"))
    except OSError:
        return None
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class _BusMessageBus(MessageBus):
    """A dbus-fast MessageBus to a daemon, carrying the runtime's :class:`Limits`
    (dbus-fast's own class has no room for another attribute)."""

    def __init__(self, bus_address: str | None, negotiate_unix_fd: bool, limits: Limits) -> None:
        super().__init__(bus_address=bus_address, negotiate_unix_fd=negotiate_unix_fd)
        self._qdbusgen_limits = limits


class _PeerMessageBus(MessageBus):
    """A dbus-fast MessageBus on an already connected socket, without a daemon.

    It reuses MessageBus's reader/writer/dispatch; only connect() differs:
    it adopts the socket, runs the SASL handshake in the requested role and
    skips ``Hello``.  ``unique_name`` is set to a placeholder because
    dbus-fast's writer only writes once a unique name is set; it is never
    put on the wire.
    """

    _qdbusgen_p2p: ClassVar[bool] = True

    def __init__(
        self, sock: socket.socket, auth_timeout: float | None, limits: Limits | None = None
    ) -> None:
        super().__init__(
            bus_address=_P2P_DUMMY_ADDRESS,
            negotiate_unix_fd=True,
            auth=AuthExternal(),
            auth_timeout=auth_timeout,
        )
        self._qdbusgen_sock = sock
        self._qdbusgen_limits = limits or _DEFAULT_LIMITS

    async def connect(self) -> MessageBus:  # pragma: no cover - not used for p2p
        raise RuntimeError("use connect_p2p() / accept_p2p() for a peer-to-peer connection")

    def _finalize(self, err: Exception | None = None) -> None:
        # The peer hanging up is how a p2p session normally ends (QEMU quits,
        # the listener is unregistered): wait_for_disconnect() returns
        # normally instead of raising EOFError.  Calls still pending get the
        # error (raised as DisconnectedError by the proxies).
        if isinstance(err, EOFError) and not self._disconnect_future.done():
            self._disconnect_future.set_result(None)
        super()._finalize(err)

    async def _qdbusgen_start(self, server: bool, uids: Collection[int] | None) -> None:
        sock = self._qdbusgen_sock
        stream = sock.makefile("rwb")  # only for MessageBus._finalize(), which closes it
        sock.setblocking(False)
        self._sock = sock
        self._stream = stream
        self._fd = sock.fileno()
        try:
            try:
                if server:
                    timeout = asyncio.timeout(self._auth_timeout)
                    try:
                        async with timeout:
                            unix_fd = await self._qdbusgen_server_auth(sock, uids)
                    except TimeoutError as e:
                        if not timeout.expired():
                            raise
                        raise AuthTimeoutError("authentication timed out") from e
                else:
                    await self._authenticate()
                    unix_fd = True  # AuthExternal fails unless the peer agreed
            except AuthError:
                raise
            except (OSError, UnicodeError) as e:
                # The peer hung up while we wrote (EPIPE, ECONNRESET) or sent
                # bytes that are not text: one exception type for every way
                # the handshake can fail.
                raise AuthError(f"authentication failed: {e!r}") from e
            self._negotiate_unix_fd = unix_fd
            self._writer = _Writer(self)
            self.unique_name = _P2P_UNIQUE_NAME
            self._loop.add_reader(
                self._fd,
                _build_reader(
                    self._sock, self._process_message, self._finalize, self._negotiate_unix_fd
                ),
            )
        except BaseException:
            try:
                self._loop.remove_reader(sock.fileno())
            except Exception:  # pragma: no cover
                pass
            stream.close()
            sock.close()
            self._sock = None
            self._stream = None
            self._fd = None
            self._writer = None
            self.unique_name = None
            raise

    async def _qdbusgen_server_auth(
        self, sock: socket.socket, uids: Collection[int] | None
    ) -> bool:
        """Server side of the D-Bus SASL handshake (EXTERNAL only).

        Reads byte by byte so nothing after ``BEGIN\\r\\n`` (the first
        message) is consumed.  Returns whether Unix fd passing was agreed.
        """
        loop = self._loop
        allowed = {os.getuid()} if uids is None else set(uids)
        peer_uid = _peer_uid(sock)

        async def send(line: str) -> None:
            await loop.sock_sendall(sock, f"{line}\r\n".encode("ascii"))

        async def readline() -> str:
            buf = bytearray()
            while not buf.endswith(b"\r\n"):
                chunk = await loop.sock_recv(sock, 1)
                if not chunk:
                    raise AuthError("peer closed the connection during authentication")
                buf += chunk
                if len(buf) > _MAX_AUTH_LINE:
                    raise AuthError("authentication line too long")
            try:
                return buf[:-2].decode("ascii")
            except UnicodeDecodeError:
                raise AuthError("authentication line is not ASCII") from None

        def check(hex_identity: str | None) -> bool:
            if peer_uid is None or peer_uid not in allowed:
                return False
            if not hex_identity:
                return True  # empty identity: use the credentials of the socket
            try:
                text = bytes.fromhex(hex_identity).decode("ascii")
            except ValueError:
                return False
            # strict decimal, as the uid is written: no sign, space, "_" or leading zero
            if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0"):
                return False
            return int(text) == peer_uid

        nul = await loop.sock_recv(sock, 1)
        if nul != b"\0":
            raise AuthError("peer did not start authentication with a NUL byte")
        guid = uuid.uuid4().hex
        state = "auth"  # auth -> (data) -> ok
        unix_fd = False
        for _ in range(_MAX_AUTH_ROUNDS * 4):
            words = (await readline()).split(" ")
            cmd, args = words[0], words[1:]
            if state == "ok":
                if cmd == "BEGIN" and not args:
                    return unix_fd
                if cmd == "NEGOTIATE_UNIX_FD" and not args:
                    if sock.family == socket.AF_UNIX:
                        unix_fd = True
                        await send("AGREE_UNIX_FD")
                    else:
                        await send("ERROR fd passing needs a unix socket")
                elif cmd in ("CANCEL", "ERROR"):
                    state = "auth"
                    await send("REJECTED EXTERNAL")
                else:
                    await send("ERROR unexpected command")
                continue
            if cmd == "BEGIN":
                raise AuthError("peer sent BEGIN before authenticating")
            if state == "data":
                if cmd == "DATA" and len(args) <= 1:
                    if check(args[0] if args else None):
                        state = "ok"
                        await send(f"OK {guid}")
                    else:
                        state = "auth"
                        await send("REJECTED EXTERNAL")
                else:
                    state = "auth"
                    await send("REJECTED EXTERNAL")
                continue
            if cmd == "AUTH":
                if len(args) >= 1 and args[0] == "EXTERNAL" and len(args) <= 2:
                    if len(args) == 2:
                        if check(args[1]):
                            state = "ok"
                            await send(f"OK {guid}")
                        else:
                            await send("REJECTED EXTERNAL")
                    else:
                        state = "data"
                        await send("DATA")
                else:
                    await send("REJECTED EXTERNAL")
            elif cmd in ("CANCEL", "ERROR"):
                await send("REJECTED EXTERNAL")
            else:
                await send("ERROR unknown command")
        raise AuthError("too many authentication attempts")


def _is_p2p(bus: MessageBus) -> bool:
    return bool(getattr(bus, "_qdbusgen_p2p", False))
