"""Wire-level fuzzing of the runtime's inbound boundary (issue 9), deterministic.

* Every valid message dbus-fast can marshal passes the validator (no false refusals).
* A frame the validator accepts is decoded by dbus-fast's compiled reader without an
  exception (and so without a crash): mutated valid frames, byte by byte.
* A generated server on p2p and on a private dbus-daemon, and a generated client served
  by a hostile p2p peer, get such frames on the wire and keep serving a well-behaved
  client, with no traceback in the log.

The properties that keep the reader safe run twice: with the compiled body check (as
installed here) and with the pure-Python checks (a runtime without ``_cwire``, or
vendored), which each say on their own which frames reach dbus-fast's reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import Message, Variant
from dbus_fast._private.unmarshaller import Unmarshaller
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wire import (
    IFACE,
    PATH,
    Harness,
    LogWatch,
    Peer,
    body_bytes,
    call,
    proxy_class,
    raw_message,
    server_class,
)

import qdbusgen_runtime as rt  # noqa: E402
from qdbusgen_runtime import _wire  # noqa: E402

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BODY_CHECKS = pytest.mark.parametrize("body_check", ["compiled", "pure"])


@contextlib.contextmanager
def checked_by(body_check: str) -> Iterator[None]:
    """Bodies checked by the compiled check, or in pure Python (generated checkers,
    remembered frames and reference bodies, which the compiled check stands in for)."""
    saved = _wire._compiled_body
    if body_check == "compiled":
        assert saved is not None, "qdbusgen_runtime._cwire is not built (see test_wire_compiled)"
    else:
        _wire._compiled_body = None
    try:
        yield
    finally:
        _wire._compiled_body = saved


# -- values with their signatures ------------------------------------------------

_BASIC = {
    "y": st.integers(0, 255),
    "b": st.booleans(),
    "n": st.integers(-(2**15), 2**15 - 1),
    "q": st.integers(0, 2**16 - 1),
    "i": st.integers(-(2**31), 2**31 - 1),
    "u": st.integers(0, 2**32 - 1),
    "x": st.integers(-(2**63), 2**63 - 1),
    "t": st.integers(0, 2**64 - 1),
    "d": st.floats(allow_nan=False),
    "s": st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=8
    ),
    "o": st.sampled_from(["/", "/a", "/org/x_1/Y"]),
    "g": st.sampled_from(["", "s", "a{sv}", "(ii)av"]),
}


def typed(depth: int = 3) -> st.SearchStrategy[tuple[str, Any]]:
    basic = st.sampled_from(sorted(_BASIC)).flatmap(lambda c: _BASIC[c].map(lambda v: (c, v)))
    if depth == 0:
        return basic
    inner = typed(depth - 1)

    def array(pair: tuple[str, Any]) -> st.SearchStrategy[tuple[str, Any]]:
        sig, _ = pair
        return st.lists(inner.filter(lambda p: p[0] == sig), max_size=3).map(
            lambda items: (
                "a" + sig,
                bytes(v for _, v in items) if sig == "y" else [v for _, v in items],
            )
        )

    structs = st.lists(inner, min_size=1, max_size=3).map(
        lambda items: ("(" + "".join(s for s, _ in items) + ")", [v for _, v in items])
    )
    variants = inner.map(lambda p: ("v", Variant(p[0], p[1])))
    dicts = st.dictionaries(_BASIC["s"], inner.map(lambda p: Variant(p[0], p[1])), max_size=3).map(
        lambda d: ("a{sv}", d)
    )
    return st.one_of(basic, inner.flatmap(array), structs, variants, dicts)


bodies = st.lists(typed(), max_size=4)


def frame_of(
    items: list[tuple[str, Any]], serial: int = 1, destination: str | None = None
) -> bytes:
    msg = Message(
        destination=destination,
        path=PATH,
        interface=IFACE,
        member="EchoVariant",
        signature="".join(s for s, _ in items),
        body=[v for _, v in items],
        serial=serial,
    )
    return bytes(msg._marshall(False))


def check(frame: bytes) -> None:
    """The runtime's validator on one frame (raises _wire._BadMessage)."""
    head = _wire._Head()
    total = _wire._frame_length(frame, head)
    assert total == len(frame)
    _wire._check_frame(frame, head, 0, 16)


