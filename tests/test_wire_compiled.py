"""The compiled body check (runtime/src/qdbusgen_runtime/_cwire.c) against its reference.

The closures of ``_wire.py`` (``_body_check``) are the reference: the compiled check must
give exactly their verdict on every body, valid or not, in both byte orders, with and
without fds, cut short anywhere.  The strategies are deterministic (the ``ci`` profile);
UTF-8, object paths and short signatures are compared exhaustively over small alphabets.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable

import pytest
from dbus_fast import Variant
from hypothesis import given, settings
from hypothesis import strategies as st
from test_wire_fuzz import BAD_BODIES, FUZZ, body_start, bodies, frame_of, typed

from qdbusgen_runtime import _wire

Verdict = Callable[[bytes, int, int, str, bool, int, int], bool]


def compiled() -> Verdict:
    check = _wire._compiled_body
    assert check is not None
    return check


def closures(buf: bytes, pos: int, end: int, sig: str, big: bool, nfds: int, max_h: int) -> bool:
    """The reference: _wire's closures (what the pure-Python runtime runs in full)."""
    un = _wire._UNPACK_U32[ord("B") if big else ord("l")]
    try:
        checks = _wire._body_check(sig, un)
        w = _wire._Walk(nfds, max_h)
        at = pos
        for check in checks:
            at = check(buf, at, end, w)
    except _wire._BadMessage:
        return False
    return at == end


def same_verdict(buf: bytes, sig: str, pos: int = 0, end: int | None = None, **kw: int) -> bool:
    """Assert both verdicts agree on ``buf[pos:end]``, for both byte orders; return it (LE)."""
    end = len(buf) if end is None else end
    nfds, max_h = kw.get("nfds", 0), kw.get("max_h", 16)
    # the body alone too, in a bytes object of its own size (alignment kept: bodies start
    # at a multiple of 8), so that a read past its end leaves the object (scripts/sanitize_cwire)
    alone = buf[pos:end] if pos % 8 == 0 else None
    verdict = False
    for big in (False, True):
        expected = closures(buf, pos, end, sig, big, nfds, max_h)
        got = compiled()(buf, pos, end, sig, big, nfds, max_h)
        assert got == expected, (sig, buf[pos:end].hex(), big, nfds, max_h)
        if alone is not None:
            assert compiled()(alone, 0, len(alone), sig, big, nfds, max_h) == expected
        verdict = verdict or (expected and not big)
    return verdict


def test_the_compiled_check_is_built_in_this_install() -> None:
    """CI installs gcc and python3-dev (.ci/apt-packages): a silent fallback is a failure."""
    assert _wire.COMPILED, (
        "qdbusgen_runtime._cwire was not built: install gcc and python3-dev, then "
        "`pip install -e ./runtime` again (or unset QDBUSGEN_RUNTIME_PURE)"
    )


def header_signature(frame: bytes) -> str:
    head = _wire._Head()
    _wire._frame_length(frame, head)
    _wire._check_fields(frame, head, _wire._UNPACK_U32[frame[0]])
    return str(head.fields.get(8, ""))


INTERESTING = [0, 1, 2, 3, 4, 7, 8, 0x20, 0x7F, 0x80, 0xBF, 0xC3, 0xFF]
INTERESTING += [ord(c) for c in "vsaygo({)}hb"]


@st.composite
def mutated_bodies(draw: st.DrawFn) -> tuple[bytes, int, int, str]:
    """A valid body (dbus-fast marshalled), 0 to 4 of its bytes changed, maybe cut short."""
    frame = bytearray(frame_of(draw(bodies)))
    sig = header_signature(bytes(frame))
    start = body_start(bytes(frame))
    if start < len(frame):
        for _ in range(draw(st.integers(0, 4))):
            frame[draw(st.integers(start, len(frame) - 1))] = draw(st.sampled_from(INTERESTING))
    end = draw(st.one_of(st.just(len(frame)), st.integers(start, len(frame))))
    return bytes(frame), start, end, sig


@settings(FUZZ, max_examples=1200)
@given(mutated_bodies(), st.sampled_from([(0, 16), (1, 16), (3, 2), (2, 0)]))
def test_the_compiled_check_gives_the_closures_verdict(
    case: tuple[bytes, int, int, str], fds: tuple[int, int]
) -> None:
    buf, pos, end, sig = case
    same_verdict(buf, sig, pos, end, nfds=fds[0], max_h=fds[1])


@settings(FUZZ, max_examples=400)
@given(bodies)
def test_the_compiled_check_accepts_every_valid_body(items: list[tuple[str, object]]) -> None:
    frame = frame_of(items)  # type: ignore[arg-type]
    assert same_verdict(frame, header_signature(frame), body_start(frame))


SIG_ALPHABET = "ayvsi(){}bh"


@settings(FUZZ, max_examples=2000)
@given(
    st.text(st.sampled_from(SIG_ALPHABET + "gxo"), max_size=12),
    st.binary(max_size=40),
    st.integers(0, 3),
)
def test_variants_of_any_signature_get_the_closures_verdict(
    inner: str, tail: bytes, fds: int
) -> None:
    """A variant whose signature is anything (valid or not) and whose value is anything."""
    raw = inner.encode()
    body = bytes([len(raw)]) + raw + b"\0" + tail
    same_verdict(body, "v", nfds=fds, max_h=2)
    same_verdict(b"\0" * 4 + body, "uv", nfds=fds, max_h=2)  # the value at offset 5


def test_signature_values_get_the_closures_verdict_for_every_short_signature() -> None:
    for n in range(5):
        for chars in itertools.product(SIG_ALPHABET, repeat=n):
            raw = "".join(chars).encode()
            same_verdict(bytes([len(raw)]) + raw + b"\0", "g")


