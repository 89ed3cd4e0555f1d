from __future__ import annotations

import array
import bisect
import functools
import importlib
import os
import re
import struct
import time
from collections.abc import Callable
from typing import Any, Final, cast

from dbus_fast.aio.message_bus import MessageBus

# ---------------------------------------------------------------------------

ERROR_LIMITS_EXCEEDED: Final = "org.freedesktop.DBus.Error.LimitsExceeded"

_MAX_MESSAGE_SIZE: Final = 1 << 27  # the specification's maximum message length
_MAX_ARRAY_LENGTH: Final = 1 << 26  # the specification's maximum array length
_MAX_DEPTH: Final = 64  # containers (a ( { v) in one message, as dbus-fast counts them
_MAX_QUOTE: Final = 64  # characters of peer input quoted in an error text
_CHUNK: Final = 64 * 1024  # bytes read from a socket per event-loop turn (then others get a turn)


class Limits:
    """Per-connection limits of the runtime; pass one to :func:`connect` & co.

    ``max_message_fds``
        fds one message may carry, received or sent (dbus-daemon's default
        ``max_message_unix_fds``, 16).  A received message may also hold at
        most this many ``h`` values (an index may repeat; every occurrence is
        its own fd).
    ``max_outgoing_bytes`` / ``max_outgoing_messages``
        what may wait in the connection's write queue (bytes default to
        dbus-daemon's ``max_outgoing_bytes``, 127 MiB).  On a peer-to-peer
        connection a peer that lets the queue overflow (it stops reading) is
        disconnected.  On a bus the message that would overflow it is dropped
        (its sender's future fails with LimitsExceeded) and the connection lives.
    ``max_outgoing_bytes_per_peer``
        on a bus: replies and errors that may wait in the write queue for one
        destination (one message always may, however large).  Replies to a caller over it are
        dropped and its new calls are refused with LimitsExceeded, so a caller
        that does not read delays others by at most this many bytes.
    ``max_inflight_per_peer`` / ``max_queued_per_peer``
        method calls of one peer (one sender on a bus, the connection on p2p)
        whose handlers run at once; later calls wait in that peer's queue, in
        order, and beyond ``max_queued_per_peer`` waiting calls get
        LimitsExceeded (no-reply calls are dropped).  One peer's flood thus
        holds at most that many handlers while every other peer keeps its own.
        Both count calls to generated objects (:class:`ServerBase`); a
        dbus-fast ``ServiceInterface`` exported on the same connection is
        dispatched by dbus-fast itself, outside these limits.
    """

    __slots__ = (
        "max_inflight_per_peer",
        "max_message_fds",
        "max_outgoing_bytes",
        "max_outgoing_bytes_per_peer",
        "max_outgoing_messages",
        "max_queued_per_peer",
    )

    def __init__(
        self,
        *,
        max_message_fds: int = 16,
        max_outgoing_bytes: int = 127 << 20,
        max_outgoing_messages: int = 16384,
        max_outgoing_bytes_per_peer: int = 8 << 20,
        max_inflight_per_peer: int = 64,
        max_queued_per_peer: int = 4096,
    ) -> None:
        self.max_queued_per_peer = max_queued_per_peer
        self.max_message_fds = max_message_fds
        self.max_outgoing_bytes = max_outgoing_bytes
        self.max_outgoing_messages = max_outgoing_messages
        self.max_outgoing_bytes_per_peer = max_outgoing_bytes_per_peer
        self.max_inflight_per_peer = max_inflight_per_peer

    def __repr__(self) -> str:
        return "Limits(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"


_DEFAULT_LIMITS: Final = Limits()


def _limits(bus: MessageBus) -> Limits:
    limits = getattr(bus, "_qdbusgen_limits", None)
    return limits if isinstance(limits, Limits) else _DEFAULT_LIMITS


def _cut(text: object) -> str:
    """Peer input for an error text, as it is but cut to a bounded length."""
    s = str(text)
    return s if len(s) <= _MAX_QUOTE else s[:_MAX_QUOTE] + f"... ({len(s)} characters)"


def _quote(text: object) -> str:
    """``repr`` of peer input for an error text or a log line, cut to a bounded length."""
    s = str(text)
    if len(s) > _MAX_QUOTE:
        return repr(s[:_MAX_QUOTE]) + f"... ({len(s)} characters)"
    return repr(s)


# -- the compiled body check ----------------------------------------------------
#
# _cwire.c (built by runtime/setup.py where a C compiler is found) checks a body in one
# call: the same verdict as the closures below, which stay the reference (they say why a
# body is refused; tests/test_wire_compiled.py compares the two).  Without it, or with
# QDBUSGEN_RUNTIME_PURE set, bodies are checked in pure Python (generated checkers,
# reference bodies, remembered frames: the rest of this module).

_CompiledBody = Callable[[bytes, int, int, str, bool, int, int], bool]


def _load_compiled() -> _CompiledBody | None:
    if os.environ.get("QDBUSGEN_RUNTIME_PURE"):
        return None
    try:  # by name: a vendored copy of the runtime has no _cwire, and no stub for it
        module = importlib.import_module(__name__.rsplit(".", 1)[0] + "._cwire")
    except ImportError:
        return None
    return cast(_CompiledBody, module.check_body)


# check_body(buf, pos, end, signature, big_endian, nfds, max_h): buf[pos:end] is a valid
# body of the signature (found valid); None: no compiled check in this process
_compiled_body: _CompiledBody | None = _load_compiled()
COMPILED: Final = _compiled_body is not None


# -- names, per the specification ------------------------------------------------
#
# dbus-fast's validators match with ``$``, which also matches before a final newline
# ("/a\n/b" is an object path to them, "a.b\n" an interface name), accept any text after
# ":" as a unique name and hyphens in member names.  These follow the specification.

_PATH_RE: Final = re.compile(r"/|(?:/[A-Za-z0-9_]+)+", re.ASCII)
_INTERFACE_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+", re.ASCII)
_MEMBER_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_BUS_NAME_RE: Final = re.compile(
    r":[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+"  # unique
    r"|[A-Za-z_-][A-Za-z0-9_-]*(?:\.[A-Za-z_-][A-Za-z0-9_-]*)+",  # well-known
    re.ASCII,
)


@functools.lru_cache(maxsize=1024)
def _is_path(text: str) -> bool:
    """An object path: "/" or "/"-separated elements of ``[A-Za-z0-9_]``."""
    return _PATH_RE.fullmatch(text) is not None


@functools.lru_cache(maxsize=256)
def _is_interface(text: str) -> bool:
    """An interface (or error) name: two or more elements, at most 255 bytes."""
    return len(text) <= 255 and _INTERFACE_RE.fullmatch(text) is not None


@functools.lru_cache(maxsize=512)
def _is_member(text: str) -> bool:
    """A member name: one element, at most 255 bytes."""
    return len(text) <= 255 and _MEMBER_RE.fullmatch(text) is not None


@functools.lru_cache(maxsize=256)
def _is_bus_name(text: str) -> bool:
    """A unique (":1.42") or well-known bus name, at most 255 bytes."""
    return len(text) <= 255 and _BUS_NAME_RE.fullmatch(text) is not None


# -- the validator: one frame, per the D-Bus specification -------------------


class _BadMessage(Exception):
    """A frame that breaks the specification (the text says how)."""


class _BadFds(_BadMessage):
    """A well-formed frame whose fds do not match its body (refused, never disconnects)."""


