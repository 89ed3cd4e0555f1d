"""Group A of the rule catalog (lint-rules.md): one failing and one passing fixture per rule.

The examples live in qdbusgen/lint/examples/<RULE>_bad.xml / <RULE>_good.xml (the rule
table's, shown by --explain and docs/rules/) and are the catalog's own Fails/Passes
examples (interface-content snippets wrapped in ``<node><interface
name="com.example.Sample1">``). The fixture contract (catalog §0): a ``_bad`` example
produces the rule, at the offending element; a ``_good`` one does not produce it and
produces no DBUS-E* at all. DBUS-E070/E071 are validator-only and are
tested with tables of names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qdbusgen.diagnostics import Diagnostic, InputError, Severity
from qdbusgen.parser import parse_bytes, parse_file
from qdbusgen.lint.rules import EXAMPLES_DIR
from qdbusgen.validate import check_bus_name, check_error_name, check_interface_name, validate
from rule_examples import example_file, example_text

CATALOG = Path(__file__).resolve().parents[2] / "shared" / "docs" / "lint-rules.md"

#: rule -> every (line, column) where the _bad fixture must report it (hand-checked
#: against the fixture files: the start tag ``<`` of the offending element).
BAD_LOCATIONS: dict[str, set[tuple[int, int]]] = {
    "DBUS-E001": {(1, 1)},  # root <interface>
    "DBUS-E002": {(3, 5), (4, 5)},  # <methd>, <error>
    "DBUS-E003": {(3, 5), (5, 7)},  # <arg> in <interface>, <property> in <method>
    "DBUS-E004": {(3, 5), (5, 7)},  # property without access, arg without type
    "DBUS-E005": {(1, 1)},
    "DBUS-E006": {(5, 3), (6, 3)},
    "DBUS-E007": {(6, 3)},  # the second <node name="child">
    "DBUS-E008": {(5, 3)},  # the second interface
    "DBUS-E010": {(2, 3), (5, 3), (8, 3)},
    "DBUS-E011": {(2, 3)},
    "DBUS-E013": {(3, 5), (4, 5), (5, 5)},
    "DBUS-E014": {(6, 5)},
    "DBUS-E015": {(6, 5)},
    "DBUS-E016": {(4, 5)},
    "DBUS-E017": {(3, 5)},
    "DBUS-E018": {(3, 5), (4, 5)},
    "DBUS-E020": {(4, 7)},
    "DBUS-E021": {(4, 7)},
    "DBUS-E022": {(4, 7), (6, 5)},  # arg "ii", property ""
    "DBUS-E030": {(4, 7)},
    "DBUS-E031": {(5, 7)},
    "DBUS-E032": {(4, 7), (5, 7)},
    "DBUS-E033": {(4, 7), (7, 7)},
    "DBUS-E034": {(4, 7)},
    "DBUS-E035": {(4, 7)},
    "DBUS-E036": {(4, 7), (5, 7)},
    "DBUS-E037": {(4, 7), (5, 7)},
    "DBUS-E038": {(4, 7)},
    "DBUS-E039": {(4, 7)},
    "DBUS-E040": {(4, 7)},  # the arg; not again as the method's in-signature
    "DBUS-E050": {(4, 7), (7, 7)},  # the annotations
    "DBUS-E060": {(3, 5)},  # Properties.Get with the wrong in-signature
    "DBUS-E061": {(2, 3)},
    "DBUS-E062": {(1, 1)},
    "DBUS-W001": {(4, 7)},
    "DBUS-I002": {(4, 7)},
    "DBUS-W003": {(2, 3)},
    "DBUS-W004": {(3, 5), (4, 5)},
    "DBUS-W005": {(3, 5)},
    "DBUS-W006": {(4, 5)},  # the later of the two
    "DBUS-W007": {(5, 7)},  # the second arg
    "DBUS-W008": {(4, 7)},
    "DBUS-W009": {(5, 7)},  # the repeated annotation
    "DBUS-W010": {(4, 7), (7, 7)},
    "DBUS-W011": {(3, 5)},
    "DBUS-W012": {(4, 7)},
}
VALIDATOR_ONLY = {"DBUS-E070", "DBUS-E071"}

EXPECTED_SEVERITY = {
    "E": Severity.ERROR,
    "W": Severity.WARNING,
    "I": Severity.INFO,
}


def diagnostics_of(path: Path) -> list[Diagnostic]:
    result = parse_file(path)
    return [*result.diagnostics, *validate(result.document, result.diagnostics)]


def diagnostics_of_text(text: str) -> list[Diagnostic]:
    result = parse_bytes(text.encode("utf-8"), "t.xml")
    return [*result.diagnostics, *validate(result.document, result.diagnostics)]


def wrap(snippet: str) -> str:
    return f'<node>\n  <interface name="com.example.Sample1">\n{snippet}\n  </interface>\n</node>\n'


def catalog_group_a_rules() -> list[str]:
    if not CATALOG.exists():
        pytest.skip(f"{CATALOG} is absent: the shared reference data is not beside this checkout")
    text = CATALOG.read_text(encoding="utf-8")
    group_a = text.split("## A. Specification validity rules", 1)[1].split("## B. ", 1)[0]
    return re.findall(r"^### (DBUS-[EWI]\d{3}) ", group_a, flags=re.M)


def test_every_catalog_rule_has_fixtures_or_a_validator_table() -> None:
    rules = catalog_group_a_rules()
    assert len(rules) == 48  # the catalog's own count for group A
    for rule in rules:
        if rule in VALIDATOR_ONLY:
            continue
        assert EXAMPLES_DIR.joinpath(f"{rule}_bad.xml").is_file(), rule
        assert EXAMPLES_DIR.joinpath(f"{rule}_good.xml").is_file(), rule
        assert rule in BAD_LOCATIONS, rule
    assert set(BAD_LOCATIONS) == set(rules) - VALIDATOR_ONLY


def catalog_example(rule: str, label: str) -> str:
    """The catalog's Fails/Passes example of ``rule`` as a fixture file: ⟨'c'×N⟩ expanded,
    interface-content snippets wrapped in <node><interface name="com.example.Sample1">."""
    text = CATALOG.read_text(encoding="utf-8")
    section = text.split(f"### {rule} ", 1)[1].split("\n### ", 1)[0]
    m = re.search(r"- \*\*" + label + r":\*\*\n```xml\n(.*?)```", section, re.S)
    assert m is not None, (rule, label)
    example = re.sub(r"⟨'(.)'×(\d+)⟩", lambda g: g.group(1) * int(g.group(2)), m.group(1))
    if example.startswith("<node") or (rule == "DBUS-E001" and label == "Fails"):
        return example
    return wrap(example.rstrip("\n"))


@pytest.mark.parametrize("rule", sorted(BAD_LOCATIONS))
def test_fixtures_are_the_catalog_examples(rule: str) -> None:
    catalog_group_a_rules()  # skips when the catalog is absent
    assert example_text(rule, "bad") == catalog_example(rule, "Fails")
    assert example_text(rule, "good") == catalog_example(rule, "Passes")


@pytest.mark.parametrize("rule", sorted(BAD_LOCATIONS))
def test_bad_fixture_reports_rule_at_offending_element(rule: str, tmp_path: Path) -> None:
    path = example_file(rule, "bad", tmp_path)
    found = [d for d in diagnostics_of(path) if d.rule == rule]
    assert found, f"{path.name} does not produce {rule}"
    locations = {(d.location.line, d.location.column) for d in found if d.location is not None}
    assert locations == BAD_LOCATIONS[rule]
    assert all(d.location is not None and d.location.file == str(path) for d in found)
    expected = EXPECTED_SEVERITY[rule[5]]
    if rule == "DBUS-E001":
        # deliberate deviation: a root <interface> is accepted, so E001 is only a warning
        expected = Severity.WARNING
    assert {d.severity for d in found} == {expected}
    # exactly one diagnostic per offending element for this rule
    assert len(found) == len(BAD_LOCATIONS[rule])


@pytest.mark.parametrize("rule", sorted(BAD_LOCATIONS))
def test_good_fixture_is_clean(rule: str, tmp_path: Path) -> None:
    diagnostics = diagnostics_of(example_file(rule, "good", tmp_path))
    assert [d.format() for d in diagnostics if d.rule == rule] == []
    assert [d.format() for d in diagnostics if d.rule.startswith("DBUS-E")] == []


# --------------------------------------------------------------------------- E001 beyond the fixture


@pytest.mark.parametrize(
    "text, shown",
    [
        ("<foo/>", "<foo>"),
        (
            '<tp:spec xmlns:tp="http://telepathy.freedesktop.org/wiki/DbusSpec#extensions-v0"/>',
            "spec",
        ),
        ('<node xmlns="urn:example:ns"/>', "node"),
    ],
)
def test_e001_other_roots_are_refused(text: str, shown: str) -> None:
    with pytest.raises(InputError) as info:
        parse_bytes(f"\n  {text}".encode(), "r.xml")
    d = info.value.diagnostic
    assert d.rule == "DBUS-E001" and d.severity is Severity.ERROR
    assert d.location is not None and (d.location.line, d.location.column) == (2, 3)
    assert shown in d.message


def test_e001_root_interface_is_accepted_as_a_model(tmp_path: Path) -> None:
    result = parse_file(example_file("DBUS-E001", "bad", tmp_path))
    assert result.document.root_is_interface
    (iface,) = result.document.interfaces
    assert iface.name == "com.example.Sample1"
    assert [m.name for m in iface.methods] == ["Ping"]


# --------------------------------------------------------------------------- finer points of the Detect texts


def rules_at(text: str) -> list[tuple[str, int, int]]:
    return sorted(
        (d.rule, d.location.line, d.location.column)
        for d in diagnostics_of_text(text)
        if d.location is not None
    )


def test_e002_unknown_element_inside_annotation_and_arg() -> None:
    found = rules_at(
        wrap(
            '    <method name="P">\n'
            '      <annotation name="a.b" value="c"><foo/></annotation>\n'
            '      <arg name="x" type="s" direction="in"><bar/></arg>\n'
            "    </method>"
        )
    )
    assert ("DBUS-E002", 4, 40) in found
    assert ("DBUS-E002", 5, 45) in found
    assert not [r for r in found if r[0] == "DBUS-E003"]


def test_e002_namespaced_elements_and_their_subtree_are_ignored() -> None:
    found = rules_at(
        wrap(
            '    <x:extra xmlns:x="urn:x"><methd/><method name="Hidden"/></x:extra>\n'
            '    <method name="Ping"/>'
        )
    )
    assert found == []
    (iface,) = parse_bytes(
        wrap('    <x:extra xmlns:x="urn:x"><method name="Hidden"/></x:extra>').encode(), "t.xml"
    ).document.interfaces
    assert iface.methods == ()


def test_e003_nested_annotation_is_w003_not_e003() -> None:
    found = rules_at(
        wrap(
            '    <method name="P">\n      <annotation name="a.b" value="c"><annotation name="d.e" value="f"/></annotation>\n    </method>'
        )
    )
    assert found == [("DBUS-W003", 4, 40)]


def test_e003_node_inside_interface_and_interface_inside_method() -> None:
    found = rules_at(
        wrap('    <node name="x"/>\n    <method name="P"><interface name="a.b"/></method>')
    )
    assert ("DBUS-E003", 3, 5) in found
    assert ("DBUS-E003", 4, 22) in found


def test_e004_no_e022_for_a_missing_type_but_e022_for_an_empty_one() -> None:
    found = rules_at(
        wrap(
            '    <signal name="S">\n      <arg name="x"/>\n      <arg name="y" type=""/>\n    </signal>\n'
            '    <annotation name="a.b"/>'
        )
    )
    assert ("DBUS-E004", 4, 7) in found
    assert ("DBUS-E022", 5, 7) in found
    assert ("DBUS-E004", 7, 5) in found
    assert not [r for r in found if r[0] == "DBUS-E022" and r[1] == 4]


def test_e004_interface_without_name() -> None:
    assert rules_at('<node>\n  <interface>\n    <method name="P"/>\n  </interface>\n</node>') == [
        ("DBUS-E004", 2, 3)
    ]


def test_e006_child_without_name() -> None:
    assert rules_at("<node>\n  <node/>\n</node>") == [("DBUS-E006", 2, 3)]


def test_e011_applies_to_members_and_properties_in_bytes() -> None:
    found = rules_at(
        wrap(
            f'    <method name="{"M" * 256}"/>\n'
            f'    <signal name="{"S" * 255}"/>\n'
            f'    <property name="{"é" * 128}" type="s" access="read"/>'
        )
    )
    assert ("DBUS-E011", 3, 5) in found
    assert ("DBUS-E011", 5, 5) in found  # 128 two-byte characters = 256 bytes
    assert not [r for r in found if r[1] == 4]
    assert not [r for r in found if r[0] in ("DBUS-E013", "DBUS-W005")]


def test_e013_empty_member_name() -> None:
    assert ("DBUS-E013", 3, 5) in rules_at(wrap('    <method name=""/>'))


def test_e018_e020_empty_values() -> None:
    found = rules_at(
        wrap(
            '    <property name="P" type="u" access=""/>\n    <method name="M"><arg type="u" direction=""/></method>'
        )
    )
    assert ("DBUS-E018", 3, 5) in found
    assert ("DBUS-E020", 4, 22) in found


def test_e040_combined_in_signature_and_signal_signature() -> None:
    big, small = "(" + "i" * 200 + ")", "(" + "i" * 60 + ")"
    found = rules_at(
        wrap(
            f'    <method name="M">\n      <arg type="{big}" direction="in"/>\n      <arg type="{small}" direction="in"/>\n'
            f'      <arg type="{big}" direction="out"/>\n    </method>\n'
            f'    <signal name="S">\n      <arg type="{big}"/>\n      <arg type="{small}"/>\n    </signal>'
        )
    )
    assert [r for r in found if r[0] == "DBUS-E040"] == [("DBUS-E040", 3, 5), ("DBUS-E040", 8, 5)]


def test_e050_on_interface_and_values_are_case_sensitive() -> None:
    found = rules_at(
        wrap(
            '    <annotation name="org.freedesktop.DBus.Deprecated" value="TRUE"/>\n'
            '    <method name="P"><annotation name="org.freedesktop.DBus.Method.NoReply" value="yes"/></method>\n'
            '    <annotation name="org.freedesktop.DBus.GLib.CSymbol" value="anything goes"/>'
        )
    )
    assert [r for r in found if r[0] == "DBUS-E050"] == [("DBUS-E050", 3, 5), ("DBUS-E050", 4, 22)]


def test_e060_other_standard_interfaces() -> None:
    found = rules_at(
        "<node>\n"
        '  <interface name="org.freedesktop.DBus.Peer">\n'
        '    <method name="Ping"/>\n'
        '    <property name="X" type="s" access="read"/>\n'
        '    <method name="Extra"/>\n'
        "  </interface>\n"
        '  <interface name="org.freedesktop.DBus.Introspectable">\n'
        '    <method name="Introspect"><arg name="xml" type="s" direction="out"/></method>\n'
        "  </interface>\n"
        '  <interface name="org.freedesktop.DBus.ObjectManager">\n'
        '    <signal name="InterfacesRemoved"><arg type="o"/><arg type="as"/></signal>\n'
        '    <signal name="InterfacesAdded"><arg type="o"/></signal>\n'
        "  </interface>\n"
        '  <interface name="org.freedesktop.DBus">\n'
        '    <method name="Anything"/>\n'
        "  </interface>\n"
        "</node>"
    )
    assert [r for r in found if r[0] == "DBUS-E060"] == [
        ("DBUS-E060", 4, 5),
        ("DBUS-E060", 5, 5),
        ("DBUS-E060", 12, 5),
    ]


def test_e062_child_path() -> None:
    found = rules_at(
        '<node name="/">\n  <node name="org/freedesktop/DBus/Local"/>\n  <node name="org/freedesktop/DBus"/>\n</node>'
    )
    assert found == [("DBUS-E062", 2, 3)]


def test_w004_namespaced_and_xmlns_attributes_are_ignored() -> None:
    text = (
        '<node xmlns:doc="http://www.freedesktop.org/dbus/1.0/doc.dtd" xmlns:x="urn:x" name="/">\n'
        '  <interface name="com.example.Sample1" x:since="1">\n'
        '    <method name="P"><arg name="a" type="s" direction="in" x:kind="k" extra="1"/></method>\n'
        "  </interface>\n"
        "</node>"
    )
    assert rules_at(text) == [("DBUS-W004", 3, 22)]


def test_w007_uses_the_effective_direction() -> None:
    found = rules_at(
        wrap(
            '    <method name="M">\n      <arg name="a" type="u"/>\n      <arg name="a" type="u" direction="in"/>\n    </method>'
        )
    )
    assert ("DBUS-W007", 5, 7) in found


def test_w010_csymbol_and_no_reply_placement() -> None:
    found = rules_at(
        wrap(
            '    <property name="P" type="u" access="read">\n'
            '      <annotation name="org.freedesktop.DBus.GLib.CSymbol" value="x"/>\n'
            '      <annotation name="org.freedesktop.DBus.Deprecated" value="true"/>\n'
            "    </property>\n"
            '    <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>'
        )
    )
    assert [r for r in found if r[0] == "DBUS-W010"] == [("DBUS-W010", 4, 7)]


def test_w011_only_for_true_and_effective_out() -> None:
    found = rules_at(
        wrap(
            '    <method name="A">\n      <annotation name="org.freedesktop.DBus.Method.NoReply" value="false"/>\n'
            '      <arg type="u" direction="out"/>\n    </method>\n'
            '    <method name="B">\n      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>\n'
            '      <arg type="u"/>\n    </method>'
        )
    )
    assert not [r for r in found if r[0] == "DBUS-W011"]


# --------------------------------------------------------------------------- E070 / E071: validator only


VALID_BUS_NAMES = [
    "org.freedesktop.DBus",
    "com.example.Sample1",
    "a.b",
    "_a._b",
    "org.example-project.Service",  # "-" is allowed (discouraged) in bus names
    "-a.-b",
    "org.example.a1",
    ":1.42",
    ":1.0",
    ":a-b.c_d",
    ":1.2.3",
    "a." + "b" * 253,  # 255 bytes
]
INVALID_BUS_NAMES = [
    "",
    "org",
    ".org.example",
    "org.example.",
    "org..example",
    "org.1example",  # a well-known name element may not start with a digit
    "1org.example",
    "org.exa mple",
    "org.exämple.Service",
    "org/example",
    ":1",
    ":",
    ":1.",
    ":.1",
    ":1..2",
    "a." + "b" * 254,  # 256 bytes
    ":1." + "2" * 253,  # 256 bytes
]


@pytest.mark.parametrize("name", VALID_BUS_NAMES)
def test_e070_valid_bus_names(name: str) -> None:
    assert check_bus_name(name) is None


@pytest.mark.parametrize("name", INVALID_BUS_NAMES)
def test_e070_invalid_bus_names(name: str) -> None:
    reason = check_bus_name(name)
    assert isinstance(reason, str) and reason


VALID_ERROR_NAMES = [
    "org.freedesktop.DBus.Error.Failed",
    "com.example.Sample1.Error.NotFound",
    "a.b",
    "_a._1",
    "org._7_zip.Error",
    "com.example.E" + "r" * 242,  # 255 bytes
]
INVALID_ERROR_NAMES = [
    "",
    "Failed",
    "org.freedesktop.DBus.Error.",
    ".org.example.Error",
    "org..example.Error",
    "org.example.1Failed",
    "org.my-example.Error",  # no hyphen, unlike bus names
    ":1.42",
    "org.example.Err or",
    "org.example.Errör",
    "com.example.E" + "r" * 243,  # 256 bytes
]


@pytest.mark.parametrize("name", VALID_ERROR_NAMES)
def test_e071_valid_error_names(name: str) -> None:
    assert check_error_name(name) is None


@pytest.mark.parametrize("name", INVALID_ERROR_NAMES)
def test_e071_invalid_error_names(name: str) -> None:
    reason = check_error_name(name)
    assert isinstance(reason, str) and reason


def test_e071_length_uses_the_e011_check() -> None:
    problem = check_interface_name("com.example.E" + "r" * 243)
    assert problem is not None and problem[0] == "DBUS-E011"
    problem = check_interface_name("com.example.1E")
    assert problem is not None and problem[0] == "DBUS-E010"
