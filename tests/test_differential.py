"""Differential tests: qdbusgen's validators against independent implementations.

The references live in the Debian interpreter ``/usr/bin/python3`` (not the project's
interpreter), which has python3-gi and python3-dbus (.ci/apt-packages installs them):

* **libdbus** ``dbus_signature_validate``, reached through ``dbus.Signature(s)`` (its
  constructor validates; iterating it walks the complete types with
  ``dbus_signature_iter``, which gives the single-complete-type verdict);
* **dbus-python**'s own name validators (``_dbus_bindings/validation.c``, a C
  re-implementation of the specification's rules): ``dbus.validate_interface_name``,
  ``validate_member_name``, ``validate_error_name``, ``validate_bus_name``,
  ``validate_object_path`` (``ValueError`` when invalid);
* **GLib/GIO 2.74** ``g_variant_is_signature``, ``g_variant_is_object_path``,
  ``g_dbus_is_interface_name``, ``g_dbus_is_member_name``, ``g_dbus_is_error_name``,
  ``g_dbus_is_name``, ``g_dbus_is_unique_name``.

One long-lived worker process per module answers JSON lines, so thousands of cases are
cheap. Every case must give the same valid/invalid verdict as each reference, except
for the differences listed below, which are asserted explicitly (each with a check
that it is the documented cause, not an unrelated disagreement):

Signatures
  * libdbus counts only *consecutive* ``a`` codes for the 32-array limit (the counter is
    reset by any other code, and ``a{`` starts a separate dict-entry counter). The
    specification ("the maximum depth of container type nesting is 32 array type codes
    and 32 open parentheses") and qdbusgen count arrays along the nesting path
    (DBUS-E038; catalog section D6), so ``a(a(...a(i)...))`` with 33 arrays is rejected
    by qdbusgen and accepted by libdbus. The specification wins; libdbus is lenient.
  * GLib validates GVariant type strings, a superset of D-Bus signatures: no 255-byte
    limit (E040), no 32-array / 32-struct limits (only its own 128 total), the unit type
    ``()`` (E034) and dict entries outside arrays such as ``{sv}`` (E035). GLib is
    lenient; D-Bus forbids all of these.
Names
  * ``g_dbus_is_member_name`` has no length check: GLib accepts member names longer
    than 255 bytes, which the specification forbids.
  * ``g_dbus_is_name`` / ``g_dbus_is_unique_name`` accept a unique name whose first
    element is empty (``:.a``): after the ``:`` GLib only validates what follows a
    ``.``. The specification requires every element to have at least one character.
  * ``qdbusgen.policy.validate_bus_name`` intentionally refuses unique names and the
    bus driver's own name ``org.freedesktop.DBus`` (policies cannot grant them).
NUL
  * GObject introspection passes C strings, so GLib sees only the part before an
    embedded NUL; NUL-bearing strings are compared with libdbus/dbus-python only (which
    reject them, as D-Bus strings cannot contain NUL).

Lone surrogates are not generated: no XML document or D-Bus message can carry them.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
from collections.abc import Iterator
from unittest import mock

import pytest
from hyp import examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qdbusgen import policy, signature
from qdbusgen.model import Location
from qdbusgen.policy import PolicyError, render_policy
from qdbusgen.signature import SignatureError, parse_signature, parse_single
from qdbusgen.validate import (
    ABSOLUTE_PATH_RE,
    RELATIVE_PATH_RE,
    _check_member_name,
    check_bus_name,
    check_error_name,
    check_interface_name,
)

REFERENCE_PYTHON = "/usr/bin/python3"

WORKER = r'''
import json, sys
try:
    import dbus
    from gi.repository import GLib, Gio
except ImportError as exc:
    print(json.dumps({"missing": repr(exc)}), flush=True)
    sys.exit(0)


def raises_value_error(fn):
    def check(s):
        try:
            fn(s)
        except ValueError:  # includes "embedded null character" and UnicodeEncodeError
            return False
        return True
    return check


def libdbus_signature(s):
    """None if invalid, else the number of complete types (dbus_signature_iter)."""
    try:
        sig = dbus.Signature(s)
    except ValueError:
        return None
    return len(list(sig))


def glib(fn):
    def check(s):
        if "\0" in s:
            return None  # GI passes a C string: GLib would see only a prefix
        return bool(fn(s))
    return check


OPS = {
    "libdbus_signature": libdbus_signature,
    "glib_signature": glib(GLib.Variant.is_signature),
    "glib_object_path": glib(GLib.Variant.is_object_path),
    "dbuspy_object_path": raises_value_error(dbus.validate_object_path),
    "dbuspy_interface": raises_value_error(dbus.validate_interface_name),
    "dbuspy_error": raises_value_error(dbus.validate_error_name),
    "dbuspy_member": raises_value_error(dbus.validate_member_name),
    "dbuspy_bus": raises_value_error(dbus.validate_bus_name),
    "dbuspy_unique_bus": raises_value_error(lambda s: dbus.validate_bus_name(s, allow_well_known=False)),
    "dbuspy_well_known_bus": raises_value_error(lambda s: dbus.validate_bus_name(s, allow_unique=False)),
    "gio_interface": glib(Gio.dbus_is_interface_name),
    "gio_error": glib(Gio.dbus_is_error_name),
    "gio_member": glib(Gio.dbus_is_member_name),
    "gio_name": glib(Gio.dbus_is_name),
    "gio_unique": glib(Gio.dbus_is_unique_name),
}

print(json.dumps({
    "ready": True,
    "glib": [GLib.MAJOR_VERSION, GLib.MINOR_VERSION, GLib.MICRO_VERSION],
    "dbus_python": dbus.__version__,
}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    try:
        fn = OPS[request["op"]]
        answer = {"results": [fn(s) for s in request["items"]]}
    except Exception as exc:  # reported to the test, which fails on it
        answer = {"error": repr(exc)}
    print(json.dumps(answer), flush=True)
'''


class Reference:
    def __init__(self) -> None:
        if not os.access(REFERENCE_PYTHON, os.X_OK):
            pytest.fail(
                f"{REFERENCE_PYTHON} is missing: the differential tests need the Debian python3 with "
                "python3-gi and python3-dbus, which .ci/apt-packages must install"
            )
        self.proc = subprocess.Popen(
            [REFERENCE_PYTHON, "-I", "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        hello = json.loads(self._readline())
        if "missing" in hello:
            self.close()
            pytest.fail(
                f"{REFERENCE_PYTHON} cannot import the reference implementations ({hello['missing']}): "
                ".ci/apt-packages must install python3-gi and python3-dbus (they are listed there)"
            )
        self.versions = hello

    def _readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(
                f"reference worker ({REFERENCE_PYTHON}) exited with {self.proc.wait()}"
            )
        return line

    def ask(self, op: str, items: list[str]) -> list:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, "items": items}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self._readline())
        assert (
            "error" not in answer
        ), f"reference worker failed on {op} {items!r}: {answer['error']}"
        return answer["results"]

    def one(self, op: str, item: str):
        return self.ask(op, [item])[0]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_REF: Reference | None = None


@pytest.fixture(scope="module", autouse=True)
def _reference() -> Iterator[None]:
    global _REF
    _REF = Reference()
    try:
        yield
    finally:
        _REF.close()
        _REF = None


def ref() -> Reference:
    assert _REF is not None
    return _REF


FUZZ = settings(
    max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_reference_versions() -> None:
    """The known differences below were established against these versions."""
    assert ref().versions["glib"][:2] == [2, 74], ref().versions
    assert ref().versions["dbus_python"].startswith("1."), ref().versions


# --------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------


def ours_signature(s: str) -> SignatureError | int:
    """Number of complete types, or the error."""
    try:
        return len(parse_signature(s))
    except SignatureError as exc:
        return exc


def ours_without(s: str, **limits: int) -> bool:
    """Our verdict with some of the nesting limits lifted (to attribute a difference)."""
    with mock.patch.multiple(signature, **limits):
        return not isinstance(ours_signature(s), SignatureError)


def max_consecutive_a(s: str) -> int:
    return max((len(m) for m in re.findall(r"a+", s)), default=0)


def path_array_depth(s: str) -> int:
    """Arrays open along the deepest nesting path (valid signatures only)."""
    depth = best = 0
    stack: list[int] = []  # array count to restore when a bracket closes
    pending = 0  # arrays waiting for their element type
    for c in s:
        if c == "a":
            pending += 1
            best = max(best, depth + pending)
        elif c in "({":
            stack.append(depth)
            depth += pending
            pending = 0
        elif c in ")}":
            depth = stack.pop()
        else:
            pending = 0
    return best


def assert_signature_agrees(s: str) -> None:
    ours = ours_signature(s)
    libdbus = ref().one("libdbus_signature", s)
    glib = ref().one("glib_signature", s)
    our_ok = not isinstance(ours, SignatureError)

    # libdbus: the only difference is the consecutive-'a' counting of the array limit.
    if our_ok != (libdbus is not None):
        assert (
            isinstance(ours, SignatureError) and libdbus is not None
        ), f"qdbusgen accepts {s!r}, libdbus rejects it"
        assert (
            ours.rule == "DBUS-E038"
        ), f"{s!r}: qdbusgen {ours.rule} ({ours.reason}), libdbus accepts"
        assert max_consecutive_a(s) <= signature.MAX_ARRAY_DEPTH
        assert path_array_depth(s) > signature.MAX_ARRAY_DEPTH
        assert ours_without(s, MAX_ARRAY_DEPTH=10**6), f"{s!r}: not only the array limit"
    elif our_ok:
        assert ours == libdbus, f"{s!r}: {ours} complete types, libdbus {libdbus}"

    # Single complete type (arg/property @type): parse_single vs dbus_signature_iter.
    try:
        parse_single(s)
        single_ok = True
    except SignatureError as exc:
        single_ok = False
        single_rule = exc.rule
    if single_ok != (libdbus == 1):
        assert (
            libdbus == 1 and single_rule == "DBUS-E038"
        ), f"{s!r}: parse_single differs from libdbus"

    # GLib: a superset (GVariant type strings). Never stricter than us.
    if glib is None:
        assert "\0" in s and not our_ok
        return
    if our_ok:
        assert glib, f"qdbusgen accepts {s!r}, GLib rejects it"
    elif glib:
        assert ours.rule in {
            "DBUS-E040",
            "DBUS-E038",
            "DBUS-E039",
            "DBUS-E034",
            "DBUS-E035",
        }, f"{s!r}: qdbusgen {ours.rule} ({ours.reason}) but GLib accepts it"
        if ours.rule == "DBUS-E040":
            assert len(s.encode()) > signature.MAX_SIGNATURE_LENGTH
        elif ours.rule == "DBUS-E034":
            assert s[ours.offset : ours.offset + 2] == "()"
        elif ours.rule == "DBUS-E035":
            assert s[ours.offset] == "{" and (ours.offset == 0 or s[ours.offset - 1] != "a")
        # The GVariant superset: with the D-Bus-only limits lifted, GLib's verdict is ours
        # unless '()' or a bare '{' is involved.
        if "()" not in s and not re.search(r"(^|[^a])\{", s):
            assert ours_without(
                s, MAX_ARRAY_DEPTH=10**6, MAX_STRUCT_DEPTH=10**6, MAX_SIGNATURE_LENGTH=10**6
            ), f"{s!r}: GLib accepts, qdbusgen rejects for another reason ({ours.rule})"


SIG_ALPHABET = (
    list("ybnqiuxtdhsogv")  # all the D-Bus codes
    + list("aaaa(())({}{}")  # containers, weighted
    + list("m*?@&^re")  # reserved
    + list("zA0 ./\t-")  # junk
    + ["é", "€", "𝄞", "\0", "\u00a0"]
)


@FUZZ
@given(st.text(alphabet=st.sampled_from(SIG_ALPHABET), max_size=40))
@example("")
@example("a{sv}")
@example("{sv}")
@example("()")
@example("a{vs}")
@example("a{(i)s}")
@example("a{ss}a")
@example("a{s}")
@example("a{sss}")
@example("(a{sv}")
@example("a}")
@example("a)")
@example("(i}")
@example("a{s)")
@example("i\0")
@example("ä")
def test_signature_fuzz(s: str) -> None:
    assert_signature_agrees(s)


def _random_type(rng: random.Random, budget: list[int], depth: int = 0) -> str:
    """One valid complete type (drawn from a seeded RNG: far cheaper than st.recursive)."""
    budget[0] -= 1
    kind = rng.random() if budget[0] > 0 and depth < 12 else 0.0
    if kind < 0.45:
        return rng.choice("ybnqiuxtdhsogv")
    if kind < 0.65:
        return "a" + _random_type(rng, budget, depth + 1)
    if kind < 0.85:
        fields = "".join(_random_type(rng, budget, depth + 1) for _ in range(rng.randint(1, 4)))
        return "(" + fields + ")"
    return "a{" + rng.choice("ybnqiuxtdhsog") + _random_type(rng, budget, depth + 1) + "}"


def _random_signature(seed: int) -> str:
    """Zero or more valid complete types; odd seeds get one character deleted, inserted or replaced."""
    rng = random.Random(seed)
    budget = [rng.randint(1, 25)]
    s = "".join(_random_type(rng, budget) for _ in range(rng.randint(0, 3)))
    if seed % 2:
        i = rng.randint(0, len(s))
        c = rng.choice("a(){}isvmr")
        how = rng.choice(["delete", "insert", "replace"])
        if how == "delete" and i < len(s):
            s = s[:i] + s[i + 1 :]
        elif how == "replace" and i < len(s):
            s = s[:i] + c + s[i + 1 :]
        else:
            s = s[:i] + c + s[i:]
    return s


@settings(FUZZ, max_examples=examples(1500))
@given(st.integers(0, 2**32))
def test_structured_signatures(seed: int) -> None:
    """Valid signatures and single-character mutations of them (bracket edge cases)."""
    assert_signature_agrees(_random_signature(seed))


def _wrap(inner: str, wrappers: list[str]) -> str:
    for w in reversed(wrappers):
        if w == "a":
            inner = "a" + inner
        elif w == "(":
            inner = "(" + inner + ")"
        elif w == "(s":
            inner = "(s" + inner + ")"
        else:  # dict value
            inner = "a{s" + inner + "}"
    return inner


@FUZZ
@given(st.integers(0, 2**32))
def test_nesting_near_the_limits(seed: int) -> None:
    """Mixed array/struct/dict nesting around 32 arrays, 32 structs, 64 in total."""
    rng = random.Random(seed)
    wrappers = rng.choices(["a", "a", "(", "(s", "{"], k=rng.randint(25, 70))
    assert_signature_agrees(_wrap(rng.choice(["i", "v", "ai", "(i)", "a{sv}"]), wrappers))


def test_limit_boundaries() -> None:
    cases = []
    for n in range(28, 37):
        cases += [
            "a" * n + "i",
            "(" * n + "i" + ")" * n,
            "a(" * n + "i" + ")" * n,
            "(a" * n + "i" + ")" * n,
            "a{s" * n + "i" + "}" * n,
            "a" * n + "(" * n + "i" + ")" * n,
            "(" * n + "a" * n + "i" + ")" * n,
            "(" + "a" * n + "i" + ")",
            "a(" + "a" * (n - 1) + "i)",
        ]
    for k in range(250, 260):
        cases += [
            "i" * k,
            "(" + "i" * (k - 2) + ")",
            "a" * 32 + "(" + "s" * (k - 34) + ")",
            "é" + "i" * (k - 2),
        ]
    for s in cases:
        assert_signature_agrees(s)


def test_known_signature_differences() -> None:
    """The documented differences, asserted explicitly (see the module docstring)."""
    # 33 arrays along the path, never more than 1 consecutive: libdbus accepts.
    s = "a" + "a(" * 32 + "i" + ")" * 32  # 33 arrays (at most 2 consecutive), 32 structs
    assert isinstance(ours_signature(s), SignatureError) and ours_signature(s).rule == "DBUS-E038"
    assert ref().one("libdbus_signature", s) == 1
    # 33 arrays, 16 structs, 17 dict entries: libdbus counts each kind apart.
    s = "a(" * 16 + "a{s" * 17 + "i" + "}" * 17 + ")" * 16
    assert ours_signature(s).rule == "DBUS-E038"
    assert ref().one("libdbus_signature", s) == 1
    # Consecutive arrays: both implementations agree on 32 / 33.
    assert (
        ours_signature("a" * 32 + "i") == 1 and ref().one("libdbus_signature", "a" * 32 + "i") == 1
    )
    assert ours_signature("a" * 33 + "i").rule == "DBUS-E038"
    assert ref().one("libdbus_signature", "a" * 33 + "i") is None
    # GLib accepts GVariant-only type strings and ignores the D-Bus limits.
    for s, rule in [
        ("()", "DBUS-E034"),
        ("{sv}", "DBUS-E035"),
        ("a" * 33 + "i", "DBUS-E038"),
        ("(" * 33 + "i" + ")" * 33, "DBUS-E039"),
        ("i" * 256, "DBUS-E040"),
    ]:
        assert ours_signature(s).rule == rule
        assert ref().one("glib_signature", s) is True
        assert ref().one("libdbus_signature", s) is None


# --------------------------------------------------------------------------------------
# Names and object paths
# --------------------------------------------------------------------------------------

NAME_ALPHABET = (
    list("abzAZ_019-.:/") + list("..") + ["é", "\u0660", "ß", "\u212a", " ", "\n", "\0", "\t"]
)
_element = st.text(alphabet=st.sampled_from(list("abcXYZ_0129-")), min_size=0, max_size=8)


@st.composite
def _dotted(draw: st.DrawFn) -> str:
    parts = draw(st.lists(_element, min_size=1, max_size=5))
    prefix = draw(st.sampled_from(["", "", "", ":", "/"]))
    return prefix + ".".join(parts)


@st.composite
def _long_names(draw: st.DrawFn) -> str:
    """Lengths around the 255-byte limit."""
    total = draw(st.integers(250, 260))
    head = draw(st.sampled_from(["org.example.", ":1.", "a.", "", "/a/", "x"]))
    filler = draw(st.sampled_from(["b", "B_", "b.", "9", "é", "b/"]))
    s = head + filler * total
    s = s[:total] if draw(st.booleans()) else s.encode()[:total].decode(errors="ignore")
    return s.rstrip(".") + draw(st.sampled_from(["", "", "z", ".z"]))


NAMES = st.text(alphabet=st.sampled_from(NAME_ALPHABET), max_size=24) | _dotted() | _long_names()
NAME_EXAMPLES = [
    "",
    ".",
    "a",
    "a.b",
    ":1.2",
    ":a",
    ":.a",
    ":1..2",
    "a..b",
    ".a.b",
    "a.b.",
    "0a.b",
    "a.0b",
    "-a.b",
    "a.b-c",
    "a.b\n",
    "a.b\0",
    "é.b",
    "org.freedesktop.DBus",
    "_._",
    "/",
    "//",
    "/a/",
    "/a//b",
    "/a/b",
    "a/b",
    "a\u212ab.c",
]


def _examples(f):
    for name in NAME_EXAMPLES:
        f = example(name)(f)
    return f


def _member_ok(name: str) -> bool:
    out: list = []
    _check_member_name("method", name, Location("t.xml", 1, 1), out)
    return not out


def _policy_ok(name: str) -> bool:
    try:
        policy.validate_bus_name(name)
    except PolicyError:
        return False
    return True


def _policy_interface_ok(name: str) -> bool:
    try:
        render_policy(
            listen="/run/vm/bus.sock",
            qemu_user="qemu",
            services={"org.example.Helper": "helper"},
            interfaces=[name],
        )
    except PolicyError:
        return False
    return True


def _gio(op: str, name: str):
    return ref().one(op, name)


@FUZZ
@given(NAMES)
@_examples
def test_interface_and_error_names(name: str) -> None:
    ours = check_interface_name(name) is None
    assert ours == ref().one("dbuspy_interface", name), name
    assert (check_error_name(name) is None) == ref().one("dbuspy_error", name) == ours, name
    for op in ("gio_interface", "gio_error"):
        gio = _gio(op, name)
        assert gio is None and "\0" in name or gio == ours, (op, name)
    # render_policy(interfaces=...) must apply the interface grammar, not the bus-name one
    # ('-' is allowed in bus names, never in interface names). The bus driver's interface
    # is refused on purpose: it is always allowed by the default policy.
    if name != "org.freedesktop.DBus":
        assert _policy_interface_ok(name) == ours, name


@FUZZ
@given(NAMES)
@_examples
def test_member_names(name: str) -> None:
    ours = _member_ok(name)
    assert ours == ref().one("dbuspy_member", name), name
    gio = _gio("gio_member", name)
    if gio is None:
        assert "\0" in name and not ours
    elif gio != ours:
        # Known: g_dbus_is_member_name has no 255-byte limit.
        assert (
            gio and len(name.encode()) > 255 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
        ), name


def _glib_empty_first_unique_element(name: str) -> bool:
    """GLib's known leniency: ':' followed by '.' (an empty first element)."""
    return name.startswith(":.") and check_bus_name(":x" + name[1:]) is None