def decodes(frame: bytes) -> Message:
    msg = Unmarshaller(io.BytesIO(frame)).unmarshall()
    assert msg is not None
    return msg


@BODY_CHECKS
@FUZZ
@given(bodies)
def test_every_valid_message_passes(body_check: str, items: list[tuple[str, Any]]) -> None:
    frame = frame_of(items)
    with checked_by(body_check):
        check(frame)
        assert gate_accepts(frame)
    assert decodes(frame).body is not None


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    frame = bytearray(frame_of(draw(bodies)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(12, len(frame) - 1))  # keep the first 12 bytes: stay framed
        frame[at] = draw(st.sampled_from([0, 1, 2, 0x7F, 0xFF, ord("v"), ord("a"), ord("(")]))
    return bytes(frame)


@BODY_CHECKS
@settings(FUZZ, max_examples=400)
@given(mutated())
def test_what_the_validator_accepts_the_compiled_reader_decodes(
    body_check: str, frame: bytes
) -> None:
    head = _wire._Head()
    try:
        total = _wire._frame_length(frame, head)
    except _wire._BadMessage:
        return
    if total != len(frame):
        return  # the header now frames other bytes: not this frame any more
    with checked_by(body_check):
        if not gate_accepts(frame):  # the quick path, then in full
            return
    msg = decodes(frame)  # a segfault here would end the test run
    assert msg.serial != 0


VARIANT_AT = {"v": 0, "uv": 4, "a{sv}": 14}  # where the variant's signature starts


@st.composite
def variant_frames(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A call whose body holds a variant (alone, after a ``u``, in an ``a{sv}``) of a valid
    value, its signature maybe replaced by any text (the empty one included), the value's
    bytes kept or dropped; and whether the variant is still the valid one."""
    sig, value = draw(typed(2))
    outer = draw(st.sampled_from(sorted(VARIANT_AT)))
    args = {"v": [Variant(sig, value)], "uv": [0, Variant(sig, value)]}
    body = body_bytes(outer, args.get(outer, [{"k": Variant(sig, value)}]))
    other = draw(st.one_of(st.none(), st.text(st.sampled_from("ayvsi(){}bhgo"), max_size=6)))
    if other is None:
        return call("EchoVariant", outer, body), True
    at = VARIANT_AT[outer]
    keep = draw(st.booleans())
    value_bytes = body[at + 2 + body[at] :] if keep else b""
    body = body[:at] + bytes([len(other)]) + other.encode() + b"\0" + value_bytes
    if outer == "a{sv}":  # the array's length, to the entry's new end
        body = struct.pack("<I", len(body) - 8) + body[4:]
    return call("EchoVariant", outer, body), keep and other == sig


@BODY_CHECKS
@settings(FUZZ, max_examples=300)
@given(variant_frames())
def test_a_variant_of_any_signature_is_refused_or_decoded(
    body_check: str, case: tuple[bytes, bool]
) -> None:
    """Byte mutations seldom make a variant's signature empty (its length and the byte
    after it must both become 0): here it is any text, in a frame that reaches dbus-fast's
    reader whenever the gate accepts it; the value's own signature is always accepted."""
    frame, own = case
    with checked_by(body_check):
        accepted = gate_accepts(frame)
    assert accepted or not own
    if accepted:
        decodes(frame)


@BODY_CHECKS
@FUZZ
@given(st.binary(min_size=16, max_size=200))
def test_random_bytes_are_refused_or_decoded(body_check: str, data: bytes) -> None:
    frame = b"l\x01\x00\x01" + data[4:]
    head = _wire._Head()
    try:
        total = _wire._frame_length(frame, head)
        if total != len(frame):
            return
    except _wire._BadMessage:
        return
    with checked_by(body_check):
        if not gate_accepts(frame):
            return
    decodes(frame)


# -- the gate's memory of valid frames ----------------------------------------------


def gate_accepts(frame: bytes, nfds: int = 0) -> bool:
    """The gate's decision on a frame (_InboundGate._admit): the quick path, then in full."""
    try:
        if _wire._quick(frame, nfds, 16):
            return True
        head = _wire._Head()
        _wire._frame_length(frame, head)
        _wire._check_frame(frame, head, nfds, 16)
    except _wire._BadMessage:
        return False
    return True


def full_accepts(frame: bytes) -> bool:
    try:
        check(frame)
    except _wire._BadMessage:
        return False
    return True


@pytest.fixture()
def pure() -> Iterator[None]:
    with checked_by("pure"):
        yield


def forget_bodies() -> None:
    """Forget every body remembered valid (exact frames and references): walk the next."""
    _wire._valid_bodies.clear()
    _wire._references.clear()


with_variant = st.tuples(bodies, typed(2)).map(lambda t: t[0] + [("v", Variant(*t[1]))])


@st.composite
def remembered_then_mutated(draw: st.DrawFn) -> tuple[bytes, bytes]:
    frame = frame_of(draw(with_variant), serial=draw(st.integers(1, 2**32 - 1)))
    mutant = bytearray(frame)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(12, len(mutant) - 1))
        mutant[at] = draw(st.sampled_from([0, 1, 2, 0x7F, 0x80, 0xFF, ord("v"), ord("s")]))
    return frame, bytes(mutant)


