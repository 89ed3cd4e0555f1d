"""Group B (GUIDE-*) rules: one failing and one passing example per rule (the rule table's,
qdbusgen/lint/examples/), plus the cases the corpus review turned up (false positives that
must stay fixed)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from qdbusgen.diagnostics import Severity
from qdbusgen.lint import LintConfig, lint
from qdbusgen.lint.config import config_from_mapping
from qdbusgen.lint.rules import EXAMPLES_DIR, RULES, compat_base, compat_diff, expand_example
from rule_examples import example_file

#: Where each bad example must report its rule (line, column), every occurrence.
EXPECTED: dict[str, list[tuple[int, int]]] = {
    "GUIDE-I101": [(5, 3)],
    "GUIDE-I102": [(2, 3)],
    "GUIDE-W110": [(2, 3)],
    "GUIDE-W111": [(1, 1)],
    "GUIDE-W112": [(1, 1)],
    "GUIDE-I113": [(1, 1)],
    "GUIDE-I120": [(4, 7)],
    "GUIDE-I121": [(4, 7)],
    "GUIDE-I122": [(4, 7)],
    "GUIDE-I123": [(5, 7)],
    "GUIDE-I125": [(3, 5)],
    "GUIDE-I126": [(5, 7)],
    "GUIDE-W130": [(3, 5)],
    "GUIDE-W131": [(5, 7)],
    "GUIDE-W140": [(3, 5), (6, 5)],
    "GUIDE-W141": [(4, 5)],
    "GUIDE-I142": [(3, 5)],
    "GUIDE-W144": [(3, 5)],
    "GUIDE-W150": [(2, 3)],
    "GUIDE-I151": [(2, 3)],
    "GUIDE-W152": [(3, 5)],
    "GUIDE-W153": [(3, 5)],
    "GUIDE-W154": [(4, 7)],
    "GUIDE-I155": [(4, 7)],
    "GUIDE-W156": [(4, 7)],
    "GUIDE-W160": [(2, 3)],
    "GUIDE-I161": [(2, 3)],
    "GUIDE-W162": [(2, 3)],
    "GUIDE-W170": [(9, 5)],
    "GUIDE-I171": [(14, 7)],
    "GUIDE-W190": [(4, 7)],
    "GUIDE-I191": [(3, 5)],
}

GUIDE_RULES = sorted(r.id for r in RULES.values() if r.group == "B")


def example_config(rule_id: str) -> LintConfig:
    """The configuration a rule's examples assume (opt-in rules, owned prefixes)."""
    return config_from_mapping({k: list(v) for k, v in RULES[rule_id].example_config})


def test_every_guide_rule_has_an_expectation_and_examples() -> None:
    assert sorted(EXPECTED) == GUIDE_RULES
    for rule_id in GUIDE_RULES:
        assert EXAMPLES_DIR.joinpath(f"{rule_id}_bad.xml").is_file(), rule_id
        assert EXAMPLES_DIR.joinpath(f"{rule_id}_good.xml").is_file(), rule_id


def _findings(path: Path, config: LintConfig | None = None) -> list[tuple[str, int, int, Severity]]:
    result = lint([path], config if config is not None else LintConfig())
    assert not result.unusable
    return [
        (d.rule, d.location.line, d.location.column, d.severity)
        for d in result.findings
        if d.location
    ]


@pytest.mark.parametrize("rule_id", GUIDE_RULES)
def test_bad_example_reports_rule_at_position(rule_id: str, tmp_path: Path) -> None:
    path = example_file(rule_id, "bad", tmp_path)
    found = _findings(path, example_config(rule_id))
    positions = [(line, col) for rule, line, col, _ in found if rule == rule_id]
    assert positions == EXPECTED[rule_id]
    severities = {sev for rule, _, _, sev in found if rule == rule_id}
    assert severities == {RULES[rule_id].severity}


@pytest.mark.parametrize("rule_id", GUIDE_RULES)
def test_good_example_does_not_report_rule(rule_id: str, tmp_path: Path) -> None:
    # GUIDE-I102 looks at the file name: its good example carries its interface's name
    good = RULES[rule_id].good
    path = example_file(rule_id, "good", tmp_path, good.filename if good else None)
    found = _findings(path, example_config(rule_id))
    assert [f for f in found if f[0] == rule_id] == []
    # example contract: a good example is valid D-Bus introspection data
    assert [f for f in found if f[0].startswith(("DBUS-E", "XML-"))] == []


