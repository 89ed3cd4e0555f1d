"""The D-Bus type grammar (qdbusgen.signature): every rule with its exact offset, the
spec limits, and property tests (valid signatures round-trip; nothing but
SignatureError ever escapes, and every error names a catalog rule and an offset
inside the string)."""

from __future__ import annotations

import pytest
from hyp import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qdbusgen.signature import (
    ArrayType,
    BasicType,
    DBusType,
    DictType,
    SignatureError,
    StructType,
    VariantType,
    is_valid_single,
    parse_signature,
    parse_single,
)

CATALOG_RULES = {"DBUS-E022", *(f"DBUS-E0{n}" for n in range(30, 41))}
BASIC = "ybnqiuxtdhsog"

# --------------------------------------------------------------------------- tables


VALID_SINGLE = [
    *BASIC,
    "v",
    "ai",
    "as",
    "aay",
    "a{sv}",
    "a{oa{sa{sv}}}",
    "(ii)",
    "(i)",
    "((i))",
    "a(sa{sv})",
    "a{s(ii)}",
    "a{sa{sv}}",
    "a{yv}",
    "a{hs}",
    "a{gv}",
    "(aiav(s))",
    "a" * 32 + "i",
    "(" * 32 + "i" + ")" * 32,
    "(" + "i" * 253 + ")",  # 255 bytes
]


@pytest.mark.parametrize("text", VALID_SINGLE)
def test_valid_single_types(text: str) -> None:
    t = parse_single(text)
    assert t.signature == text
    assert parse_signature(text) == (t,)
    assert is_valid_single(text)


@pytest.mark.parametrize(
    "text, count",
    [
        ("", 0),
        ("ii", 2),
        ("sa{sv}as", 3),
        ("(ii)(ii)v", 3),
        ("a" * 32 + "i" + "s", 2),
        ("i" * 255, 255),
    ],
)
def test_valid_signatures(text: str, count: int) -> None:
    types = parse_signature(text)
    assert len(types) == count
    assert "".join(t.signature for t in types) == text


def test_tree_shape() -> None:
    t = parse_single("a{sa(iv)}")
    assert t == DictType(BasicType("s"), ArrayType(StructType((BasicType("i"), VariantType()))))
    assert t.describe() == "dict of string to array of struct of (int32, variant)"