@settings(FUZZ, max_examples=300)
@given(remembered_then_mutated())
def test_a_remembered_frame_never_lets_another_frame_pass(pair: tuple[bytes, bytes]) -> None:
    with checked_by("pure"):
        remembered_frame_never_lets_another_pass(*pair)


def remembered_frame_never_lets_another_pass(frame: bytes, mutant: bytes) -> None:
    assert gate_accepts(frame) and gate_accepts(frame) and gate_accepts(frame)
    head = _wire._Head()
    try:
        if _wire._frame_length(mutant, head) != len(mutant):
            return
    except _wire._BadMessage:
        return
    assert gate_accepts(mutant) == full_accepts(mutant)


@pytest.mark.usefixtures("pure")
def test_valid_frames_with_variants_are_remembered_without_their_serials() -> None:
    props = {f"k{i}": Variant("s", "v") for i in range(5)} | {"n": Variant("ay", b"\x01")}
    first = frame_of([("a{sv}", props)], serial=7)
    again = frame_of([("a{sv}", props)], serial=8)
    assert gate_accepts(first) and gate_accepts(again)  # the header, then the body
    before = len(_wire._valid_bodies)
    assert gate_accepts(frame_of([("a{sv}", props)], serial=9))
    assert len(_wire._valid_bodies) == before  # found there: not walked, not added again
    # one byte more in a value: a frame never seen, walked in full (and refused)
    bad = frame_of([("a{sv}", props | {"n": Variant("b", True)})], serial=10)
    assert gate_accepts(bad)
    at = bad.rindex(b"\x01\x00\x00\x00")  # the boolean's value, little-endian
    bad = bad[:at] + b"\x02" + bad[at + 1 :]
    assert not gate_accepts(bad) and not gate_accepts(bad)


@pytest.mark.usefixtures("pure")
def test_frames_with_fds_are_never_remembered() -> None:
    msg = Message(
        path=PATH,
        interface=IFACE,
        member="EchoVariant",
        signature="va{sv}",
        body=[Variant("h", 0), {"a": Variant("s", "x")}],
        serial=3,
        unix_fds=[0],
    )
    frame = bytes(msg._marshall(True))  # True: with its UNIX_FDS header field
    before = set(_wire._valid_bodies), dict(_wire._references)
    assert gate_accepts(frame, 1) and gate_accepts(frame, 1) and gate_accepts(frame, 1)
    assert (set(_wire._valid_bodies), _wire._references) == before
    assert not gate_accepts(frame, 0)  # the same bytes without their fd: refused


# -- reference bodies: a body like one found valid but in its strings and numbers ------