_Check = Callable[[bytes, int, int, "_Walk"], int]
_Unpack = Callable[[Any, int], tuple[int, ...]]
_UNPACK_U32: Final[dict[int, _Unpack]] = {
    ord("l"): struct.Struct("<I").unpack_from,
    ord("B"): struct.Struct(">I").unpack_from,
}
_UNPACK_HEAD: Final = {
    ord("l"): struct.Struct("<III").unpack_from,
    ord("B"): struct.Struct(">III").unpack_from,
}
_FIXED_SIZE: Final = {"y": 1, "n": 2, "q": 2, "i": 4, "u": 4, "x": 8, "t": 8, "d": 8}
# the struct format code of each fixed-size type (the byte order prefixed when read)
_STRUCT_CODE: Final = {
    "y": "B",
    "n": "h",
    "q": "H",
    "i": "i",
    "u": "I",
    "x": "q",
    "t": "Q",
    "d": "d",
}
_BASIC: Final = frozenset("ybnqiuxtdhsog")
_ALIGN: Final = {**_FIXED_SIZE, "b": 4, "h": 4, "s": 4, "o": 4, "g": 1, "a": 4, "(": 8, "{": 8}
_PLAN_CACHE_MAX: Final = 4096


class _Walk:
    """State of one body walk: fds attached, ``h`` values seen, container depth.

    ``utf8``: strings must be decoded to be known valid UTF-8; False when the
    whole body was found ASCII (then every string in it is valid UTF-8).
    """

    __slots__ = ("depth", "max_h", "n_h", "nfds", "utf8")

    def __init__(self, nfds: int, max_h: int) -> None:
        self.nfds = nfds
        self.max_h = max_h
        self.n_h = 0
        self.depth = 0
        self.utf8 = True


def _body_walk(buf: bytes, pos: int, end: int, nfds: int, max_h: int) -> _Walk:
    """A walk over the body ``buf[pos:end]``: one C scan settles UTF-8 for an ASCII body."""
    w = _Walk(nfds, max_h)
    if end - pos <= _CHUNK and buf[pos:end].isascii():
        w.utf8 = False
    return w


def _truncated() -> _BadMessage:
    return _BadMessage("value runs past the end of its container")


def _bad_nul(found: int) -> _BadMessage:
    """The error for a string at whose end ``bytes.find(0, start, end + 1)`` found ``found``."""
    if found == -1:
        return _BadMessage("string is not followed by its NUL byte")
    return _BadMessage("string contains a NUL byte")


def _bad_utf8() -> _BadMessage:
    return _BadMessage("string is not valid UTF-8")


def _read_text(buf: bytes, pos: int, end: int, un: _Unpack) -> tuple[str, int]:
    """A STRING / OBJECT_PATH at ``pos`` (aligned): its text and the position after it."""
    pos += -pos & 3
    if pos + 4 > end:
        raise _truncated()
    s = pos + 4
    e = s + un(buf, pos)[0]
    if e >= end:
        raise _truncated()
    found = buf.find(0, s, e + 1)  # the NUL after the string, and none before it
    if found != e:
        raise _bad_nul(found)
    try:
        return buf[s:e].decode(), e + 1
    except UnicodeDecodeError:
        raise _bad_utf8() from None


def _read_sig(buf: bytes, pos: int, end: int) -> tuple[str, int]:
    """A SIGNATURE value at ``pos``: its text (not yet checked) and the position after it."""
    if pos >= end:
        raise _truncated()
    n = buf[pos]
    e = pos + 1 + n
    if e >= end:
        raise _truncated()
    if buf[e] != 0:
        raise _BadMessage("signature is not followed by its NUL byte")
    try:
        return buf[pos + 1 : e].decode("ascii"), e + 1
    except UnicodeDecodeError:
        raise _BadMessage("signature is not ASCII") from None