#: (text, rule, offset): the offset is the 0-based index of the offending character.
INVALID = [
    # E022: not exactly one complete type (only checked by parse_single)
    ("", "DBUS-E022", 0),
    ("ii", "DBUS-E022", 1),
    ("a{sv}s", "DBUS-E022", 5),
    ("(ii)(ii)", "DBUS-E022", 4),
    # E030: unknown type codes, including non-ASCII and whitespace
    ("z", "DBUS-E030", 0),
    ("iz", "DBUS-E030", 1),
    ("a z", "DBUS-E030", 1),
    (" i", "DBUS-E030", 0),
    ("(iÿ)", "DBUS-E030", 2),
    ("ai\n", "DBUS-E030", 2),
    ("A", "DBUS-E030", 0),
    ("a{zs}", "DBUS-E030", 2),
    # E031: reserved codes
    ("ms", "DBUS-E031", 0),
    ("a*", "DBUS-E031", 1),
    ("(i?)", "DBUS-E031", 2),
    ("@s", "DBUS-E031", 0),
    ("&s", "DBUS-E031", 0),
    ("^s", "DBUS-E031", 0),
    ("r", "DBUS-E031", 0),
    ("a{se}", "DBUS-E031", 3),
    ("(ii)m", "DBUS-E031", 4),
    # E032: array without element type
    ("a", "DBUS-E032", 0),
    ("(ia)", "DBUS-E032", 2),
    ("aa", "DBUS-E032", 1),
    ("a{sa}", "DBUS-E032", 3),
    ("ia", "DBUS-E032", 1),
    # E033: unbalanced / mismatched brackets
    ("(ii", "DBUS-E033", 0),
    ("a{sv", "DBUS-E033", 1),
    ("a{s", "DBUS-E033", 1),
    ("a{", "DBUS-E033", 1),
    (")", "DBUS-E033", 0),
    ("i)", "DBUS-E033", 1),
    ("}", "DBUS-E033", 0),
    ("(i}", "DBUS-E033", 2),
    ("a{s)", "DBUS-E033", 3),
    ("a{sv)", "DBUS-E033", 4),
    ("a{)", "DBUS-E033", 2),
    ("((i)", "DBUS-E033", 0),
    # E034: empty struct
    ("()", "DBUS-E034", 0),
    ("(i())", "DBUS-E034", 2),
    ("a()", "DBUS-E034", 1),
    # E035: dict entry outside an array
    ("{sv}", "DBUS-E035", 0),
    ("({sv})", "DBUS-E035", 1),
    ("a{{ss}s}", "DBUS-E035", 2),
    ("i{", "DBUS-E035", 1),
    # E036: dict entry without exactly two fields
    ("a{}", "DBUS-E036", 1),
    ("a{s}", "DBUS-E036", 1),
    ("a{sss}", "DBUS-E036", 4),
    ("a{sa{sv}i}", "DBUS-E036", 8),
    # E037: dict key is not a basic type
    ("a{vs}", "DBUS-E037", 2),
    ("a{(ii)s}", "DBUS-E037", 2),
    ("a{ass}", "DBUS-E037", 2),
    ("a{a{ss}s}", "DBUS-E037", 2),
    # E038: more than 32 nested arrays (path semantics: through structs and dicts too)
    ("a" * 33 + "i", "DBUS-E038", 32),
    ("a" * 16 + "(" + "a" * 17 + "i)", "DBUS-E038", 33),
    ("a{s" + "a" * 32 + "i}", "DBUS-E038", 34),  # the dict's own "a" is the first
    # E039: more than 32 nested structs
    ("(" * 33 + "i" + ")" * 33, "DBUS-E039", 32),
    ("(" * 16 + "a" + "(" * 17 + "i" + ")" * 33, "DBUS-E039", 33),
    # E040: longer than 255 bytes, checked before the grammar
    ("(" + "i" * 254 + ")", "DBUS-E040", 255),
    ("i" * 256, "DBUS-E040", 255),
    ("z" * 300, "DBUS-E040", 255),
    ("é" * 128, "DBUS-E040", 127),  # 256 bytes in 128 characters
]


@pytest.mark.parametrize("text, rule, offset", INVALID)
def test_invalid_types_report_rule_and_offset(text: str, rule: str, offset: int) -> None:
    with pytest.raises(SignatureError) as info:
        parse_single(text)
    err = info.value
    assert (err.rule, err.offset) == (rule, offset), err.reason
    assert err.signature == text
    assert err.reason
    assert not is_valid_single(text)
    if rule != "DBUS-E022":
        with pytest.raises(SignatureError) as info2:
            parse_signature(text)
        assert (info2.value.rule, info2.value.offset) == (rule, offset)


def test_every_grammar_rule_is_covered_by_the_table() -> None:
    assert {rule for _, rule, _ in INVALID} == CATALOG_RULES


@pytest.mark.parametrize(
    "text, rule",
    [
        ("a" * 32 + "i", None),
        ("a" * 33 + "i", "DBUS-E038"),
        ("(" * 32 + "i" + ")" * 32, None),
        ("(" * 33 + "i" + ")" * 33, "DBUS-E039"),
        ("(" + "i" * 253 + ")", None),  # 255 bytes
        ("(" + "i" * 254 + ")", "DBUS-E040"),  # 256 bytes
        # both limits at once: 32 arrays and 32 structs (64 total) is fine
        ("(a" * 32 + "i" + ")" * 32, None),
        ("(a" * 32 + "(i)" + ")" * 32, "DBUS-E039"),
    ],
)
def test_limits(text: str, rule: str | None) -> None:
    if rule is None:
        assert parse_single(text).signature == text
    else:
        with pytest.raises(SignatureError) as info:
            parse_single(text)
        assert info.value.rule == rule