@contextlib.contextmanager
def reference_at_once() -> Iterator[None]:
    """The first body of a header and length walked in the quick path becomes its reference."""
    saved = _wire._REFERENCE_AFTER
    _wire._REFERENCE_AFTER = 1  # type: ignore[misc]
    forget_bodies()
    try:
        with checked_by("pure"):
            yield
    finally:
        _wire._REFERENCE_AFTER = saved  # type: ignore[misc]
        forget_bodies()


def make_reference(frame: bytes) -> None:
    """Walk ``frame`` as the gate does until it is its header's and length's reference."""
    assert gate_accepts(frame)  # the full check: its header is remembered
    _wire._valid_bodies.clear()
    assert _wire._quick(frame, 0, 16)  # walked in the quick path: the reference
    assert any(isinstance(r, _wire._Reference) for r in _wire._references.values())


def admitted_by_reference(frame: bytes) -> bool:
    """True if the quick path admits ``frame`` by its reference (no walk, not remembered)."""
    _wire._valid_bodies.clear()
    if not _wire._quick(frame, 0, 16):
        return False
    return not _wire._valid_bodies  # a walked body is remembered; one the reference admits is not


# A reference body with every kind of value, and mutants of the same length.  Each
# mutant names (what it changes, the bytes before and after); the expected verdict is the
# full check's, and whether the reference itself may admit it (no walk).
REFERENCE_PROPS = {
    "name": Variant("s", "kk"),
    "text": Variant("s", "vv"),
    "utf8": Variant("s", "é"),
    "path": Variant("o", "/a/b"),
    "flag": Variant("b", True),
    "sig": Variant("g", "s"),
    "num": Variant("i", 7),
    "real": Variant("d", 1.5),
    "bytes": Variant("ay", b"xy"),
    "nested": Variant("a{sv}", {"inner": Variant("s", "zz")}),
    "list": Variant("as", ["ab", "cd"]),
}


# the same with more numbers than _Reference counts the zero bytes of one by one (then
# the word-at-a-time test finds a NUL)
MANY_NUMBERS = REFERENCE_PROPS | {f"u{k}": Variant("u", 0x01010100 + k) for k in range(6)}


def reference_frame(serial: int, props: dict[str, Variant] = REFERENCE_PROPS) -> bytes:
    return frame_of([("a{sv}", props), ("s", "tail")], serial=serial)


# (what, bytes in the reference frame, their replacement, valid, admitted without a walk)
REFERENCE_MUTANTS = [
    ("a new string value", b"\x02\x00\x00\x00vv\x00", b"\x02\x00\x00\x00ww\x00", True, True),
    ("a new key", b"name\x00", b"nbme\x00", True, True),
    ("a new number", b"i\x00\x00\x07\x00\x00\x00", b"i\x00\x00\x09\x01\x00\x00", True, True),
    ("a new byte array", b"xy", b"\x00\xff", True, True),
    ("a string in an array", b"ab\x00", b"\xc3\xa9\x00", True, True),
    ("a string in a nested a{sv}", b"zz\x00", b"z\x7f\x00", True, True),
    ("a two-byte character replaced", "é".encode() + b"\x00", "ñ".encode() + b"\x00", True, True),
    ("the last argument", b"tail\x00", b"TAIL\x00", True, True),
    ("a NUL in a string", b"vv\x00", b"v\x00\x00", False, False),
    ("a NUL in a key", b"name\x00", b"na\x00e\x00", False, False),
    ("a byte that is no UTF-8", b"vv\x00", b"v\xff\x00", False, False),
    ("half a character", "é".encode() + b"\x00", b"\xc3a\x00", False, False),
    ("a character split over a key and its value", b"kk\x00", b"k\xc3\x00", False, False),
    ("a continuation byte alone", b"kk\x00", b"\xa9k\x00", False, False),
    ("a boolean 2", b"b\x00\x01\x00\x00\x00", b"b\x00\x02\x00\x00\x00", False, False),
    ("a boolean 0", b"b\x00\x01\x00\x00\x00", b"b\x00\x00\x00\x00\x00", True, False),
    ("a valid object path", b"/a/b\x00", b"/a/c\x00", True, False),
    ("an invalid object path", b"/a/b\x00", b"/a//\x00", False, False),
    (
        "a variant's signature",
        b"\x01s\x00\x02\x00\x00\x00vv",
        b"\x01o\x00\x02\x00\x00\x00vv",
        False,
        False,
    ),
    ("a signature value", b"\x01g\x00\x01s\x00", b"\x01g\x00\x01z\x00", False, False),
    ("a string's length", b"\x02\x00\x00\x00vv\x00", b"\x01\x00\x00\x00vv\x00", False, False),
    ("a string's NUL", b"vv\x00", b"vvv", False, False),
]