def test_every_example_file_is_a_rules_example() -> None:
    """qdbusgen/lint/examples/ holds the examples of the rule table and nothing else (a
    group C example file is the new version the shown diff is made from)."""
    for entry in EXAMPLES_DIR.iterdir():
        rule_id, _, kind = entry.name.removesuffix(".xml").rpartition("_")
        example = getattr(RULES[rule_id], kind)
        text = entry.read_text(encoding="utf-8")
        if RULES[rule_id].group == "C":
            text = compat_diff(compat_base(rule_id), text)
        assert example is not None and example.text == text


XML_EXAMPLE_RULES = sorted(
    r.id
    for r in RULES.values()
    if r.bad is not None and r.bad.language == "xml" and r.id != "GUIDE-I102"
)


@pytest.mark.parametrize("rule_id", XML_EXAMPLE_RULES)
def test_registry_examples_behave(rule_id: str, tmp_path: Path) -> None:
    """What --explain and docs/rules show is true: the bad example reports the rule, the good one does not."""
    rule = RULES[rule_id]
    assert rule.bad is not None and rule.good is not None
    for kind, example, expected in (("bad", rule.bad, True), ("good", rule.good, False)):
        path = tmp_path / (example.filename or f"{kind}.xml")
        path.write_text(expand_example(example.text), encoding="utf-8")
        result = lint([path], example_config(rule_id))
        assert any(d.rule == rule_id for d in result.findings) is expected, (
            kind,
            [d.format() for d in result.findings],
        )


def _lint_text(
    tmp_path: Path, xml: str, config: LintConfig | None = None, name: str = "sample.xml"
) -> list[str]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(xml).lstrip(), encoding="utf-8")
    result = lint([path], config if config is not None else LintConfig())
    return [f"{d.rule}@{d.location.line}" if d.location else d.rule for d in result.findings]


def _wrap(body: str) -> str:
    return (
        '<node>\n  <interface name="com.example.Sample1">\n'
        + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
        + "\n  </interface>\n</node>\n"
    )


def test_standard_interfaces_are_exempt(tmp_path: Path) -> None:
    xml = """
    <node>
      <interface name="org.freedesktop.DBus.Properties">
        <method name="Get">
          <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/>
        </method>
      </interface>
      <interface name="com.example.Sample1"/>
    </node>
    """
    found = _lint_text(tmp_path, xml)
    assert not [f for f in found if f.startswith("GUIDE-") and f.endswith("@2")]
    assert "GUIDE-W156@4" not in found and "GUIDE-I125@4" not in found


def test_owned_prefix_silences_w162_and_i161(tmp_path: Path) -> None:
    xml = """
    <node>
      <interface name="org.qemu.Display1.VM"/>
      <interface name="org.freedesktop.Sample1"/>
    </node>
    """
    found = _lint_text(tmp_path, xml)
    # without owned prefixes, I161 cannot tell a freedesktop.org project from another
    assert "GUIDE-W162@2" in found and not [f for f in found if f.startswith("GUIDE-I161")]
    found = _lint_text(tmp_path, xml, LintConfig(owned_prefixes=("com.example",)))
    assert "GUIDE-W162@2" in found and "GUIDE-I161@3" in found
    owned = LintConfig(owned_prefixes=("org.qemu", "org.freedesktop.Sample1"))
    found = _lint_text(tmp_path, xml, owned)
    assert not [f for f in found if f.startswith(("GUIDE-W162", "GUIDE-I161"))]


@pytest.mark.parametrize(
    "doc",
    [
        '<annotation name="org.gtk.GDBus.DocString" value="Pings."/>',
        '<doc:doc xmlns:doc="http://www.freedesktop.org/dbus/1.0/doc.dtd"><doc:summary>Pings.</doc:summary></doc:doc>',
        '<doc:doc xmlns:doc="http://www.freedesktop.org/dbus/1.0/doc.dtd"/>',
        '<tp:docstring xmlns:tp="http://telepathy.freedesktop.org/wiki/DbusSpec#extensions-v0">Pings.</tp:docstring>',
    ],
)
def test_documentation_dialects_count(tmp_path: Path, doc: str) -> None:
    found = _lint_text(tmp_path, _wrap(f'<method name="Ping">\n  {doc}\n</method>'))
    assert "GUIDE-W170@3" not in found


def test_blank_docstring_is_not_documentation(tmp_path: Path) -> None:
    found = _lint_text(
        tmp_path,
        _wrap(
            '<method name="Ping">\n  <annotation name="org.gtk.GDBus.DocString" value="  "/>\n</method>'
        ),
    )
    assert "GUIDE-W170@3" in found


