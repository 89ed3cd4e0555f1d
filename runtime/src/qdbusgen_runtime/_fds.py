from __future__ import annotations

import asyncio
import contextvars
import os
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from dbus_fast.aio.message_bus import MessageBus
from dbus_fast.message import Message
from dbus_fast.signature import SignatureTree, SignatureType, Variant

from ._base import UnixFD, _LOG

# ---------------------------------------------------------------------------
# file descriptors
# ---------------------------------------------------------------------------


class _TransferFD(int):
    """An fd whose ownership passes to the runtime (closed after sending)."""

    __slots__ = ()


def transfer_fd(fd: int) -> UnixFD:
    """Mark ``fd`` as handed over: the runtime sends it and then closes it.

    Use it for an fd you create only to send, e.g. a server handler that
    returns one end of a new pipe: ``return _runtime.transfer_fd(r)``.
    """
    return cast(UnixFD, _TransferFD(fd))


# fds a running server handler received inside variants that it has not kept
_VARIANT_FDS: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "qdbusgen_variant_fds", default=None
)


def keep_fd(fd: int) -> UnixFD:
    """Keep an fd that a server handler received inside a variant (``v``, ``a{sv}``, ...).

    Such fds are closed by the runtime when the handler returns, since the
    interface did not declare them; a handler that wants one calls this (in
    the handler, before it returns) and then owns it.  fds at declared ``h``
    positions are the handler's anyway.  Returns ``fd``.
    """
    pending = _VARIANT_FDS.get()
    if pending is not None:
        pending.discard(int(fd))
    return cast(UnixFD, fd)


def _fds_in_variants(st: SignatureType, value: Any, inside: bool, out: list[int]) -> None:
    """Collect the fds of a received value that sit inside a variant."""
    token = st.token
    if token == "h":
        if inside:
            out.append(value)
    elif token == "v":
        if "h" in value.signature or "v" in value.signature:
            _fds_in_variants(value.type, value.value, True, out)
    elif token == "a" or token == "(":
        sig = st.signature
        if "v" not in sig and not (inside and "h" in sig):
            return
        if token == "(":
            for c, x in zip(st.children, value):
                _fds_in_variants(c, x, inside, out)
            return
        child = st.children[0]
        if child.token == "{":
            kt, vt = child.children
            for k, x in value.items():
                _fds_in_variants(kt, k, inside, out)
                _fds_in_variants(vt, x, inside, out)
        else:
            for x in value:
                _fds_in_variants(child, x, inside, out)