@pytest.mark.parametrize("numbers", ["few numbers", "many numbers"])
@pytest.mark.parametrize(
    ("what", "before", "after", "valid", "admitted"),
    REFERENCE_MUTANTS,
    ids=[m[0] for m in REFERENCE_MUTANTS],
)
def test_a_reference_admits_only_new_texts_and_numbers(
    what: str, before: bytes, after: bytes, valid: bool, admitted: bool, numbers: str
) -> None:
    assert len(before) == len(after)
    props = REFERENCE_PROPS if numbers == "few numbers" else MANY_NUMBERS
    with reference_at_once():
        make_reference(reference_frame(1, props))
        (ref,) = [r for r in _wire._references.values() if isinstance(r, _wire._Reference)]
        assert (ref.numbers is None) == (numbers == "many numbers")
        frame = reference_frame(2, props)
        assert frame.count(before) == 1, what
        mutant = frame.replace(before, after)
        assert full_accepts(mutant) == valid
        assert admitted_by_reference(mutant) == admitted
        assert gate_accepts(mutant) == valid  # the quick path, then the full check


@pytest.mark.usefixtures("pure")
def test_a_reference_is_kept_per_header_and_length_after_two_walks() -> None:
    forget_bodies()
    _wire._verdicts.clear()
    frames = [frame_of([("a{sv}", {"k": Variant("s", f"v{i}")})], serial=i) for i in range(10, 14)]
    assert gate_accepts(frames[0])  # the full check (header first seen)
    assert not admitted_by_reference(frames[1])  # walked in the quick path: one
    assert not admitted_by_reference(frames[2])  # walked: two, kept as the reference
    assert admitted_by_reference(frames[3]) and gate_accepts(frames[3])
    longer = frame_of([("a{sv}", {"k": Variant("s", "v100")})], serial=14)
    assert not admitted_by_reference(longer)  # another length: walked
    forget_bodies()


@st.composite
def reference_then_mutated(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """A valid frame with variants, and a copy with 1 to 4 bytes of its body changed to
    bytes that break strings (NUL, UTF-8 lead and continuation bytes) or keep them."""
    frame = frame_of(draw(with_variant), serial=draw(st.integers(1, 2**32 - 1)))
    mutant = bytearray(frame)
    start = body_start(frame)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(start, len(mutant) - 1))
        mutant[at] = draw(
            st.sampled_from([0, 1, 2, 0x2F, 0x41, 0x7F, 0x80, 0xA9, 0xC3, 0xE2, 0xF0, 0xFF])
        )
    return frame, bytes(mutant)


@settings(FUZZ, max_examples=600)
@given(reference_then_mutated())
def test_a_reference_admits_no_body_the_full_check_refuses(pair: tuple[bytes, bytes]) -> None:
    frame, mutant = pair
    with reference_at_once():
        make_reference(frame)
        if admitted_by_reference(mutant):
            assert full_accepts(mutant)
        assert gate_accepts(mutant) == full_accepts(mutant)


def test_the_reference_fuzz_reaches_the_reference() -> None:
    """The fuzz above is not vacuous: of its examples, many are admitted by the reference."""
    seen = {True: 0, False: 0}

    @settings(FUZZ, max_examples=300)
    @given(reference_then_mutated())
    def count(pair: tuple[bytes, bytes]) -> None:
        frame, mutant = pair
        with reference_at_once():
            make_reference(frame)
            seen[admitted_by_reference(mutant)] += 1

    count()
    assert seen[True] >= 30 and seen[False] >= 30, seen


# -- the generated checkers (the quick path's) against the closures (the full check) --