@FUZZ
@given(NAMES)
@_examples
def test_bus_names(name: str) -> None:
    ours = check_bus_name(name) is None
    assert ours == ref().one("dbuspy_bus", name), name
    unique = ours and name.startswith(":")
    assert unique == ref().one("dbuspy_unique_bus", name), name
    well_known = ref().one("dbuspy_well_known_bus", name)
    assert (ours and not name.startswith(":")) == well_known, name
    # Known, intentional: policies refuse the bus driver's name (and unique names).
    assert _policy_ok(name) == (well_known and name != "org.freedesktop.DBus"), name

    for op, expected in (("gio_name", ours), ("gio_unique", unique)):
        gio = _gio(op, name)
        if gio is None:
            assert "\0" in name and not ours
        elif gio != expected:
            assert gio and _glib_empty_first_unique_element(name), (op, name)


@FUZZ
@given(NAMES)
@_examples
def test_object_paths(name: str) -> None:
    ours = ABSOLUTE_PATH_RE.fullmatch(name) is not None
    assert ours == ref().one("dbuspy_object_path", name), name
    glib = ref().one("glib_object_path", name)
    assert glib is None and "\0" in name or glib == ours, name
    # A relative path (child <node name>) is one that becomes a valid absolute path with
    # a leading '/', other than '/' itself.
    relative = RELATIVE_PATH_RE.fullmatch(name) is not None
    assert relative == (
        name not in ("", "/")
        and not name.startswith("/")
        and ref().one("dbuspy_object_path", "/" + name)
    ), name


def test_known_name_differences() -> None:
    long_member = "M" * 256
    assert not _member_ok(long_member)
    assert ref().one("dbuspy_member", long_member) is False
    assert ref().one("gio_member", long_member) is True  # GLib: no length limit
    for name in (":.a", ":.1.2", ":.-"):
        assert check_bus_name(name) is not None
        assert ref().one("dbuspy_bus", name) is False
        assert ref().one("gio_name", name) is True and ref().one("gio_unique", name) is True
    assert check_bus_name("org.freedesktop.DBus") is None
    assert not _policy_ok("org.freedesktop.DBus")
    assert not _policy_ok(":1.2") and check_bus_name(":1.2") is None
    # render_policy(interfaces=...) used the bus-name grammar and let '-' through (fixed).
    assert check_bus_name("com.example-corp.Foo") is None
    assert check_interface_name("com.example-corp.Foo") is not None
    assert not _policy_interface_ok("com.example-corp.Foo")
    assert not _policy_interface_ok("org.freedesktop.DBus")  # refused on purpose