def _close_fds(fds: Iterable[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _drop_fds(msg: Message) -> None:
    """Close the fds of a received message that nobody will take (once: they are then forgotten)."""
    fds = msg.unix_fds
    if fds:
        msg.unix_fds = []
        _close_fds(fds)


class _FdIndexError(Exception):
    pass


def _sig_has_fd_or_variant(st: SignatureType) -> bool:
    sig = st.signature
    return "h" in sig or "v" in sig


def _contains_fd(st: SignatureType, value: Any) -> bool:
    """True if ``value`` (of type ``st``) holds an ``h`` anywhere, variants included."""
    token = st.token
    if token == "h":
        return True
    if token == "v":
        vsig = value.signature
        if "h" in vsig:
            return True
        if "v" in vsig:
            return _contains_fd(value.type, value.value)
        return False
    if token == "a" or token == "(":
        sig = st.signature
        if "v" not in sig:
            return "h" in sig and (token == "(" or len(value) > 0)
        if token == "(":
            return any(_contains_fd(c, x) for c, x in zip(st.children, value))
        child = st.children[0]
        if child.token == "{":
            kt, vt = child.children
            if kt.token == "h" and value:
                return True
            if not _sig_has_fd_or_variant(vt):
                return False
            return any(_contains_fd(vt, x) for x in value.values())
        return any(_contains_fd(child, x) for x in value)
    return False


def _map_fds(st: SignatureType, value: Any, fn: Callable[[Any], Any]) -> Any:
    """Return ``value`` with every ``h`` replaced by ``fn(h)``; containers are copied, never mutated."""
    token = st.token
    if token == "h":
        return fn(value)
    if token == "v":
        vsig = value.signature
        if "h" in vsig or "v" in vsig:
            inner = _map_fds(value.type, value.value, fn)
            if inner is not value.value:
                return Variant(value.type, inner, False)
        return value
    if token == "a" or token == "(":
        if not _sig_has_fd_or_variant(st):
            return value
        if token == "(":
            return tuple([_map_fds(c, x, fn) for c, x in zip(st.children, value)])
        child = st.children[0]
        if child.token == "{":
            kt, vt = child.children
            kmap = kt.token == "h"
            vmap = _sig_has_fd_or_variant(vt)
            return {
                (fn(k) if kmap else k): (_map_fds(vt, x, fn) if vmap else x)
                for k, x in value.items()
            }
        return [_map_fds(child, x, fn) for x in value]
    return value


def _fds_out(tree: SignatureTree, body: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """Replace fds in an outgoing body by indices.

    Returns the new body and the fds to attach.  The attached fds belong to
    the runtime (dups, or fds given with transfer_fd) and must be closed once
    the message is written (or sending failed).
    """
    types = tree.types
    if not any(_contains_fd(st, v) for st, v in zip(types, body)):
        return body if isinstance(body, list) else list(body), []
    fds: list[int] = []
    index: dict[int, int] = {}

    def to_index(value: Any) -> int:
        fd = value if isinstance(value, int) else value.fileno()
        i = index.get(fd)
        if i is None:
            own = int(fd) if isinstance(value, _TransferFD) else os.dup(fd)
            i = len(fds)
            fds.append(own)
            index[fd] = i
        return i

    try:
        new_body = [_map_fds(st, v, to_index) for st, v in zip(types, body)]
    except BaseException:
        _close_fds(fds)
        _close_transfers(tree, body)
        raise
    return new_body, fds


def _close_transfers(tree: SignatureTree, body: Sequence[Any]) -> None:
    """Close transfer_fd() values of a body that will never be sent."""
    found: list[int] = []

    def collect(value: Any) -> Any:
        if isinstance(value, _TransferFD):
            found.append(int(value))
        return value

    try:
        for st, v in zip(tree.types, body):
            if _contains_fd(st, v):
                _map_fds(st, v, collect)
    except Exception:  # pragma: no cover - malformed body; nothing to close
        return
    _close_fds(set(found))


def _fds_in(
    tree: SignatureTree, body: list[Any], unix_fds: list[int], *, dup_all: bool = False
) -> list[Any]:
    """Replace fd indices in a received body by fds owned by the receiver.

    The first use of each received fd hands out the fd itself (unless
    ``dup_all``); further uses get a dup.  Unless ``dup_all``, received fds
    that the body does not reference are closed.  On a bad index every fd
    is closed and _FdIndexError raised.
    """
    used: set[int] = set()
    dups: list[int] = []
    nfds = len(unix_fds)

    def to_fd(idx: Any) -> int:
        if type(idx) is not int or not 0 <= idx < nfds:
            raise _FdIndexError(f"fd index {idx!r} out of range (message carries {nfds} fds)")
        fd = unix_fds[idx]
        if dup_all or idx in used:
            new = os.dup(fd)
            dups.append(new)
            return new
        used.add(idx)
        return fd

    try:
        new_body = [_map_fds(st, v, to_fd) for st, v in zip(tree.types, body)]
    except BaseException:
        _close_fds(dups)
        if not dup_all:
            _close_fds(unix_fds)
        raise
    if not dup_all and len(used) != nfds:
        _close_fds([fd for i, fd in enumerate(unix_fds) if i not in used])
    return new_body


def _after_send(fut: asyncio.Future[Any] | None, fds: list[int] | None = None) -> None:
    """Close ``fds`` once the send future completes and consume its exception."""
    if fut is None:
        if fds:
            _close_fds(fds)
        return

    def done(f: asyncio.Future[Any]) -> None:
        if fds:
            _close_fds(fds)
        if not f.cancelled():
            exc = f.exception()
            if exc is not None:
                _LOG.debug("sending a message failed: %r", exc)

    fut.add_done_callback(done)


def _send(bus: MessageBus, msg: Message, fds: list[int] | None = None) -> None:
    """bus.send() that closes the runtime-owned ``fds`` after the write."""
    try:
        fut = bus.send(msg)
    except BaseException:
        if fds:
            _close_fds(fds)
        raise
    _after_send(fut, fds)


def _iter_fd_values(tree: SignatureTree, body: Sequence[Any]) -> list[Any]:
    found: list[Any] = []

    def collect(v: Any) -> Any:
        found.append(v)
        return v

    for st, v in zip(tree.types, body):
        if _contains_fd(st, v):
            _map_fds(st, v, collect)
    return found