@contextlib.contextmanager
def generate_at_once() -> Iterator[None]:
    """Every signature gets its generated checkers on first use (not after _GEN_AFTER)."""
    saved = _wire._GEN_AFTER, _wire._GEN_PER_SECOND
    _wire._GEN_AFTER, _wire._GEN_PER_SECOND = 1, 10**9  # type: ignore[misc]
    try:
        with checked_by("pure"):
            yield
    finally:
        _wire._GEN_AFTER, _wire._GEN_PER_SECOND = saved  # type: ignore[misc]


@pytest.fixture()
def generated_at_once() -> Iterator[None]:
    with generate_at_once():
        yield


def body_start(frame: bytes) -> int:
    head_len = struct.unpack_from("<I", frame, 12)[0]
    return 16 + head_len + (-head_len & 7)


@st.composite
def body_mutated(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """A valid frame, and a copy with 1 to 3 bytes of its body changed (same header)."""
    frame = frame_of(draw(bodies), serial=draw(st.integers(1, 2**32 - 1)))
    mutant = bytearray(frame)
    start = body_start(frame)
    if start < len(frame):
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(start, len(mutant) - 1))
            mutant[at] = draw(
                st.sampled_from([0, 1, 2, 3, 0x7F, 0x80, 0xFF, ord("v"), ord("s"), ord("a")])
            )
    return frame, bytes(mutant)


@settings(FUZZ, max_examples=500)
@given(body_mutated())
def test_generated_checkers_accept_exactly_what_the_closures_accept(
    pair: tuple[bytes, bytes],
) -> None:
    frame, mutant = pair
    with generate_at_once():
        check(frame)  # remembers its header
        assert _wire._quick(frame, 0, 16)  # the generated checkers refuse no valid frame
        forget_bodies()
        assert gate_accepts(mutant) == full_accepts(mutant)
        if full_accepts(mutant):
            assert _wire._quick(mutant, 0, 16)


@pytest.mark.parametrize("depth", [1, 2, 31, 62, 63, 64, 65, 66])
@pytest.mark.parametrize("inner", ["s", "a{sv}", "as"])
@pytest.mark.usefixtures("generated_at_once")
def test_generated_checkers_keep_the_depth_limit(depth: int, inner: str) -> None:
    if inner == "s":
        leaf = Variant("s", "x")
    elif inner == "as":
        leaf = Variant("as", ["x", "y"])
    else:
        leaf = Variant("a{sv}", {"k": Variant("s", "x")})
    value = leaf
    for _ in range(depth - 1):
        value = Variant("v", value)
    frames = [frame_of([("v", value), ("a{sv}", {"n": value})], serial=s) for s in (1, 2, 3)]
    expected = full_accepts(frames[0])
    for frame in frames:  # the full check, then the quick path (generated by then)
        assert gate_accepts(frame) == expected
        assert full_accepts(frame) == expected
    forget_bodies()
    assert _wire._quick(frames[1], 0, 16) == expected


@pytest.mark.parametrize("nfds", [0, 1, 2])
@pytest.mark.usefixtures("generated_at_once")
def test_generated_checkers_check_fd_indices(nfds: int) -> None:
    def frame(index: int, serial: int) -> bytes:
        msg = Message(
            path=PATH,
            interface=IFACE,
            member="EchoVariant",
            signature="hva{sv}",
            body=[index, Variant("h", index), {"a": Variant("(sh)", ["x", index])}],
            serial=serial,
            unix_fds=list(range(nfds)),
        )
        return bytes(msg._marshall(True))

    for serial, index in enumerate([0, 0, 1, 0, 2, 1, 0], start=1):
        f = frame(index, serial)
        head = _wire._Head()
        _wire._frame_length(f, head)
        assert gate_accepts(f, nfds) == (index < nfds)
        assert _wire._quick(f, nfds, 16) == (index < nfds and _wire._verdicts != {})
        assert not _wire._quick(f, nfds, 2)  # three h values, at most 2