def test_gtkdoc_comment_must_name_the_element(tmp_path: Path) -> None:
    found = _lint_text(
        tmp_path, _wrap('<!--\n    Pong:\n\n    Wrong symbol.\n-->\n<method name="Ping"/>')
    )
    assert "GUIDE-W170@8" in found
    found = _lint_text(
        tmp_path,
        _wrap(
            '<!--\n    Ping:\n    @text: the text.\n-->\n<method name="Ping">\n  <arg name="text" type="s" direction="in"/>\n</method>'
        ),
    )
    assert "GUIDE-W170@7" not in found and "GUIDE-I171@8" not in found


def test_interface_excluded_by_conditional_is_not_i101(tmp_path: Path) -> None:
    xml = """
    <node>
      <?if $(env.HOST_OS) == windows?>
      <interface name="com.example.Win1"/>
      <?endif?>
    </node>
    """
    path = tmp_path / "com.example.Win1.xml"
    path.write_text(textwrap.dedent(xml).lstrip(), encoding="utf-8")
    result = lint([path], LintConfig(), defines={"HOST_OS": "linux"})
    assert [d.rule for d in result.findings] == []


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        # a byte string next to a list is not a pair of parallel arrays
        (
            '<method name="Deploy">\n  <arg name="path" type="ay" direction="in"/>\n  <arg name="subpaths" type="as" direction="in"/>\n</method>',
            "GUIDE-I123",
        ),
        # a command line and an environment are complete lists on their own
        (
            '<method name="Exec">\n  <arg name="args" type="as" direction="in"/>\n  <arg name="env" type="as" direction="in"/>\n</method>',
            "GUIDE-I123",
        ),
        # vCard is a word, not "variant Card"
        (
            '<method name="Import">\n  <arg name="vCard" type="s" direction="in"/>\n</method>',
            "GUIDE-I155",
        ),
        # an object path names a secret, it does not carry one
        ('<signal name="SecretEvent">\n  <arg name="secret" type="o"/>\n</signal>', "GUIDE-W190"),
        # fds cannot be property values, so an fd getter is not a property in disguise
        (
            '<method name="GetFd">\n  <arg name="fd" type="h" direction="out"/>\n</method>',
            "GUIDE-W140",
        ),
    ],
)
def test_heuristic_false_positives_stay_fixed(tmp_path: Path, body: str, rule: str) -> None:
    found = _lint_text(tmp_path, _wrap(body))
    assert not [f for f in found if f.startswith(rule + "@")]


def test_i151_lower_case_namespace_levels(tmp_path: Path) -> None:
    xml = '<node>\n  <interface name="org.freedesktop.portal.Trash1"/>\n  <interface name="org.kde.touchpad1"/>\n</node>\n'
    found = _lint_text(tmp_path, xml)
    assert "GUIDE-I151@2" not in found  # "portal" is a namespace level
    assert "GUIDE-I151@3" in found  # the interface's own element must be CamelCase


def test_hungarian_with_matching_type(tmp_path: Path) -> None:
    found = _lint_text(
        tmp_path,
        _wrap('<method name="Rename">\n  <arg name="sName" type="s" direction="in"/>\n</method>'),
    )
    assert "GUIDE-I155@4" in found


def test_interface_file_rules_switch(tmp_path: Path) -> None:
    xml = '<node>\n  <interface name="com.example.Sample1"/>\n  <interface name="com.example.Sample1.Extra"/>\n</node>\n'
    assert "GUIDE-I101@3" in _lint_text(tmp_path, xml)
    assert not [
        f
        for f in _lint_text(tmp_path, xml, LintConfig(interface_file_rules=False))
        if f.startswith("GUIDE-I10")
    ]


def test_upstream_qemu_findings(tmp_path: Path) -> None:
    from conftest import UPSTREAM_QEMU, require_shared

    path = require_shared(UPSTREAM_QEMU / "ui" / "dbus-display1.xml")
    result = lint([path], LintConfig(owned_prefixes=("org.qemu",)))
    rules = {d.rule for d in result.findings}
    assert "GUIDE-W162" not in rules
    # the file is documented with gtk-doc comments throughout: only one arg lacks its @line
    assert "GUIDE-W170" not in rules
    assert sum(1 for d in result.findings if d.rule == "GUIDE-I171") == 2
    assert result.errors == 0