@pytest.mark.parametrize(
    "sig",
    [
        "a" * 32 + "y",
        "a" * 33 + "y",
        "(" * 32 + "y" + ")" * 32,
        "(" * 33 + "y" + ")" * 33,
        "a{y" + "a{y" * 30 + "y}" + "}" * 30,
        "a{y" + "a{y" * 31 + "y}" + "}" * 31,
        "a(" * 16 + "y" + ")" * 16,
        "a(" * 17 + "y" + ")" * 17,
        "a{sv}",
        "a{vs}",
        "a{(y)y}",
        "a{yyy}",
        "{yy}",
        "()",
        "a",
        "(y",
        "y)",
        "a{y}",
    ],
)
def test_signature_nesting_limits_get_the_closures_verdict(sig: str) -> None:
    raw = sig.encode()
    same_verdict(bytes([len(raw)]) + raw + b"\0", "g")
    same_verdict(bytes([len(raw)]) + raw + b"\0" + b"\0" * 8, "v")


@pytest.mark.parametrize("depth", [1, 2, 31, 62, 63, 64, 65, 66])
@pytest.mark.parametrize("leaf", ["s", "as", "a{sv}", "a{sb}", "(y)", "ay"])
@pytest.mark.parametrize("empty", [False, True])
def test_the_depth_limit_gets_the_closures_verdict(depth: int, leaf: str, empty: bool) -> None:
    values = {
        "s": "x",
        "as": [] if empty else ["x"],
        "a{sv}": {} if empty else {"k": Variant("s", "x")},
        "a{sb}": {} if empty else {"k": True},
        "(y)": [1],
        "ay": b"" if empty else b"\x01",
    }
    value = Variant(leaf, values[leaf])
    for _ in range(depth - 1):
        value = Variant("v", value)
    for items in ([("v", value)], [("a{sv}", {"n": value})], [("av", [value])]):
        frame = frame_of(items)  # type: ignore[arg-type]
        same_verdict(frame, header_signature(frame), body_start(frame))


def test_utf8_gets_the_closures_verdict_for_every_two_bytes_and_edge_sequences() -> None:
    """Python's strict decoder (no surrogates, overlongs or code points past U+10FFFF)."""
    edges = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
    texts: list[bytes] = [bytes([a]) for a in range(1, 256)]
    texts += [bytes([a, b]) for a in range(1, 256) for b in range(1, 256)]
    texts += [bytes([a, b, c]) for a in range(0xC0, 0x100) for b in range(1, 256) for c in edges]
    texts += [
        bytes([a, b, c, d])
        for a in range(0xF0, 0xF8)
        for b in range(1, 256)
        for c in edges
        for d in edges
    ]
    texts += [b"abcdefgh" * 3 + t for t in (b"\xc3\xa9", b"\xc3", b"\xed\xa0\x80")]
    for text in texts:
        body = struct.pack("<I", len(text)) + text + b"\0"
        assert compiled()(body, 0, len(body), "s", False, 0, 16) == closures(
            body, 0, len(body), "s", False, 0, 16
        ), text.hex()


def test_object_paths_get_the_closures_verdict_over_a_small_alphabet() -> None:
    alphabet = [b"/", b"a", b"Z", b"0", b"_", b"\n", b"-", b".", b"\xc3\xa9"]
    for n in range(6):
        for parts in itertools.product(alphabet, repeat=n):
            text = b"".join(parts)
            same_verdict(struct.pack("<I", len(text)) + text + b"\0", "o")


@pytest.mark.parametrize("nfds", [0, 1, 2, 3])
@pytest.mark.parametrize("max_h", [0, 1, 2, 16])
def test_fd_indices_and_counts_get_the_closures_verdict(nfds: int, max_h: int) -> None:
    for indices in itertools.product(range(4), repeat=3):
        body = b"".join(struct.pack("<I", i) for i in indices)
        same_verdict(body, "hhh", nfds=nfds, max_h=max_h)
        same_verdict(struct.pack("<I", 12) + body, "ah", nfds=nfds, max_h=max_h)
        inner = b"\x01h\x00\x00" + struct.pack("<I", indices[0])
        same_verdict(inner, "v", nfds=nfds, max_h=max_h)


@pytest.mark.parametrize(("sig", "good", "bad"), BAD_BODIES)
def test_each_invalid_value_of_the_table_is_refused(sig: str, good: str, bad: str) -> None:
    """The table of test_wire_fuzz (one invalid value of each kind beside a valid one)."""
    assert same_verdict(bytes.fromhex(good.replace(" ", "")), sig)
    assert not same_verdict(bytes.fromhex(bad.replace(" ", "")), sig)


def test_positions_outside_the_buffer_are_refused_not_read() -> None:
    check = compiled()
    body = struct.pack("<I", 1) + b"x\0"
    assert check(body, 0, len(body), "s", False, 0, 16)
    assert not check(body, 0, len(body) + 1, "s", False, 0, 16)
    assert not check(body, 3, 2, "s", False, 0, 16)
    assert not check(body, -1, 2, "s", False, 0, 16)
    assert not check(body, 0, len(body), "s(", False, 0, 16)  # not a signature
    with pytest.raises(TypeError):
        check(bytearray(body), 0, len(body), "s", False, 0, 16)  # type: ignore[arg-type]


@settings(FUZZ, max_examples=300)
@given(typed(3))
def test_bodies_of_every_type_cut_anywhere_get_the_closures_verdict(
    pair: tuple[str, object],
) -> None:
    frame = frame_of([pair])  # type: ignore[list-item]
    sig, start = header_signature(frame), body_start(frame)
    for end in range(start, len(frame) + 1):
        same_verdict(frame, sig, start, end)