def test_generation_is_rate_limited() -> None:
    """A peer cycling through new signatures gets at most _GEN_PER_SECOND generated a second."""
    un = _wire._UNPACK_U32[ord("l")]
    sigs = [f"(s{'u' * n}y)" for n in range(40)]
    for sig in sigs:
        _wire._body_check(sig, un)
    _wire._budget[:] = [time.monotonic(), 0]
    made = 0
    for sig in sigs:
        for _ in range(_wire._GEN_AFTER):
            found = _wire._fast_check(sig, un, True)
        made += bool(found)
    assert made == _wire._GEN_PER_SECOND
    _wire._budget[:] = [0.0, 0]  # a new second: the next use of a refused one generates it
    assert _wire._fast_check(sigs[-1], un, True)


@pytest.mark.parametrize("sig", ["a" * 9 + "s", "(" + "s" * 70 + ")"])
@pytest.mark.usefixtures("generated_at_once")
def test_signatures_nested_deep_or_long_get_no_generated_checkers(sig: str) -> None:
    un = _wire._UNPACK_U32[ord("l")]
    _wire._body_check(sig, un)
    assert _wire._fast_check(sig, un, True) is False
    assert _wire._fast_check("(" * 20 + "s" + ")" * 20, un, True)  # structs nest no loops


# (signature, a valid body, an invalid one): each check of a generated checker
BAD_BODIES = [
    ("b", "01000000", "02000000"),  # a boolean neither 0 nor 1
    ("ab", "04000000 01000000", "04000000 02000000"),
    ("u", "07000000", "070000"),  # a value cut short
    ("(yu)", "01000000 07000000", "01000000 0700"),
    ("(bd)", "01000000 00000000 000000000000f03f", "02000000 00000000 000000000000f03f"),
    (
        "v",
        "04286264290000000100000000000000000000000000f03f",
        "042862642900000001000000000000000000f03f",
    ),
    ("ai", "04000000 07000000", "05000000 07000000 00"),  # length not a multiple of 4
    ("ai", "04000000 07000000", "08000000 07000000"),  # longer than the body
    ("ad", "00000000 00000000", "03000000 00000000 000000"),
    ("ay", "01000000 07", "01000000 07 00"),  # a byte after the last value
    ("s", "04000000 70696e67 00", "04000000 70696e67 78"),  # no NUL after it
    ("s", "04000000 70696e67 00", "04000000 70006e67 00"),  # a NUL in it
    ("s", "02000000 c3a9 00", "02000000 c328 00"),  # not UTF-8
    ("as", "06000000 01000000 7800", "06000000 05000000 7800"),
    (
        "a{sb}",
        "0c000000 00000000 01000000 7800 0000 01000000",
        "0c000000 00000000 01000000 7800 0000 02000000",
    ),
    (
        "a{sv}",
        "10000000 00000000 01000000 7800 016200 000000 01000000",
        "10000000 00000000 01000000 7800 016200 000000 02000000",
    ),
    (
        "a{sv}",
        "11000000 00000000 01000000 7800 017300 000000 00000000 00",
        "11000000 00000000 01000000 7800 000000 000000 00000000 00",
    ),  # a variant of an empty signature
    ("o", "01000000 2f00", "02000000 2f2f00"),
    ("g", "017300", "017a00"),
]


@pytest.mark.parametrize(("sig", "good", "bad"), BAD_BODIES)
@pytest.mark.usefixtures("generated_at_once")
def test_generated_checkers_refuse_each_invalid_value(sig: str, good: str, bad: str) -> None:
    def frame(body: str, serial: int) -> bytes:
        return call("EchoVariant", sig, bytes.fromhex(body.replace(" ", "")), serial=serial)

    assert full_accepts(frame(good, 1))
    assert _wire._quick(frame(good, 2), 0, 16)  # generated by now, and used
    invalid = frame(bad, 3)
    assert not full_accepts(invalid)
    assert not _wire._quick(invalid, 0, 16)
    assert not gate_accepts(invalid)


# -- on the wire -------------------------------------------------------------------


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def p2p_server(loop: asyncio.AbstractEventLoop) -> Iterator[Harness]:
    h = Harness(rt)
    loop.run_until_complete(h.start())
    yield h
    loop.run_until_complete(h.close())