def test_length_is_checked_before_grammar() -> None:
    with pytest.raises(SignatureError) as info:
        parse_signature("{" * 256)
    assert info.value.rule == "DBUS-E040"


# --------------------------------------------------------------------------- property tests


MAX_ARRAYS = 32
MAX_STRUCTS = 32


@st.composite
def type_trees(draw: st.DrawFn, arrays: int = 0, structs: int = 0, budget: int = 24) -> DBusType:
    """A random complete type within the nesting limits (budget bounds the size)."""
    choices = ["basic", "variant"]
    if budget > 1 and arrays < MAX_ARRAYS:
        choices += ["array", "dict"]
    if budget > 2 and structs < MAX_STRUCTS:
        choices.append("struct")
    kind = draw(st.sampled_from(choices))
    if kind == "basic":
        return BasicType(draw(st.sampled_from(BASIC)))
    if kind == "variant":
        return VariantType()
    if kind == "array":
        return ArrayType(draw(type_trees(arrays + 1, structs, budget - 1)))
    if kind == "dict":
        key = BasicType(draw(st.sampled_from(BASIC)))
        return DictType(key, draw(type_trees(arrays + 1, structs, budget - 3)))
    n = draw(st.integers(min_value=1, max_value=4))
    fields = tuple(
        draw(type_trees(arrays, structs + 1, max(1, (budget - 2) // n))) for _ in range(n)
    )
    return StructType(fields)


@st.composite
def deep_type_trees(draw: st.DrawFn) -> DBusType:
    """Chains that reach the nesting limits exactly (random mix of arrays and structs)."""
    arrays = draw(st.integers(min_value=0, max_value=MAX_ARRAYS))
    structs = draw(st.integers(min_value=0, max_value=MAX_STRUCTS))
    wrappers = ["a"] * arrays + ["("] * structs
    order = draw(st.permutations(wrappers))
    t: DBusType = BasicType(draw(st.sampled_from(BASIC)))
    for w in reversed(order):
        t = ArrayType(t) if w == "a" else StructType((t,))
    return t


def render(types: list[DBusType]) -> str:
    return "".join(t.signature for t in types)


@settings(max_examples=examples(400), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(type_trees(), min_size=0, max_size=6))
def test_valid_signatures_round_trip(types: list[DBusType]) -> None:
    text = render(types)
    if len(text) > 255:
        with pytest.raises(SignatureError) as info:
            parse_signature(text)
        assert info.value.rule == "DBUS-E040"
        return
    parsed = parse_signature(text)
    assert render(list(parsed)) == text
    assert list(parsed) == types


@settings(max_examples=examples(400), suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(type_trees(), deep_type_trees()))
def test_valid_single_types_round_trip(t: DBusType) -> None:
    text = t.signature
    if len(text) > 255:
        return
    parsed = parse_single(text)
    assert parsed == t
    assert parsed.signature == text


TYPE_ALPHABET = "ybnqiuxtdhsogva(){}" + "m*?@&^re" + "z Aé\x00"


def check_never_crashes(text: str) -> None:
    for fn in (parse_signature, parse_single, is_valid_single):
        try:
            fn(text)
        except SignatureError as err:
            assert err.rule in CATALOG_RULES
            assert 0 <= err.offset <= len(text)
            assert err.signature == text
            if err.rule == "DBUS-E040":
                assert len(text.encode("utf-8")) > 255
            elif err.rule != "DBUS-E022":
                assert err.offset < len(text)


@settings(max_examples=examples(1500))
@given(st.text(alphabet=TYPE_ALPHABET, max_size=300))
def test_random_type_alphabet_only_raises_signature_error(text: str) -> None:
    check_never_crashes(text)


@settings(max_examples=examples(500))
@given(st.text(max_size=400))
def test_arbitrary_text_only_raises_signature_error(text: str) -> None:
    check_never_crashes(text)


@settings(max_examples=examples(300))
@given(
    st.lists(st.sampled_from(["a", "(", ")", "{", "}", "a{", "i", "s", "v"]), max_size=120).map(
        "".join
    )
)
def test_bracket_soup_only_raises_signature_error(text: str) -> None:
    check_never_crashes(text)