def _compile(sig: str, i: int, arrays: int, structs: int, un: _Unpack) -> tuple[_Check, int, int]:
    """The checker of the complete type at ``sig[i]``: (check, its alignment, end index)."""
    if i >= len(sig):
        raise _BadMessage(f"signature {_quote(sig)} ends inside a type")
    c = sig[i]
    size = _FIXED_SIZE.get(c)
    if size is not None:
        mask = size - 1

        def fixed(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            pos += (-pos & mask) + size
            if pos > end:
                raise _truncated()
            return pos

        return fixed, size, i + 1
    if c == "b":

        def boolean(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            pos += -pos & 3
            if pos + 4 > end:
                raise _truncated()
            if un(buf, pos)[0] > 1:
                raise _BadMessage("boolean is neither 0 nor 1")
            return pos + 4

        return boolean, 4, i + 1
    if c == "h":

        def unix_fd(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            pos += -pos & 3
            if pos + 4 > end:
                raise _truncated()
            if un(buf, pos)[0] >= w.nfds:
                raise _BadFds(f"fd index {un(buf, pos)[0]} but the message carries {w.nfds} fds")
            w.n_h += 1
            if w.n_h > w.max_h:
                raise _BadFds(f"more than {w.max_h} fd values in one message")
            return pos + 4

        return unix_fd, 4, i + 1
    if c == "s":

        def string(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            pos += -pos & 3
            if pos + 4 > end:
                raise _truncated()
            s = pos + 4
            e = s + un(buf, pos)[0]
            if e >= end:
                raise _truncated()
            found = buf.find(0, s, e + 1)  # the NUL after the string, and none before it
            if found != e:
                raise _bad_nul(found)
            if w.utf8 and e > s:
                try:
                    buf[s:e].decode()
                except UnicodeDecodeError:
                    raise _bad_utf8() from None
            return e + 1

        return string, 4, i + 1
    if c == "o":

        def object_path(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            text, pos = _read_text(buf, pos, end, un)
            if not _is_path(text):
                raise _BadMessage(f"invalid object path {_quote(text)}")
            return pos

        return object_path, 4, i + 1
    if c == "g":

        def signature(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            text, pos = _read_sig(buf, pos, end)
            _body_check(text, un)  # raises unless valid
            return pos

        return signature, 1, i + 1
    if c == "v":

        basic = _basic_checks(un)

        def variant(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            if pos + 2 < end and buf[pos] == 1 and buf[pos + 2] == 0:
                check = basic.get(buf[pos + 1])  # the common case: one basic type
                if check is not None:
                    if w.depth >= _MAX_DEPTH:
                        raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
                    return check(buf, pos + 3, end, w)
            text, pos = _read_sig(buf, pos, end)
            check = _variant_check(text, un)
            w.depth += 1
            if w.depth > _MAX_DEPTH:
                raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
            pos = check(buf, pos, end, w)
            w.depth -= 1
            return pos

        return variant, 1, i + 1
    if c == "a":
        if arrays >= 32:
            raise _BadMessage(f"signature {_quote(sig)} nests arrays deeper than 32")
        if sig.startswith("{sv}", i + 1) and structs < 32:
            return _asv_check(un), 4, i + 5
        if i + 1 < len(sig) and sig[i + 1] == "{":
            if structs >= 32:
                raise _BadMessage(f"signature {_quote(sig)} nests structs deeper than 32")
            if i + 2 >= len(sig) or sig[i + 2] not in _BASIC:
                raise _BadMessage(f"signature {_quote(sig)}: a dict key must be a basic type")
            kcheck, _ka, j = _compile(sig, i + 2, arrays + 1, structs + 1, un)
            vcheck, _va, j = _compile(sig, j, arrays + 1, structs + 1, un)
            if j >= len(sig) or sig[j] != "}":
                raise _BadMessage(f"signature {_quote(sig)}: a dict entry has two types")

            def entry(buf: bytes, pos: int, end: int, w: _Walk) -> int:
                pos += -pos & 7
                w.depth += 1
                if w.depth > _MAX_DEPTH:
                    raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
                pos = vcheck(buf, kcheck(buf, pos, end, w), end, w)
                w.depth -= 1
                return pos

            child: _Check = entry
            calign, after = 8, j + 1
            csize = 0
        else:
            child, calign, after = _compile(sig, i + 1, arrays + 1, structs, un)
            csize = _FIXED_SIZE.get(sig[i + 1], 0)
        cmask = calign - 1

        def array(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            pos += -pos & 3
            if pos + 4 > end:
                raise _truncated()
            n = un(buf, pos)[0]
            if n > _MAX_ARRAY_LENGTH:
                raise _BadMessage(f"array of {n} bytes is longer than {_MAX_ARRAY_LENGTH}")
            pos += 4
            pos += -pos & cmask
            e = pos + n
            if e > end:
                raise _truncated()
            w.depth += 1
            if w.depth > _MAX_DEPTH:
                raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
            if csize:
                if n % csize:
                    raise _BadMessage("array length is not a multiple of its element size")
            else:
                while pos < e:
                    pos = int(child(buf, pos, e, w))
            w.depth -= 1
            return e

        return array, 4, after
    if c == "(":
        if structs >= 32:
            raise _BadMessage(f"signature {_quote(sig)} nests structs deeper than 32")
        fields: list[_Check] = []
        j = i + 1
        while j < len(sig) and sig[j] != ")":
            check, _a, j = _compile(sig, j, arrays, structs + 1, un)
            fields.append(check)
        if j >= len(sig) or not fields:
            raise _BadMessage(f"signature {_quote(sig)} has an empty or unclosed struct")
        members = tuple(fields)

        def struct_(buf: bytes, pos: int, end: int, w: _Walk) -> int:
            pos += -pos & 7
            w.depth += 1
            if w.depth > _MAX_DEPTH:
                raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
            for check in members:
                pos = check(buf, pos, end, w)
            w.depth -= 1
            return pos

        return struct_, 8, j + 1
    raise _BadMessage(f"signature {_quote(sig)} has an invalid type code {c!r}")


def _asv_check(un: _Unpack) -> _Check:
    """The checker of ``a{sv}`` (the most common container), with its entries inlined.

    The key, and a variant holding a string (the most common value), are
    checked in the loop itself; a variant of another basic type by its
    checker, any other variant by the generic one.
    """
    basic = _basic_checks(un)
    vcheck = _compile("v", 0, 0, 0, un)[0]

    def asv(buf: bytes, pos: int, end: int, w: _Walk) -> int:
        pos += -pos & 3
        if pos + 4 > end:
            raise _truncated()
        n = un(buf, pos)[0]
        if n > _MAX_ARRAY_LENGTH:
            raise _BadMessage(f"array of {n} bytes is longer than {_MAX_ARRAY_LENGTH}")
        pos += 4
        pos += -pos & 7
        e = pos + n
        if e > end:
            raise _truncated()
        depth = w.depth + 2  # the array and its dict entries
        if depth > _MAX_DEPTH:
            raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
        w.depth = depth
        inline = depth < _MAX_DEPTH  # room for a variant of a basic type
        utf8 = w.utf8
        find = buf.find
        while pos < e:
            # the key: STRING
            pos += -pos & 7
            if pos + 4 > e:
                raise _truncated()
            s = pos + 4
            k = s + un(buf, pos)[0]
            if k >= e:
                raise _truncated()
            found = find(0, s, k + 1)
            if found != k:
                raise _bad_nul(found)
            if utf8 and k > s:
                try:
                    buf[s:k].decode()
                except UnicodeDecodeError:
                    raise _bad_utf8() from None
            pos = k + 1
            # the value: VARIANT
            if inline and pos + 2 < e and buf[pos] == 1 and buf[pos + 2] == 0:
                t = buf[pos + 1]
                if t == 115:  # "s"
                    pos += 3
                    pos += -pos & 3
                    if pos + 4 > e:
                        raise _truncated()
                    s = pos + 4
                    k = s + un(buf, pos)[0]
                    if k >= e:
                        raise _truncated()
                    found = find(0, s, k + 1)
                    if found != k:
                        raise _bad_nul(found)
                    if utf8 and k > s:
                        try:
                            buf[s:k].decode()
                        except UnicodeDecodeError:
                            raise _bad_utf8() from None
                    pos = k + 1
                    continue
                check = basic.get(t)
                if check is not None:
                    pos = check(buf, pos + 3, e, w)
                    continue
            pos = vcheck(buf, pos, e, w)
        w.depth = depth - 2
        return e

    return asv


_basic_by_unpack: dict[Any, dict[int, _Check]] = {}


def _basic_checks(un: _Unpack) -> dict[int, _Check]:
    """Checkers of the basic types by type code (for variants of one basic type)."""
    found = _basic_by_unpack.get(un)
    if found is None:
        found = {ord(c): _compile(c, 0, 0, 0, un)[0] for c in "ybnqiuxtdhsog"}
        _basic_by_unpack[un] = found
    return found


_body_checks: dict[tuple[str, Any], tuple[_Check, ...]] = {}
_variant_checks: dict[tuple[str, Any], _Check] = {}


def _body_check(sig: str, un: _Unpack) -> tuple[_Check, ...]:
    """Checkers of the complete types of a signature (cached); raises _BadMessage if invalid."""
    key = (sig, un)
    checks = _body_checks.get(key)
    if checks is None:
        if len(sig) > 255:
            raise _BadMessage("signature longer than 255 bytes")
        found: list[_Check] = []
        i = 0
        while i < len(sig):
            check, _a, i = _compile(sig, i, 0, 0, un)
            found.append(check)
        checks = tuple(found)
        if len(_body_checks) >= _PLAN_CACHE_MAX:
            _body_checks.clear()
        _body_checks[key] = checks
    return checks


def _variant_check(sig: str, un: _Unpack) -> _Check:
    key = (sig, un)
    check = _variant_checks.get(key)
    if check is None:
        checks = _body_check(sig, un)
        if len(checks) != 1:
            raise _BadMessage(f"variant signature {_quote(sig)} is not one complete type")
        check = checks[0]
        if len(_variant_checks) >= _PLAN_CACHE_MAX:
            _variant_checks.clear()
        _variant_checks[key] = check
    return check


# -- specialised checkers: one generated function per signature ---------------
#
# The checkers above are closures, one per type code, called value by value,
# with every error named.  For a signature that keeps coming (a method's
# arguments, a variant's type) the quick path (_quick) runs one Python function
# generated from the signature instead: the same checks inlined, alignment
# settled where the signature settles it, no depth bookkeeping where the
# signature bounds the depth, and one version for an ASCII body (no string
# decoded) and one for any other.  Its errors need no text: the quick path
# then checks the frame in full, with the closures, which say why.  Generated
# only for a signature asked for _GEN_AFTER times, short and nested little
# (a peer cannot make the runtime compile much); any other is left to the closures.

_GEN_AFTER: Final = 16  # uses of a signature before its checker is generated
_GEN_MAX_SIG: Final = 64  # longest signature generated
# Generating costs 0.2 ms ("s") to 11 ms (64 type codes): at most this many per second,
# so a peer cycling through new signatures cannot spend more than a few % of a core on
# it (a signature refused now is generated on a later use; the closures check meanwhile).
_GEN_PER_SECOND: Final = 4
_GEN_MAX_LOOPS: Final = 8  # arrays nested in a generated checker (Python nests 20 blocks)
_GEN_CACHE_MAX: Final = 512  # generated checkers kept (then the cache starts afresh)

_Type = tuple[str, tuple[Any, ...]]  # a complete type: (type code, its element types)
_Generated = Callable[..., int]
# a signature's generated checkers: (for an ASCII body, for any body)
_Pair = tuple[_Generated, _Generated]


def _parse(sig: str, i: int) -> tuple[_Type, int]:
    """The complete type at ``sig[i]`` (``sig`` found valid) and the index after it."""
    c = sig[i]
    if c == "a":
        child, j = _parse(sig, i + 1)
        return ("a", (child,)), j
    if c == "(" or c == "{":
        close = ")" if c == "(" else "}"
        kids = []
        j = i + 1
        while sig[j] != close:
            kid, j = _parse(sig, j)
            kids.append(kid)
        return (c, tuple(kids)), j + 1
    return (c, ()), i + 1


def _depth(t: _Type) -> int:
    """Containers nested in a type at most, a variant counted as one."""
    c, kids = t
    if c == "v":
        return 1
    return 1 + max(_depth(k) for k in kids) if kids else 0


def _loops(t: _Type) -> int:
    """Loops nested in a type's generated checker (an array of fixed-size values has none)."""
    c, kids = t
    inner = max((_loops(k) for k in kids), default=0)
    return inner + 1 if c == "a" and kids[0][0] not in _FIXED_SIZE else inner


class _Source:
    """The lines of one generated checker; ``known``: the alignment ``pos`` is known to have."""

    def __init__(self, utf8: bool, body: bool) -> None:
        self.utf8 = utf8
        self.depth = "" if body else "depth + "  # a body's values: depth 0
        self.find = "find"  # buf.find, as a local when it is called more than once
        self.lines: list[str] = []
        self.indent = 1
        self.names = 0
        self.known = 1

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def name(self) -> str:
        self.names += 1
        return f"_{self.names}"

    def align(self, n: int) -> None:
        if self.known < n:
            self.line(f"pos += -pos & {n - 1}")
            self.known = n

    def string(self, end: str, advance: bool = True) -> None:
        """A STRING at ``pos`` (aligned): length, NUL after it and none in it, UTF-8.

        Its NUL is at ``e``; ``advance``: then ``pos`` is set after it.
        """
        self.line("e = pos + 4 + un(buf, pos)[0]")
        self.line(f"if e >= {end} or {self.find}(0, pos + 4, e + 1) != e: raise _Bad")
        if self.utf8:
            self.line("buf[pos + 4 : e].decode()")
        if advance:
            self.line("pos = e + 1")
        self.known = 1

    def string_variant_entry(self, d: int, end: str) -> None:
        """A ``{sv}`` entry (the most common): the key, then a string value inline."""
        self.align(8)
        self.string(end, advance=False)
        self.line('if buf.startswith(b"\\x01s\\x00", e + 1):')
        self.indent += 1
        self.line("pos = e + 4 + (-(e + 4) & 3)")
        self.string(end)
        self.indent -= 1
        self.line("else:")
        self.line(f"    pos = _variant(buf, e + 1, {end}, w, {self.depth}{d})")
        self.known = 1

    def emit(self, t: _Type, d: int, end: str) -> None:
        """Check the value of type ``t`` at ``pos``, ``d`` containers deep, bounded by ``end``."""
        c, kids = t
        size = _FIXED_SIZE.get(c)
        if size is not None:
            if size == 1 or self.known >= size:
                self.line(f"pos += {size}")
            else:
                self.line(f"pos += (-pos & {size - 1}) + {size}")
            self.line(f"if pos > {end}: raise _Bad")
            self.known = size
        elif c == "b" or c == "h":
            self.align(4)
            if c == "b":
                self.line("if un(buf, pos)[0] > 1: raise _Bad")
            else:
                self.line("_fd(w, un(buf, pos)[0])")
            self.line("pos += 4")
            self.line(f"if pos > {end}: raise _Bad")
            self.known = 4
        elif c == "s":
            self.align(4)
            self.string(end)
        elif c == "o":
            self.line(f"pos = _path(buf, pos, {end})")
            self.known = 1
        elif c == "g":
            self.line(f"pos = _sig(buf, pos, {end})")
            self.known = 1
        elif c == "v":
            # a string (the most common variant) inline, any other by _variant; a
            # signature running past ``end`` leaves the string's length past it too
            self.line('if buf.startswith(b"\\x01s\\x00", pos):')
            self.indent += 1
            self.line("pos += 3 + (-(pos + 3) & 3)")
            self.string(end)
            self.indent -= 1
            self.line("else:")
            self.line(f"    pos = _variant(buf, pos, {end}, w, {self.depth}{d})")
            self.known = 1
        elif c == "a":
            elem = kids[0]
            n, e = self.name(), self.name()
            self.align(4)
            self.line(f"{n} = un(buf, pos)[0]")
            self.line(f"if {n} > {_MAX_ARRAY_LENGTH}: raise _Bad")
            align = _ALIGN.get(elem[0], 1)  # a variant: 1
            self.line("pos += 4" if align <= 4 else f"pos += 4 + (-(pos + 4) & {align - 1})")
            self.line(f"{e} = pos + {n}")
            self.line(f"if {e} > {end}: raise _Bad")
            size = _FIXED_SIZE.get(elem[0])
            if size is not None:
                if size > 1:
                    self.line(f"if {n} % {size}: raise _Bad")
            else:
                self.line(f"while pos < {e}:")
                self.indent += 1
                self.known = 1
                self.emit(elem, d + 1, e)
                self.indent -= 1
            self.line(f"pos = {e}")
            self.known = 1
        elif c == "{" and kids[0][0] == "s" and kids[1][0] == "v":
            self.string_variant_entry(d + 1, end)
        else:  # a struct or a dict entry
            self.align(8)
            for kid in kids:
                self.emit(kid, d + 1, end)


def _generate(sig: str, un: _Unpack, body: bool) -> _Pair | None:
    """The generated checkers of ``sig`` (found valid), or None if it gets none.

    ``body``: the checkers of a whole body, ``check(buf, pos, end, w)``, which
    also refuse bytes after the last value (``w`` is None for a signature
    without ``h`` and ``v``).  Otherwise the checkers of a variant's value,
    ``check(buf, pos, end, w, depth)``, ``depth`` = the containers around it
    (the variant included).  Both raise _Bad (no text) for an invalid value.
    """
    types = []
    i = 0
    while i < len(sig):
        t, i = _parse(sig, i)
        types.append(t)
    deepest = max((_depth(t) for t in types), default=0)
    if len(sig) > _GEN_MAX_SIG or max((_loops(t) for t in types), default=0) > _GEN_MAX_LOOPS:
        return None
    if body and deepest > _MAX_DEPTH:
        return None
    closures = _body_check(sig, un)
    text = []
    for utf8 in (False, True):
        src = _Source(utf8, body)
        if body:
            src.known = 8
        else:
            src.line(f"if depth + {deepest} > {_MAX_DEPTH}:")
            src.line("    return _deep(buf, pos, end, w, depth)")
        if "a" in sig or "v" in sig or sig.count("s") > 1:
            src.line("find = buf.find")
        else:
            src.find = "buf.find"
        for t in types:
            src.emit(t, 0, "end")
        if body:
            src.line("if pos != end: raise _Bad")
        src.line("return pos")
        name = "check_utf8" if utf8 else "check_ascii"
        args = "buf, pos, end, w" if body else "buf, pos, end, w, depth"
        text += [f"def {name}({args}):", *src.lines]

    def deep(buf: bytes, pos: int, end: int, w: _Walk, depth: int) -> int:
        w.depth = depth
        pos = closures[0](buf, pos, end, w)
        w.depth = depth
        return pos

    space: dict[str, Any] = {
        "un": un,
        "_Bad": _BadMessage,
        "_fd": _check_fd,
        "_path": _path_checks[un],
        "_sig": _sig_checks[un],
        "_variant": _variant_checks_of[un],
        "_deep": deep,
    }
    exec("\n".join(text), space)  # noqa: S102 - source built above from a valid signature
    return cast(_Generated, space["check_ascii"]), cast(_Generated, space["check_utf8"])


def _check_fd(w: _Walk, index: int) -> None:
    if index >= w.nfds:
        raise _BadFds(f"fd index {index} but the message carries {w.nfds} fds")
    w.n_h += 1
    if w.n_h > w.max_h:
        raise _BadFds(f"more than {w.max_h} fd values in one message")


def _path_check(un: _Unpack) -> Callable[[bytes, int, int], int]:
    def path(buf: bytes, pos: int, end: int) -> int:
        text, pos = _read_text(buf, pos, end, un)
        if not _is_path(text):
            raise _BadMessage(f"invalid object path {_quote(text)}")
        return pos

    return path


def _sig_check(un: _Unpack) -> Callable[[bytes, int, int], int]:
    def signature(buf: bytes, pos: int, end: int) -> int:
        text, pos = _read_sig(buf, pos, end)
        _body_check(text, un)  # raises unless valid
        return pos

    return signature


_generated: dict[tuple[str, Any, bool], _Pair | bool] = {}
_uses: dict[tuple[str, Any, bool], int] = {}


def _fast_check(sig: str, un: _Unpack, body: bool) -> _Pair | bool | None:
    """The generated checkers of ``sig`` (found valid) once asked for often enough.

    None: not yet; False: ``sig`` gets none (too long, nested too deep).
    """
    key = (sig, un, body)
    found = _generated.get(key)
    if found is not None:
        return found
    n = _uses.get(key, 0) + 1
    if n < _GEN_AFTER:
        if len(_uses) >= _GEN_CACHE_MAX:
            _uses.clear()
        _uses[key] = n
        return None
    now = time.monotonic()
    if now - _budget[0] >= 1.0:
        _budget[0], _budget[1] = now, 0
    if _budget[1] >= _GEN_PER_SECOND:
        return None  # its count stays: tried again on its next use
    _budget[1] += 1
    _uses.pop(key, None)
    if len(_generated) >= _GEN_CACHE_MAX:
        _generated.clear()
    pair = _generated[key] = _generate(sig, un, body) or False
    return pair


_budget: list[float] = [0.0, 0]  # start of the current second, generations in it


def _variant_check_of(un: _Unpack) -> Callable[[bytes, int, int, _Walk, int], int]:
    """The checker of a VARIANT in generated checkers (``depth``: containers around it)."""
    basic = _basic_checks(un)
    generated: dict[str, _Pair] = {}

    def variant(buf: bytes, pos: int, end: int, w: _Walk, depth: int) -> int:
        depth += 1
        if pos + 2 < end and buf[pos] == 1 and buf[pos + 2] == 0:
            check = basic.get(buf[pos + 1])
            if check is not None:
                if depth > _MAX_DEPTH:
                    raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
                return check(buf, pos + 3, end, w)
        text, pos = _read_sig(buf, pos, end)
        pair = generated.get(text)
        if pair is None:
            check = _variant_check(text, un)  # raises unless one valid complete type
            if depth > _MAX_DEPTH:
                raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
            fast = _fast_check(text, un, False)
            if not fast:
                w.depth = depth
                pos = check(buf, pos, end, w)
                w.depth = depth - 1
                return pos
            if len(generated) >= _GEN_CACHE_MAX:
                generated.clear()
            pair = generated[text] = cast(_Pair, fast)
        elif depth > _MAX_DEPTH:
            raise _BadMessage(f"containers nested deeper than {_MAX_DEPTH}")
        return pair[w.utf8](buf, pos, end, w, depth)

    return variant


_path_checks: Final = {un: _path_check(un) for un in _UNPACK_U32.values()}
_sig_checks: Final = {un: _sig_check(un) for un in _UNPACK_U32.values()}
_variant_checks_of: Final = {un: _variant_check_of(un) for un in _UNPACK_U32.values()}


# header field code -> (type code, name)
_HEADER_FIELDS: Final = {
    1: (ord("o"), "PATH"),
    2: (ord("s"), "INTERFACE"),
    3: (ord("s"), "MEMBER"),
    4: (ord("s"), "ERROR_NAME"),
    5: (ord("u"), "REPLY_SERIAL"),
    6: (ord("s"), "DESTINATION"),
    7: (ord("s"), "SENDER"),
    8: (ord("g"), "SIGNATURE"),
    9: (ord("u"), "UNIX_FDS"),
}
_REQUIRED: Final = {1: (1, 3), 2: (5,), 3: (4, 5), 4: (1, 2, 3)}
_LOCAL_PATH: Final = "/org/freedesktop/DBus/Local"
_LOCAL_IFACE: Final = "org.freedesktop.DBus.Local"


class _Head:
    """What the fixed header and the header fields of a frame say (filled while checking)."""

    __slots__ = ("body_len", "endian", "fields", "flags", "head_len", "mtype", "serial")

    def __init__(self) -> None:
        self.endian = 0
        self.mtype = 0
        self.flags = 0
        self.serial = 0
        self.body_len = 0
        self.head_len = 0
        self.fields: dict[int, Any] = {}


def _frame_length(head: bytes | bytearray, h: _Head) -> int:
    """Check the 16 fixed bytes of a frame; return the frame's whole length.

    Errors here leave the stream unframed: the connection cannot go on.
    """
    endian = head[0]
    unpack = _UNPACK_HEAD.get(endian)
    if unpack is None:
        raise _BadMessage(f"invalid endianness byte {endian}")
    if head[3] != 1:
        raise _BadMessage(f"unknown protocol version {head[3]}")
    body_len, serial, head_len = cast(tuple[int, int, int], unpack(head, 4))
    total = 16 + head_len + (-head_len & 7) + body_len
    if head_len > _MAX_ARRAY_LENGTH or total > _MAX_MESSAGE_SIZE:
        raise _BadMessage(f"message of {total} bytes is longer than {_MAX_MESSAGE_SIZE}")
    h.endian = endian
    h.mtype = head[1]
    h.flags = head[2]
    h.serial = serial
    h.body_len = body_len
    h.head_len = head_len
    return total


_header_cache: dict[bytes, tuple[int, int, dict[int, Any]]] = {}


def _check_fields(buf: bytes, h: _Head, un: _Unpack) -> None:
    """Check the header fields (a(yv)) of a frame into ``h.fields``."""
    end = 16 + h.head_len
    key = buf[16:end]
    cached = _header_cache.get(key)
    if cached is not None and cached[0] == h.endian and cached[1] == h.mtype:
        h.fields = cached[2]
        return
    fields = h.fields
    pos = 16
    while pos < end:
        pos += -pos & 7
        if pos + 4 > end:
            raise _truncated()
        code = buf[pos]
        spec = _HEADER_FIELDS.get(code)
        if spec is None:
            if code == 0:
                raise _BadMessage("header field code 0 (INVALID)")
            # unknown field: the specification says to ignore it, once it is well-formed
            pos = _compile("v", 0, 0, 0, un)[0](buf, pos + 1, end, _Walk(0, 0))
            continue
        if code in fields:
            raise _BadMessage(f"header field {spec[1]} given twice")
        if buf[pos + 1] != 1 or buf[pos + 2] != spec[0] or buf[pos + 3] != 0:
            raise _BadMessage(f"header field {spec[1]} has the wrong type")
        pos += 4
        t = spec[0]
        if t == 117:  # "u"
            pos += -pos & 3
            if pos + 4 > end:
                raise _truncated()
            value: Any = un(buf, pos)[0]
            pos += 4
        elif t == 103:  # "g"
            value, pos = _read_sig(buf, pos, end)
        else:
            value, pos = _read_text(buf, pos, end, un)
        fields[code] = value
    if pos != end:
        raise _truncated()
    for code, value in fields.items():
        if code == 1:
            ok = _is_path(value)
        elif code == 2 or code == 4:
            ok = _is_interface(value)
        elif code == 3:
            ok = _is_member(value)
        elif code == 5:
            ok = value != 0
        elif code == 6 or code == 7:
            ok = _is_bus_name(value)
        elif code == 8:
            _body_check(value, un)
            ok = True
        else:
            ok = True
        if not ok:
            raise _BadMessage(f"invalid {_HEADER_FIELDS[code][1]} {_quote(value)}")
    required = _REQUIRED.get(h.mtype)
    if required is None:
        raise _BadMessage(f"unknown message type {h.mtype}")
    for code in required:
        if code not in fields:
            raise _BadMessage(f"message of type {h.mtype} without {_HEADER_FIELDS[code][1]}")
    if h.mtype == 4 and (fields[1] == _LOCAL_PATH or fields[2] == _LOCAL_IFACE):
        raise _BadMessage("signal from the reserved Local path or interface")
    if 5 not in fields:  # replies differ in every frame: not worth caching
        if len(_header_cache) >= _PLAN_CACHE_MAX:
            _header_cache.clear()
        _header_cache[key] = (h.endian, h.mtype, fields)


_NO_FDS: Final[list[int]] = []  # shared, never mutated: frames without fds
# what the header of a valid frame settles, by the frame's header bytes (serials left out):
# [the body's checkers, the fds it declares, whether its bodies go into _valid_bodies,
#  the body's signature, its generated checkers (None: not yet, False: none), whether
#  its walk needs a _Walk (variants or fds)]
_verdicts: dict[bytes, list[Any]] = {}
# whole frames (serials left out) found valid, for bodies with variants: the same
# properties come again and again (GetAll, PropertiesChanged, a{sv} options), and their
# walk is the validator's one costly case.  Exact bytes: a frame that differs in one byte
# is walked.  Only frames without fds (then any ``h`` is invalid, whatever the limits).
_valid_bodies: set[bytes] = set()
_BODY_CACHE_BYTES: Final = 2048  # largest body remembered
_BODY_CACHE_MAX: Final = 1024  # frames remembered (then the set starts afresh)
# reference bodies (see _Reference), by header bytes (serials left out) and body length;
# an int: how many such bodies were walked in full before one became the reference
_references: dict[tuple[bytes, int], _Reference | int] = {}
_REFERENCE_AFTER: Final = 2  # bodies of one header and length walked before one is kept
# bodies a reference refuses in a row (walked, valid) before the last one replaces it: a
# peer alternating structures makes the runtime build at most one per this many walks
_REFERENCE_RENEW: Final = 32
_REFERENCE_MAX: Final = 256  # references kept (then the dict starts afresh)
_REFERENCE_NUMBERS: Final = 4  # numbers in a reference whose zero bytes are counted apart
_REPLY_SERIAL_FIRST: Final = b"\x05\x01u\x00"


def _verdict_key(frame: bytes, un: _Unpack) -> bytes | None:
    """The header bytes that decide a frame's validity, but its serials; None if unusable."""
    hend = 16 + un(frame, 12)[0]
    if hend > len(frame) or hend < 24:
        return None
    if frame.startswith(_REPLY_SERIAL_FIRST, 16):  # REPLY_SERIAL first: left out
        if un(frame, 20)[0] == 0:
            return None
        return frame[:4] + frame[12:20] + frame[24:hend]
    return frame[:4] + frame[12:hend]


def _quick(frame: bytes, nfds: int, max_fds: int) -> bool:
    """True if the frame is valid, decided by a header seen before; False = check it in full.

    The header fields of a frame (but its serials) are the same from one call
    to the next of a method; a header once found valid is not walked again.
    The body is checked by the compiled check where it is built; in pure Python
    it is checked (by the signature's generated checker once there is
    one), unless it holds variants and this very frame (but its serials) was
    found valid before, or it differs from a reference body of its header and
    length only in string texts and numbers (_Reference).  An invalid body
    gives False too: the full check then says why.
    """
    try:
        unpack = _UNPACK_HEAD.get(frame[0])
        if unpack is None:
            return False
        head: tuple[int, int, int] = unpack(frame, 4)
        body_len, serial, head_len = head
        hend = 16 + head_len
        if hend > len(frame) or hend < 24 or not serial:
            return False
        if frame.startswith(_REPLY_SERIAL_FIRST, 16):  # REPLY_SERIAL first: left out
            if not unpack(frame, 12)[2]:
                return False
            key = frame[:4] + frame[12:20] + frame[24:hend]
        else:
            key = frame[:4] + frame[12:hend]
        verdict = _verdicts.get(key)
        if verdict is None or verdict[1] != nfds or nfds > max_fds:
            return False
        pos = hend + (-hend & 7)
        end = pos + body_len
        if _compiled_body is not None:
            return _compiled_body(frame, pos, end, verdict[3], frame[0] == 66, nfds, max_fds)
        fast = verdict[4]
        if fast and not verdict[5]:  # the common case: no variants, no fds
            if body_len <= _CHUNK and frame[pos:end].isascii():
                fast[0](frame, pos, end, None)
            else:
                fast[1](frame, pos, end, None)
            return True
        checks = verdict[0]
        if not checks:
            return pos == end
        whole = None
        if verdict[2] and not nfds and body_len <= _BODY_CACHE_BYTES:
            body = frame[pos:end]
            ref = _references.get((key, body_len))
            if ref.__class__ is _Reference and ref.admits(body):
                ref.refused = 0
                return True
            whole = key + body  # the header part's length is in it (frame[12:16])
            if whole in _valid_bodies:
                return True
        if fast is None:
            fast = _fast_check(verdict[3], _UNPACK_U32[frame[0]], True)
            if fast is not None:
                verdict[4] = fast
        if fast:
            w = _body_walk(frame, pos, end, nfds, max_fds)
            if verdict[5]:  # variants or fds
                fast[w.utf8](frame, pos, end, w)
            else:  # just generated
                fast[w.utf8](frame, pos, end, None)
        else:
            w = _body_walk(frame, pos, end, nfds, max_fds)
            at = pos
            for check in checks:
                at = check(frame, at, end, w)
            if at != end:
                return False
    except (_BadMessage, struct.error, UnicodeDecodeError, IndexError):
        return False
    if whole is not None:
        if len(_valid_bodies) >= _BODY_CACHE_MAX:
            _valid_bodies.clear()
        _valid_bodies.add(whole)
        try:
            _walked((key, body_len), frame, pos, end, verdict[3])
        except (struct.error, UnicodeDecodeError, IndexError):  # cannot be: no reference
            pass
    return True


class _Reference:
    """A body found valid, against which a body of the same header and length is checked.

    Properties and options come again with the same keys and types but new
    values.  A body that differs from the reference only inside string texts
    and fixed-size numbers has the reference's every length, alignment,
    padding, signature, boolean and object path, so it is walked exactly as the
    reference was; it is valid if its strings are (no NUL, UTF-8).  ``admits``
    settles that with a few whole-body operations: the body's bytes as one
    integer, compared with the reference under the mask of its structural bytes
    (every byte but string texts and numbers); then no byte of its string texts
    may be 0, and unless the body is ASCII its texts alone (every other byte 0)
    must decode.  The zero bytes are counted (``bytes.count``: the structural
    ones are the reference's, those of its few numbers are counted apart), or,
    for a body of many numbers, found by the word-at-a-time test for a zero byte
    on the whole integer (every byte but the texts set to 0xFF).  Only for
    bodies without fds (an ``h`` is then invalid) and at most _BODY_CACHE_BYTES
    long.
    """

    __slots__ = (
        "fixed",
        "highs",
        "kept",
        "length",
        "numbers",
        "ones",
        "others",
        "raw",
        "refused",
        "texts",
        "zeros",
    )

    def __init__(
        self,
        body: bytes,
        texts: list[tuple[int, int]],
        numbers: list[tuple[int, int]],
        free: bytearray,
    ) -> None:
        """``texts``, ``numbers``: (start, end) of every string's text and of every
        fixed-size value; ``free``: 0 at every byte that may change (texts and numbers),
        0xFF at the others."""
        self.length = len(body)
        self.raw = body
        self.fixed = int.from_bytes(free, "little")
        self.kept = int.from_bytes(body, "little") & self.fixed  # structural bytes, others 0
        mask = bytearray(len(body))
        ones = b"\xff" * len(body)
        for s, e in texts:
            mask[s:e] = ones[s:e]
        self.texts = int.from_bytes(mask, "little")  # 0xFF at text bytes, 0 elsewhere
        # few numbers: their zero bytes counted one by one; many: the word-at-a-time test
        self.numbers = tuple(numbers) if len(numbers) <= _REFERENCE_NUMBERS else None
        self.zeros = body.count(0) - sum(body.count(0, s, e) for s, e in numbers)
        self.others = int.from_bytes(ones, "little") ^ self.texts  # 0xFF but at text bytes
        self.ones = int.from_bytes(b"\x01" * len(body), "little")
        self.highs = self.ones << 7  # 0x80 in every byte
        self.refused = 0  # bodies refused in a row (then walked and found valid)

    def admits(self, body: bytes) -> bool:
        """True if ``body`` (of the reference's length) is valid; False: walk it in full."""
        if body == self.raw:
            return True
        n = int.from_bytes(body, "little")
        if n & self.fixed != self.kept:
            return False  # a structural byte differs
        if self.texts:
            numbers = self.numbers
            if numbers is not None:  # zero bytes: the structure's, the numbers', no other
                zeros = body.count(0)
                for s, e in numbers:
                    zeros -= body.count(0, s, e)
                if zeros != self.zeros:
                    return False  # a NUL inside a string
            else:
                v = n | self.others
                if (v - self.ones) & ~v & self.highs:
                    return False  # a zero byte: a NUL inside a string
            if not body.isascii():
                try:  # the zero bytes between texts end any UTF-8 sequence
                    (n & self.texts).to_bytes(self.length, "little").decode()
                except UnicodeDecodeError:
                    return False
        return True


def _walked(rkey: tuple[bytes, int], frame: bytes, pos: int, end: int, sig: str) -> None:
    """A body ``frame[pos:end]`` of signature ``sig`` was walked in full and found valid:
    the _REFERENCE_AFTER-th of its header and length becomes their reference, and so
    does the _REFERENCE_RENEW-th in a row the reference refused (the values' structure
    changed: a string grew inside its padding, an array got an element)."""
    found = _references.get(rkey, 0)
    if isinstance(found, _Reference):  # it refused this body: replaced after a few refusals
        found.refused += 1
        if found.refused < _REFERENCE_RENEW:
            return
    elif found + 1 < _REFERENCE_AFTER:
        if len(_references) >= _REFERENCE_MAX:
            _references.clear()
        _references[rkey] = found + 1
        return
    notes = _Spans(_UNPACK_U32[frame[0]], pos, end)
    at = pos
    i = 0
    while i < len(sig):
        t, i = _parse(sig, i)
        at = _spans(frame, at, t, notes)
    if at != end:  # cannot be, for a body found valid: keep no reference
        return
    if len(_references) >= _REFERENCE_MAX:
        _references.clear()
    _references[rkey] = _Reference(frame[pos:end], notes.texts, notes.numbers, notes.free)


class _Spans:
    """What :func:`_spans` notes of a body found valid, relative to its start ``base``:
    the (start, end) of every string's text and of every run of fixed-size values, and
    ``free``, 0 at their bytes and 0xFF at every other one."""

    __slots__ = ("base", "free", "numbers", "texts", "un")

    def __init__(self, un: _Unpack, base: int, end: int) -> None:
        self.un = un
        self.base = base
        self.texts: list[tuple[int, int]] = []
        self.numbers: list[tuple[int, int]] = []
        self.free = bytearray(b"\xff" * (end - base))

    def number(self, pos: int, end: int) -> None:
        """Fixed-size values (any bytes valid) from ``pos`` to ``end``."""
        s, e = pos - self.base, end - self.base
        if s == e:
            return
        numbers = self.numbers
        if numbers and numbers[-1][1] == s:  # right after the one before (no padding)
            s = numbers.pop()[0]
        numbers.append((s, e))
        self.free[s:e] = bytes(e - s)

    def text(self, buf: bytes, pos: int) -> int:
        """A STRING at ``pos`` (aligned): note its text; return the position after its NUL."""
        e = pos + 4 + self.un(buf, pos)[0]
        if e > pos + 4:
            s, t = pos + 4 - self.base, e - self.base
            self.texts.append((s, t))
            self.free[s:t] = bytes(t - s)
        return e + 1


_variant_types: dict[bytes, _Type] = {}  # a variant's signature (found valid): its type
_VARIANT: Final[_Type] = ("v", ())
_SV_ENTRY: Final[_Type] = ("{", (("s", ()), _VARIANT))


def _spans(buf: bytes, pos: int, t: _Type, notes: _Spans) -> int:
    """Walk the value of type ``t`` at ``pos`` in a body found valid, noting its string
    texts and numbers in ``notes``; return the position after it."""
    c, kids = t
    size = _FIXED_SIZE.get(c)
    if size is not None:
        pos += -pos & (size - 1)
        notes.number(pos, pos + size)
        return pos + size
    if c == "s":
        return notes.text(buf, pos + (-pos & 3))
    if c == "o":  # an object path is checked as a whole: kept fixed
        pos += -pos & 3
        return pos + 4 + notes.un(buf, pos)[0] + 1
    if c == "b" or c == "h":
        return pos + (-pos & 3) + 4
    if c == "g":
        return pos + buf[pos] + 2
    if c == "v":
        n = buf[pos]
        sig = buf[pos + 1 : pos + 1 + n]
        inner = _variant_types.get(sig)
        if inner is None:
            if len(_variant_types) >= _PLAN_CACHE_MAX:
                _variant_types.clear()
            inner = _variant_types[sig] = _parse(sig.decode("ascii"), 0)[0]
        return _spans(buf, pos + n + 2, inner, notes)
    if c == "a":
        pos += -pos & 3
        n = notes.un(buf, pos)[0]
        pos += 4
        elem = kids[0]
        pos += -pos & (_ALIGN.get(elem[0], 1) - 1)
        e = pos + n
        if elem[0] in _FIXED_SIZE:
            notes.number(pos, e)
            return e
        if elem == _SV_ENTRY:  # a{sv}, the common case: keys and string values inline
            while pos < e:
                pos = notes.text(buf, pos + (-pos & 7))
                if buf.startswith(b"\x01s\x00", pos):
                    pos += 3
                    pos = notes.text(buf, pos + (-pos & 3))
                else:
                    pos = _spans(buf, pos, _VARIANT, notes)
            return e
        while pos < e:
            pos = _spans(buf, pos, elem, notes)
        return e
    pos += -pos & 7  # a struct or a dict entry
    for kid in kids:
        pos = _spans(buf, pos, kid, notes)
    return pos


def _check_frame(buf: bytes, h: _Head, nfds: int, max_fds: int) -> None:
    """Check a whole frame (``_frame_length`` was called); raise _BadMessage if invalid."""
    if h.serial == 0:
        raise _BadMessage("serial 0")
    un = _UNPACK_U32[h.endian]
    _check_fields(buf, h, un)
    fields = h.fields
    declared = fields.get(9, 0)
    if declared != nfds:
        raise _BadFds(f"UNIX_FDS says {declared} fds, {nfds} attached")
    if nfds > max_fds:
        raise _BadFds(f"{nfds} fds attached, more than {max_fds}")
    sig = fields.get(8, "")
    pos = 16 + h.head_len
    pos += -pos & 7
    end = pos + h.body_len
    if not sig:
        if h.body_len:
            raise _BadMessage("message has a body but no SIGNATURE")
        _remember(buf, un, (), declared, sig)
        return
    checks = _body_check(sig, un)
    if _compiled_body is not None and _compiled_body(
        buf, pos, end, sig, h.endian == 66, nfds, max_fds
    ):
        _remember(buf, un, checks, declared, sig)
        return
    w = _body_walk(buf, pos, end, nfds, max_fds)
    for check in checks:
        pos = check(buf, pos, end, w)
    if pos != end:
        raise _BadMessage(f"{end - pos} bytes after the last value of the body")
    _remember(buf, un, checks, declared, sig)


def _remember(buf: bytes, un: _Unpack, checks: tuple[_Check, ...], declared: int, sig: str) -> None:
    key = _verdict_key(buf, un)
    if key is not None and len(key) < 1024:
        if len(_verdicts) >= _PLAN_CACHE_MAX:
            _verdicts.clear()
        _verdicts[key] = [checks, declared, "v" in sig, sig, None, "v" in sig or "h" in sig]


def _fixed_layout(sig: str) -> list[tuple[int, int]] | None:
    """A body of fixed-size values and arrays of them, as (alignment, size or 0 for an
    array with elements of ``alignment`` bytes); None for any other signature."""
    layout: list[tuple[int, int]] = []
    i = 0
    while i < len(sig):
        c = sig[i]
        size = _FIXED_SIZE.get(c)
        if size is not None:
            layout.append((size, size))
            i += 1
        elif c == "a" and i + 1 < len(sig) and sig[i + 1] in _FIXED_SIZE:
            layout.append((_FIXED_SIZE[sig[i + 1]], 0))
            i += 2
        else:
            return None
    return layout


_BLOB_SIG_MAX: Final = 32  # longest signature _blob_scalars takes
_blobs: dict[str, tuple[tuple[str, int], ...] | None] = {}


def _blob_scalars(sig: str) -> tuple[tuple[str, int], ...] | None:
    """For a body of fixed-size values then one ``ay`` (``ay``, ``uay``, ``iiiiuay``...):
    (struct code, size) of each value before the array; None for any other signature.
    Cached (signatures come from peers: the cache is bounded)."""
    if sig in _blobs:
        return _blobs[sig]
    scalars = None
    if len(sig) <= _BLOB_SIG_MAX and sig.endswith("ay"):
        if all(c in _STRUCT_CODE for c in sig[:-2]):
            scalars = tuple((_STRUCT_CODE[c], _FIXED_SIZE[c]) for c in sig[:-2])
    if len(_blobs) >= _PLAN_CACHE_MAX:
        _blobs.clear()
    _blobs[sig] = scalars
    return scalars


def _check_large_frame(chunks: list[bytes], h: _Head, nfds: int, max_fds: int) -> bool:
    """Check a frame given as the chunks it was read in, without joining them.

    Only for a body of fixed-size data (``ay`` and the like, where only the
    array lengths need reading); returns False, having checked nothing of the
    body, for any other body signature.
    """
    first = chunks[0]
    body_at = 16 + h.head_len
    body_at += -body_at & 7
    if len(first) < body_at:
        return False
    if h.serial == 0:
        raise _BadMessage("serial 0")
    un = _UNPACK_U32[h.endian]
    _check_fields(first, h, un)
    layout = _fixed_layout(h.fields.get(8, ""))
    if layout is None:
        return False
    fields = h.fields
    if fields.get(9, 0) != nfds:
        raise _BadFds(f"UNIX_FDS says {fields.get(9, 0)} fds, {nfds} attached")
    if nfds > max_fds:
        raise _BadFds(f"{nfds} fds attached, more than {max_fds}")
    if not layout and h.body_len:
        raise _BadMessage("message has a body but no SIGNATURE")
    starts: list[int] = []
    at = 0
    for c in chunks:
        starts.append(at)
        at += len(c)

    def u32_at(pos: int) -> int:
        k = bisect.bisect_right(starts, pos) - 1
        c = chunks[k]
        rel = pos - starts[k]
        raw = c[rel : rel + 4]
        while len(raw) < 4:
            k += 1
            raw += chunks[k][: 4 - len(raw)]
        return int(un(raw, 0)[0])

    pos = body_at
    end = body_at + h.body_len
    for align, size in layout:
        pos += -pos & (max(align, 4) - 1 if size == 0 else align - 1)
        if size:
            pos += size
        else:
            if pos + 4 > end:
                raise _truncated()
            n = u32_at(pos)
            if n > _MAX_ARRAY_LENGTH:
                raise _BadMessage(f"array of {n} bytes is longer than {_MAX_ARRAY_LENGTH}")
            if n % align:
                raise _BadMessage("array length is not a multiple of its element size")
            pos += 4
            pos += -pos & (align - 1)
            pos += n
        if pos > end:
            raise _truncated()
    if pos != end:
        raise _BadMessage(f"{end - pos} bytes after the last value of the body")
    return True


# -- the gate: reads frames, checks them, feeds the compiled reader ----------


class _InvalidMessageError(ConnectionError):
    """The peer sent a message that breaks the D-Bus specification (and was disconnected)."""