@BODY_CHECKS
@settings(FUZZ, max_examples=60)
@given(frame=mutated())
def test_p2p_server_survives_hostile_frames(
    loop: asyncio.AbstractEventLoop, p2p_server: Harness, body_check: str, frame: bytes
) -> None:
    async def run() -> None:
        peer = await p2p_server.hostile()
        await peer.send(frame)
        await peer.send(frame_of([("s", "after")], serial=2))
        await asyncio.sleep(0.01)
        assert await p2p_server.good.echo("me") == "me"
        assert not p2p_server.log.tracebacks(), p2p_server.log.tracebacks()
        peer.bus.disconnect()

    with checked_by(body_check):
        loop.run_until_complete(asyncio.wait_for(run(), 10))


@BODY_CHECKS
@settings(FUZZ, max_examples=60)
@given(
    items=bodies, flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3)
)
def test_client_survives_a_hostile_p2p_server(
    loop: asyncio.AbstractEventLoop,
    body_check: str,
    items: list[tuple[str, Any]],
    flips: list[tuple[int, int]],
) -> None:
    async def run() -> None:
        a, b = socket.socketpair()
        hostile_f = asyncio.ensure_future(rt.accept_p2p(a))
        client = await rt.connect_p2p(b)
        hostile = Peer(await hostile_f)
        log = LogWatch(rt.__name__)

        def on_call(msg: Message) -> bool:
            sig = "".join(s for s, _ in items)
            body = Message(
                path="/", member="x", signature=sig, body=[v for _, v in items]
            )._marshall(False)
            # the body of a valid message, mutated, as the reply
            hlen = struct.unpack_from("<I", body, 12)[0]
            at = 16 + hlen + (-hlen & 7)
            raw = bytearray(body[at:])
            for pos, value in flips:
                if raw:
                    raw[pos % len(raw)] = value
            reply = raw_message(
                mtype=2, serial=50, reply_serial=msg.serial, signature=sig or None, body=bytes(raw)
            )
            asyncio.ensure_future(hostile.send(reply))
            return True

        hostile.bus.add_message_handler(on_call)
        proxy = proxy_class(rt)(client, None, PATH, timeout=3)
        try:
            await proxy.echo_variant(Variant("s", "x"))
        except rt.DBusError:
            pass  # refused, wrong signature or disconnected: all fine, as long as it ends
        finally:
            assert not log.tracebacks(), log.tracebacks()
            log.close()
            for bus in (client, hostile.bus):
                if bus.connected:
                    bus.disconnect()

    with checked_by(body_check):
        loop.run_until_complete(asyncio.wait_for(run(), 10))


def test_server_on_a_daemon_survives_hostile_frames(tmp_path: Path) -> None:
    from dbus_harness import private_bus

    examples: list[tuple[list[tuple[str, Any]], list[tuple[int, int]]]] = []

    @settings(FUZZ, max_examples=25)
    @given(bodies, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3))
    def collect(items: list[tuple[str, Any]], flips: list[tuple[int, int]]) -> None:
        examples.append((items, flips))

    collect()

    async def main(address: str) -> None:
        server = await rt.connect(address)
        server_class(rt)().export(server, PATH)
        good = proxy_class(rt)(await rt.connect(address), server.unique_name, PATH, timeout=5)
        log = LogWatch(rt.__name__)
        try:
            for items, flips in examples:
                frame = bytearray(frame_of(items, destination=server.unique_name))
                for pos, value in flips:
                    frame[12 + pos % (len(frame) - 12)] = value
                hostile = Peer(await rt.connect(address))
                await hostile.send(bytes(frame))  # the daemon refuses what is invalid
                await asyncio.sleep(0.005)
                assert await good.echo("me") == "me"
                if hostile.bus.connected:
                    hostile.bus.disconnect()
            assert server.connected and not log.tracebacks(), log.tracebacks()
        finally:
            log.close()
            server.disconnect()
            good._bus.disconnect()

    with private_bus(tmp_path / "d") as bus:
        asyncio.run(asyncio.wait_for(main(bus.address), 60))
