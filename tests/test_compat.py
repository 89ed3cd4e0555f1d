"""``qdbusgen diff``: every COMPAT rule fires on its fixture and not on the passing one, with its
id, position and exit status; near misses; suppressions, configuration, output formats;
``--against`` on a throwaway git repository; the QEMU display interface in two versions."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import textwrap
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from qdbusgen.cli import cli
from qdbusgen.compat import compare, diff_paths
from qdbusgen.lint.config import ConfigError
from qdbusgen.lint.rules import COMPAT_RULES, COMPAT_UNCHANGED, EXAMPLES_DIR, RULES
from qdbusgen.lint.rules import compat_base, compat_document
from qdbusgen.model import Document, Interface
from qdbusgen.parser import parse_bytes

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

#: What each rule's bad example (qdbusgen/lint/examples/<RULE>_bad.xml) must report: (rule, side, line, column) of the finding
#: itself; every other finding the fixture produces is listed too (nothing else may appear).
EXPECTED: dict[str, list[tuple[str, str, int, int]]] = {
    "COMPAT-B001": [("COMPAT-B001", "old", 2, 3), ("COMPAT-F001", "new", 2, 3)],
    "COMPAT-B002": [("COMPAT-B002", "old", 3, 5)],
    "COMPAT-B003": [("COMPAT-B003", "old", 7, 5)],
    "COMPAT-B004": [("COMPAT-B004", "old", 10, 5)],
    "COMPAT-B005": [("COMPAT-B005", "new", 6, 7)],
    "COMPAT-B006": [("COMPAT-B006", "old", 5, 7)],
    "COMPAT-B007": [("COMPAT-B007", "new", 5, 7)],
    "COMPAT-B008": [("COMPAT-B008", "new", 5, 7)],
    "COMPAT-B009": [("COMPAT-B009", "new", 10, 5)],
    "COMPAT-B010": [("COMPAT-B010", "new", 10, 5)],
    "COMPAT-B011": [("COMPAT-B011", "new", 3, 5)],
    "COMPAT-B012": [("COMPAT-B012", "new", 10, 5)],
    "COMPAT-F001": [("COMPAT-F001", "new", 12, 3)],
    "COMPAT-F002": [("COMPAT-F002", "new", 7, 5)],
    "COMPAT-F003": [("COMPAT-F003", "new", 10, 5)],
    "COMPAT-F004": [("COMPAT-F004", "new", 11, 5)],
    "COMPAT-F005": [("COMPAT-F005", "new", 10, 5)],
    "COMPAT-F006": [("COMPAT-F006", "new", 10, 5)],
    "COMPAT-I001": [("COMPAT-I001", "new", 5, 7)],
    "COMPAT-I002": [("COMPAT-I002", "new", 3, 5)],
    "COMPAT-I003": [("COMPAT-I003", "new", 3, 5)],
}
#: What a good example may report (the catalog's passing B005 example adds a method).
GOOD_EXPECTED: dict[str, list[tuple[str, str, int, int]]] = {
    "COMPAT-B005": [("COMPAT-F002", "new", 7, 5)],
}


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No pyproject.toml of the repository leaks into these tests."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["diff", *args], catch_exceptions=False)


def _copy(rule_id: str, kind: str, tmp_path: Path) -> tuple[str, str]:
    """The rule's old version and its ``kind`` example's new version, as files."""
    old = tmp_path / "old" / "sample.xml"
    new = tmp_path / "new" / "sample.xml"
    for p in (old, new):
        p.parent.mkdir(parents=True, exist_ok=True)
    old.write_text(compat_base(rule_id), encoding="utf-8")
    new.write_text(compat_document(rule_id, kind), encoding="utf-8")
    return "old/sample.xml", "new/sample.xml"


def _found(result: Result, old: str, new: str) -> list[tuple[str, str, int, int]]:
    payload = json.loads(result.stdout)
    side = {old: "old", new: "new"}
    return sorted((f["rule"], side[f["file"]], f["line"], f["column"]) for f in payload["findings"])


def test_every_catalog_rule_has_examples() -> None:
    """Each rule's examples are its new versions in qdbusgen/lint/examples/ (the catalog's
    diffs are made from them); nothing in tests/fixtures/ repeats them or the old version."""
    assert sorted(EXPECTED) == sorted(COMPAT_RULES)
    assert len(COMPAT_RULES) == 21
    for rule_id in COMPAT_RULES:
        assert EXAMPLES_DIR.joinpath(f"{rule_id}_bad.xml").is_file()
        bad = RULES[rule_id].bad
        assert bad is not None and bad.text != COMPAT_UNCHANGED
        good = EXAMPLES_DIR.joinpath(f"{rule_id}_good.xml")
        assert not good.is_file() or good.read_text(encoding="utf-8") != compat_base(rule_id)
    assert not (ROOT / "tests" / "fixtures" / "compat").exists()


@pytest.mark.parametrize("rule_id", COMPAT_RULES)
def test_bad_fixture_fires_with_position_and_exit_status(rule_id: str, tmp_path: Path) -> None:
    old, new = _copy(rule_id, "bad", tmp_path)
    result = run("--format", "json", old, new)
    assert _found(result, old, new) == sorted(EXPECTED[rule_id])
    payload = json.loads(result.stdout)
    mine = [f for f in payload["findings"] if f["rule"] == rule_id]
    assert [f["severity"] for f in mine] == [RULES[rule_id].severity.label]
    assert mine[0]["help"] == f"docs/rules/{rule_id}.md"
    assert result.exit_code == (1 if rule_id.startswith("COMPAT-B") else 0)


@pytest.mark.parametrize("rule_id", COMPAT_RULES)
def test_good_fixture_does_not_fire(rule_id: str, tmp_path: Path) -> None:
    old, new = _copy(rule_id, "good", tmp_path)
    result = run("--format", "json", old, new)
    assert _found(result, old, new) == GOOD_EXPECTED.get(rule_id, [])
    assert result.exit_code == 0


def test_text_output_positions_removals_in_old_and_the_rest_in_new(tmp_path: Path) -> None:
    old, new = _copy("COMPAT-B001", "bad", tmp_path)
    result = run(old, new)
    lines = result.stdout.splitlines()  # sorted by file, line, column
    assert lines[0] == (
        "new/sample.xml:2:3: info: interface com.example.Sample2 added [COMPAT-F001]"
    )
    assert lines[1] == (
        "old/sample.xml:2:3: error: interface com.example.Sample1 removed (an incompatible "
        "successor needs a new versioned name, and the old one must stay) [COMPAT-B001]"
    )
    assert lines[2].startswith("2 files compared: 1 backwards-incompatible")
    assert result.exit_code == 1


# ---------------------------------------------------------------------- near misses


def _doc(body: str, iface_annotations: str = "") -> str:
    return (
        '<node>\n  <interface name="com.example.Sample1">\n'
        + iface_annotations
        + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
        + "\n  </interface>\n</node>\n"
    )


def _rules(old: str, new: str) -> list[str]:
    a = parse_bytes(old.encode(), "old.xml").document
    b = parse_bytes(new.encode(), "new.xml").document
    return [d.rule for d in compare([a], [b])]


ECS = '<annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="{}"/>'


def _prop(access: str = "read", ecs: str | None = None) -> str:
    if ecs is None:
        return f'<property name="Status" type="u" access="{access}"/>'
    return f'<property name="Status" type="u" access="{access}">{ECS.format(ecs)}</property>'


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # direction left out = in for a method arg: no change
        (
            '<method name="M"><arg name="a" type="s"/></method>',
            '<method name="M"><arg name="a" type="s" direction="in"/></method>',
            [],
        ),
        # a signal arg is out with or without direction="out"
        (
            '<signal name="S"><arg name="a" type="s"/></signal>',
            '<signal name="S"><arg name="a" type="s" direction="out"/></signal>',
            [],
        ),
        # reordering methods changes nothing; reordering args is positional
        (
            '<method name="A"/><method name="B"/>',
            '<method name="B"/><method name="A"/>',
            [],
        ),
        (
            '<method name="M"><arg name="a" type="s"/><arg name="b" type="u"/></method>',
            '<method name="M"><arg name="b" type="u"/><arg name="a" type="s"/></method>',
            ["COMPAT-B007", "COMPAT-I001", "COMPAT-B007", "COMPAT-I001"],
        ),
        # signature equality is string equality; only the name changed
        (
            '<method name="M"><arg name="a" type="a{sv}"/></method>',
            '<method name="M"><arg name="b" type="a{sv}"/></method>',
            ["COMPAT-I001"],
        ),
        # NoReply="false" is the same as no annotation
        (
            '<method name="M"/>',
            '<method name="M"><annotation name="org.freedesktop.DBus.Method.NoReply" value="false"/></method>',
            [],
        ),
        (
            '<method name="M"><annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/></method>',
            '<method name="M"/>',
            ["COMPAT-B011"],
        ),
        # Deprecated="false" is not deprecated; undeprecating is reported too
        (
            '<method name="M"/>',
            '<method name="M"><annotation name="org.freedesktop.DBus.Deprecated" value="false"/></method>',
            [],
        ),
        (
            '<method name="M"><annotation name="org.freedesktop.DBus.Deprecated" value="true"/></method>',
            '<method name="M"/>',
            ["COMPAT-I002"],
        ),
        # an empty C symbol is the same as none
        (
            '<method name="M"/>',
            '<method name="M"><annotation name="org.freedesktop.DBus.GLib.CSymbol" value=""/></method>',
            [],
        ),
        # other annotations are compatible and not reported
        (
            '<method name="M"/>',
            '<method name="M"><annotation name="org.gtk.GDBus.Since" value="2"/></method>',
            [],
        ),
        # property access: widening is F005, every narrowing or swap B010
        (_prop("write"), _prop("readwrite"), ["COMPAT-F005"]),
        (_prop("readwrite"), _prop("write"), ["COMPAT-B010"]),
        (_prop("read"), _prop("write"), ["COMPAT-B010"]),
        (_prop("write"), _prop("read"), ["COMPAT-B010"]),
        # EmitsChangedSignal: explicit true is the default; the catalog's table of transitions
        (_prop(), _prop(ecs="true"), []),
        (_prop(ecs="false"), _prop(), ["COMPAT-B012"]),
        (_prop(ecs="const"), _prop(ecs="invalidates"), ["COMPAT-B012"]),
        (_prop(ecs="invalidates"), _prop(ecs="true"), ["COMPAT-B012"]),
        (_prop(ecs="const"), _prop(ecs="false"), ["COMPAT-B012"]),
        (_prop(ecs="invalidates"), _prop(ecs="const"), ["COMPAT-F006"]),
        (_prop(ecs="false"), _prop(ecs="const"), ["COMPAT-F006"]),
        (_prop(), _prop(ecs="const"), ["COMPAT-F006"]),
        # an argument's deprecation is compared too
        (
            '<method name="M"><arg name="a" type="s"/></method>',
            '<method name="M"><arg name="a" type="s"><annotation name="org.freedesktop.DBus.Deprecated" value="true"/></arg></method>',
            ["COMPAT-I002"],
        ),
    ],
)
def test_near_misses(old: str, new: str, expected: list[str]) -> None:
    assert sorted(_rules(_doc(old), _doc(new))) == sorted(expected)


def test_unnamed_argument_messages() -> None:
    a = parse_bytes(_doc('<method name="M"><arg type="s"/></method>').encode(), "o.xml").document
    b = parse_bytes(
        _doc('<method name="M"><arg name="data" type="s"/></method>').encode(), "n.xml"
    ).document
    assert [d.message for d in compare([a], [b])] == [
        "argument 1 of method com.example.Sample1.M given the name 'data'"
    ]
    assert [d.message for d in compare([b], [a])] == [
        "argument 1 of method com.example.Sample1.M lost its name 'data'"
    ]


def test_interface_emits_changed_is_inherited() -> None:
    ann = f"    {ECS.format('invalidates')}\n"
    old = _doc(_prop())
    new = _doc(_prop(), iface_annotations=ann)
    assert _rules(old, new) == ["COMPAT-B012"]
    # the property's own annotation wins over the interface's
    assert _rules(_doc(_prop(ecs="true")), _doc(_prop(ecs="true"), iface_annotations=ann)) == []


def test_interfaces_are_matched_by_name_across_files(tmp_path: Path) -> None:
    a = _doc('<method name="M"/>').replace("Sample1", "A1")
    b = _doc('<method name="M"/>').replace("Sample1", "B1")
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "all.xml").write_text(a.replace("</node>", "") + b.split("<node>")[1])
    (tmp_path / "new" / "com.example.A1.xml").write_text(a)
    (tmp_path / "new" / "com.example.B1.xml").write_text(b)
    result = run("old", "new")
    assert result.exit_code == 0, result.stdout
    assert "0 backwards-incompatible" in result.stdout
    (tmp_path / "new" / "com.example.B1.xml").unlink()
    result = run("old", "new")
    assert result.exit_code == 1
    assert "old/all.xml:" in result.stdout and "[COMPAT-B001]" in result.stdout


def test_defines_apply_to_both_sides(tmp_path: Path) -> None:
    cond = (
        '<method name="Common"/>\n<?if $(env.HOST_OS) == windows?>\n<method name="Win"/>\n'
        "<?endif?>"
    )
    (tmp_path / "old.xml").write_text(_doc(cond))
    (tmp_path / "new.xml").write_text(_doc('<method name="Common"/>'))
    assert run("-D", "HOST_OS=linux", "old.xml", "new.xml").exit_code == 0
    result = run("-D", "HOST_OS=windows", "old.xml", "new.xml")
    assert result.exit_code == 1 and "[COMPAT-B002]" in result.stdout


# ---------------------------------------------------------------------- unusable input, usage


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "old.xml").write_text("<node><interface></node>")
    (tmp_path / "new.xml").write_text(compat_base("X"))
    result = run("old.xml", "new.xml")
    assert result.exit_code == 2
    assert "old.xml:1:" in result.stdout and "[XML-E001]" in result.stdout
    assert "Traceback" not in result.output
    assert run("missing.xml", "new.xml").exit_code == 2
    (tmp_path / "empty").mkdir()
    assert run("empty", "new.xml").exit_code == 2
    # a conditional that cannot be evaluated leaves the model undefined: unusable too
    (tmp_path / "cond.xml").write_text(_doc('<?if $(env.HOST_OS) = windows?>\n<method name="M"/>'))
    result = run("new.xml", "cond.xml")
    assert result.exit_code == 2 and "cond.xml:" in result.stdout and "[XML-E010]" in result.stdout
    assert "[COMPAT-" not in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("only-one.xml",),
        ("a.xml", "b.xml", "c.xml"),
        ("--against", "HEAD"),
        ("--explain", "GUIDE-W140"),
        ("--explain", "COMPAT-X999"),
        ("--ignore", "GUIDE-W140", "a.xml", "b.xml"),
        ("--severity", "COMPAT-B001", "a.xml", "b.xml"),
        ("-D", "novalue", "a.xml", "b.xml"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "qdbusgen diff: error:" in result.output


def test_explain_and_list_rules() -> None:
    result = run("--explain", "compat-b005")
    assert result.exit_code == 0
    for part in (
        "COMPAT-B005: Argument added to a method or signal",
        "Default severity: error",
        'dbus-deviation "argument-added"',
        "Old version (the examples change it):",
        '+      <arg name="flags" type="u" direction="in"/>',
        '+    <method name="FrobnicateWithFlags">',
        "Reference: docs/rules/COMPAT-B005.md",
    ):
        assert part in result.stdout
    listed = run("--list-rules").stdout.splitlines()
    assert [line.split()[0] for line in listed] == [*COMPAT_RULES, "LINT-W001"]
    assert (
        "COMPAT-F006 info     Property stopped notifying / became const (forwards-only)" in listed
    )
    # lint lists no COMPAT rule
    lint_list = CliRunner().invoke(cli, ["lint", "--list-rules"]).stdout
    assert "COMPAT-" not in lint_list


# ---------------------------------------------------------------------- config and suppressions


def test_pyproject_diff_table(tmp_path: Path) -> None:
    old, new = _copy("COMPAT-B002", "bad", tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.qdbusgen.diff]\nignore = ["COMPAT-B002"]\n')
    result = run(old, new)
    assert result.exit_code == 0 and "[COMPAT-B002]" not in result.stdout
    (tmp_path / "pyproject.toml").write_text(
        '[tool.qdbusgen.diff]\nseverity = { "COMPAT-B" = "warning" }\n'
    )
    result = run(old, new)
    assert result.exit_code == 0 and "warning: method" in result.stdout
    assert run("--fail-on", "warning", old, new).exit_code == 1
    (tmp_path / "pyproject.toml").write_text(
        '[tool.qdbusgen.diff]\nseverity = { "COMPAT-F002" = "error" }\n'
    )
    f_old, f_new = _copy("COMPAT-F002", "bad", tmp_path)
    assert run(f_old, f_new).exit_code == 1


def test_diff_table_is_found_from_the_new_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from this repository's root, the NEW file's own project configures the diff."""
    old, new = (str(tmp_path / p) for p in _copy("COMPAT-B002", "bad", tmp_path))
    (tmp_path / "pyproject.toml").write_text('[tool.qdbusgen.diff]\nignore = ["COMPAT-B002"]\n')
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    result = run(old, new)
    assert result.exit_code == 0 and "[COMPAT-B002]" not in result.stdout
    (tmp_path / "pyproject.toml").unlink()
    assert run(old, new).exit_code == 1  # the repository's own settings: a break


@pytest.mark.parametrize(
    "toml",
    [
        '[tool.qdbusgen.diff]\nignore = ["GUIDE-W140"]\n',
        '[tool.qdbusgen.diff]\nowned_prefixes = ["org.qemu"]\n',
        '[tool.qdbusgen.diff]\nseverity = { "COMPAT-B001" = "fatal" }\n',
        "[tool.qdbusgen.diff]\nunknown = 1\n",
    ],
)
def test_bad_diff_config_exits_2(tmp_path: Path, toml: str) -> None:
    old, new = _copy("COMPAT-B002", "bad", tmp_path)
    (tmp_path / "pyproject.toml").write_text(toml)
    result = run(old, new)
    assert result.exit_code == 2 and "[tool.qdbusgen.diff]" in result.output


def test_lint_table_does_not_configure_diff(tmp_path: Path) -> None:
    old, new = _copy("COMPAT-B002", "bad", tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.qdbusgen.lint]\nignore = ["GUIDE-W140"]\n')
    assert run(old, new).exit_code == 1
    with pytest.raises(ConfigError):
        from qdbusgen.compat import load_diff_config

        load_diff_config(_write(tmp_path, "bad.toml", '[tool.qdbusgen.diff]\nignore = ["DBUS"]\n'))


def _write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return str(tmp_path / name)


def test_suppressions_in_new_file(tmp_path: Path) -> None:
    old, new = _copy("COMPAT-B007", "bad", tmp_path)
    text = Path(new).read_text()
    Path(new).write_text(
        text.replace(
            '      <arg name="id" type="t"',
            "      <!-- qdbusgen: ignore COMPAT-B007; released by mistake -->\n"
            '      <arg name="id" type="t"',
        )
    )
    result = run("--format", "json", old, new)
    payload = json.loads(result.stdout)
    assert payload["findings"] == [] and payload["summary"]["suppressed"] == 1
    assert result.exit_code == 0
    # a removal is suppressed on the element that lost it, in the new file
    old, new = _copy("COMPAT-B002", "bad", tmp_path)
    text = Path(new).read_text()
    Path(new).write_text(
        text.replace(
            '  <interface name="com.example.Sample1">\n',
            '  <interface name="com.example.Sample1">\n'
            '    <annotation name="org.qdbusgen.Lint.Suppress" value="COMPAT-B002"/>\n',
        )
    )
    result = run(old, new)
    assert result.exit_code == 0 and "1 suppressed" in result.stdout
    # a COMPAT suppression that matches nothing is LINT-W001 for diff, not for lint
    old, new = _copy("COMPAT-B003", "good", tmp_path)
    Path(new).write_text(
        Path(new)
        .read_text()
        .replace("    <method", "    <!-- qdbusgen: ignore COMPAT-B002 -->\n    <method")
    )
    result = run(old, new)
    assert result.exit_code == 0
    assert "new/sample.xml:3:5: warning:" in result.stdout and "[LINT-W001]" in result.stdout
    lint = CliRunner().invoke(cli, ["lint", "--format", "json", new]).stdout
    assert "COMPAT" not in lint


# ---------------------------------------------------------------------- output formats


def test_sarif_and_github(tmp_path: Path) -> None:
    old, new = _copy("COMPAT-B006", "bad", tmp_path)
    result = run("--format", "sarif", old, new)
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    (res,) = log["runs"][0]["results"]
    assert res["ruleId"] == "COMPAT-B006" and res["level"] == "error"
    table = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert [t for t in table if t.startswith("COMPAT-")] == list(COMPAT_RULES)
    assert not any(t.startswith(("DBUS-", "GUIDE-")) for t in table)
    assert table[res["ruleIndex"]] == "COMPAT-B006"
    assert table[-1] == "LINT-W001" and "XML-E001" in table
    region = res["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "old/sample.xml"
    assert region["region"] == {"startLine": 5, "startColumn": 7}
    related = res["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "new/sample.xml"
    assert related["region"]["startLine"] == 3
    gh = run("--format", "github", old, new).stdout.splitlines()
    assert gh[0].startswith("::error file=old/sample.xml,line=5,col=7,title=COMPAT-B006::")
    run("--format", "sarif", "-o", "out.sarif", old, new)
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"


# ---------------------------------------------------------------------- --against


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is needed for the --against tests")
    r = tmp_path / "repo"
    (r / "interfaces").mkdir(parents=True)
    _git(r, "init", "-q", "-b", "main")
    base = compat_base("X")
    (r / "interfaces" / "com.example.Sample1.xml").write_text(base)
    (r / "interfaces" / "com.example.Other1.xml").write_text(
        _doc('<method name="Ping"/>').replace("Sample1", "Other1")
    )
    _git(r, "add", ".")
    _git(r, "commit", "-q", "-m", "v1")
    _git(r, "tag", "v1.0")
    # v1.1: a compatible addition
    (r / "interfaces" / "com.example.Sample1.xml").write_text(
        base.replace("    </method>\n", '    </method>\n    <method name="Reset"/>\n', 1)
    )
    _git(r, "commit", "-q", "-am", "v1.1")
    _git(r, "tag", "v1.1")
    # a branch that breaks the API
    _git(r, "checkout", "-q", "-b", "breaking")
    v11 = (r / "interfaces" / "com.example.Sample1.xml").read_text()
    (r / "interfaces" / "com.example.Sample1.xml").write_text(
        v11.replace('type="u" direction="out"', 'type="t" direction="out"')
    )
    _git(r, "commit", "-q", "-am", "breaking")
    _git(r, "checkout", "-q", "main")
    return r


def _in(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.chdir(repo)
    return run(*args)


def test_against_tags(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _in(repo, monkeypatch, "--against", "v1.1", "interfaces/")
    assert result.exit_code == 0 and "0 backwards-incompatible" in result.stdout
    result = _in(repo, monkeypatch, "--against", "v1.0", "interfaces/")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        "interfaces/com.example.Sample1.xml:7:5: info: method com.example.Sample1.Reset added "
        "[COMPAT-F002]"
    )
    # the working tree goes back: Reset is removed, positioned in the old version from git
    (repo / "interfaces" / "com.example.Sample1.xml").write_text(compat_base("X"))
    result = _in(repo, monkeypatch, "--against", "v1.1", "interfaces/com.example.Sample1.xml")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "v1.1:interfaces/com.example.Sample1.xml:7:5: error: method com.example.Sample1.Reset "
        "removed [COMPAT-B002]"
    )


def test_against_ci_formats_put_removals_in_the_checkout(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "interfaces" / "com.example.Sample1.xml").write_text(compat_base("X"))
    result = _in(repo, monkeypatch, "--against", "v1.1", "--format", "github", "interfaces/")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=interfaces/com.example.Sample1.xml,line=2,col=3,title=COMPAT-B002::"
        "method com.example.Sample1.Reset removed (at v1.1:interfaces/com.example.Sample1.xml:7:5)"
    ]
    log = json.loads(
        _in(repo, monkeypatch, "--against", "v1.1", "--format", "sarif", "interfaces/").stdout
    )
    (res,) = log["runs"][0]["results"]
    where = res["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "interfaces/com.example.Sample1.xml"
    assert where["region"]["startLine"] == 2
    # text and JSON keep the removal where it was, in the old version
    text = _in(repo, monkeypatch, "--against", "v1.1", "interfaces/").stdout
    assert text.startswith("v1.1:interfaces/com.example.Sample1.xml:7:5: error:")


def _hook_entry() -> list[str]:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    block = text.split("- id: qdbusgen-diff\n", 1)[1].split("\n- id:", 1)[0]
    entry = re.search(r"^  entry: (.*)$", block, re.M)
    assert entry is not None and re.search(r"^  files: \\\.xml\$$", block, re.M)
    return shlex.split(entry.group(1))


def test_pre_commit_hook(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What pre-commit runs: the hook's entry, its args, then the staged file names."""
    entry = _hook_entry()
    assert entry[:2] == ["qdbusgen", "diff"]
    target = repo / "interfaces" / "com.example.Sample1.xml"
    target.write_text(target.read_text().replace('name="Reset"', 'name="Restart"'))
    _git(repo, "add", "-A")
    files = ["interfaces/com.example.Sample1.xml"]
    result = _in(repo, monkeypatch, *entry[2:], *files)
    assert result.exit_code == 1 and "Reset removed [COMPAT-B002]" in result.stdout
    # args: [--against, v1.0] on top of the entry: the last --against wins
    result = _in(repo, monkeypatch, *entry[2:], "--against", "v1.0", *files)
    assert result.exit_code == 0 and "Restart added [COMPAT-F002]" in result.stdout


def test_against_branch(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _git(repo, "checkout", "-q", "breaking")
    result = _in(repo, monkeypatch, "--against", "main", "--format", "json", "interfaces")
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["rule"], finding["file"], finding["line"], finding["column"]) == (
        "COMPAT-B007",
        "interfaces/com.example.Sample1.xml",
        5,
        7,
    )
    assert json.loads(result.stdout)["summary"]["files"] == 4


def test_against_removed_and_added_files(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _git(repo, "rm", "-q", "interfaces/com.example.Other1.xml")
    (repo / "interfaces" / "com.example.New1.xml").write_text(
        _doc('<method name="Ping"/>').replace("Sample1", "New1")
    )
    result = _in(repo, monkeypatch, "--against", "v1.1", "interfaces/")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "interfaces/com.example.New1.xml:2:3: info: interface com.example.New1 added [COMPAT-F001]"
    )
    assert lines[1].startswith(
        "v1.1:interfaces/com.example.Other1.xml:2:3: error: interface com.example.Other1 removed"
    )
    # the removed file named on its own: everything in it is removed
    result = _in(repo, monkeypatch, "--against", "v1.1", "interfaces/com.example.Other1.xml")
    assert result.exit_code == 1 and "[COMPAT-B001]" in result.stdout
    # a file on neither side, an unknown revision, a path outside any repository: exit 2
    assert _in(repo, monkeypatch, "--against", "v1.1", "nothing.xml").exit_code == 2
    bad = _in(repo, monkeypatch, "--against", "v9.9", "interfaces/")
    assert bad.exit_code == 2 and "unknown revision 'v9.9'" in bad.output
    outside = repo.parent / "outside"
    outside.mkdir()
    (outside / "a.xml").write_text(compat_base("X"))
    result = _in(repo, monkeypatch, "--against", "HEAD", str(outside / "a.xml"))
    assert result.exit_code == 2 and "not inside a git repository" in result.output


def test_against_broken_old_version_exits_2(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "interfaces" / "com.example.Other1.xml").write_text("<node>")
    _git(repo, "commit", "-q", "-am", "broken")
    (repo / "interfaces" / "com.example.Other1.xml").write_text(compat_base("X"))
    result = _in(repo, monkeypatch, "--against", "HEAD", "interfaces/")
    assert result.exit_code == 2
    assert "HEAD:interfaces/com.example.Other1.xml:" in result.stdout


# ---------------------------------------------------------------------- real data


def test_qemu_display_two_versions() -> None:
    from conftest import CORPUS, UPSTREAM_QEMU, require_shared

    old = require_shared(CORPUS / "qemu" / "dbus-display1.xml")
    new = require_shared(UPSTREAM_QEMU / "ui" / "dbus-display1.xml")
    from qdbusgen.api import parse_defines

    linux = diff_paths([old], [new], defines=parse_defines(["HOST_OS=linux"]))
    assert sorted((d.rule, d.location.line) for d in linux.findings if d.location) == [
        ("COMPAT-B001", 479),
        ("COMPAT-F001", 480),
        ("COMPAT-F001", 625),
        ("COMPAT-F004", 829),
    ]
    windows = diff_paths([old], [new], defines=parse_defines(["HOST_OS=windows"]))
    assert [(d.rule, d.location.line) for d in windows.findings if d.location] == [
        ("COMPAT-F004", 829)
    ]


@pytest.fixture(scope="module")
def corpus_documents() -> tuple[Path, tuple[Document, ...]]:
    """Every loadable corpus file, with HOST_OS=linux (loaded once for the tests below)."""
    from conftest import CORPUS, require_shared

    from qdbusgen import api

    corpus = require_shared(CORPUS)
    files = sorted(str(p) for p in corpus.rglob("*.xml"))
    return corpus, api.load(files, defines=api.parse_defines(["HOST_OS=linux"])).documents


def test_corpus_interfaces_in_two_files(
    corpus_documents: tuple[Path, tuple[Document, ...]],
) -> None:
    """docs/compat-findings.md: every interface the corpus declares in several files."""
    from qdbusgen.compat import compare_interface

    corpus, documents = corpus_documents
    by_name: dict[str, list[tuple[str, Interface]]] = {}
    for document in documents:
        for interface in document.interfaces:
            by_name.setdefault(interface.name, []).append((document.path, interface))
    found = {}
    for name, items in by_name.items():
        if len(items) < 2:
            continue
        first_path, first = items[0]
        for path, other in items[1:]:
            diags = compare_interface(first, other)
            key = (
                name,
                Path(first_path).relative_to(corpus).as_posix(),
                Path(path).relative_to(corpus).as_posix(),
            )
            found[key] = sorted((d.rule, d.location.line) for d in diags if d.location is not None)
    assert found == {
        (
            "org.kde.JobViewV2",
            "libkf5jobwidgets-dev/kf5_org.kde.JobView.xml",
            "libkf5jobwidgets-dev/kf5_org.kde.JobViewV2.xml",
        ): [("COMPAT-B002", 49)],
        (
            "org.freedesktop.FileManager1",
            "dolphin-dev/org.freedesktop.FileManager1.xml",
            "peony-common/freedesktop-dbus-interfaces.xml",
        ): [
            ("COMPAT-B002", 16),
            ("COMPAT-I001", 24),
            ("COMPAT-I001", 25),
            ("COMPAT-I001", 28),
            ("COMPAT-I001", 29),
            ("COMPAT-I001", 32),
            ("COMPAT-I001", 33),
        ],
        (
            "org.freedesktop.DBus.Introspectable",
            "bluemon/bluemon-dbus.xml",
            "pinot/pinot-dbus-daemon.xml",
        ): [("COMPAT-I001", 5)],
        (
            "org.freedesktop.DBus.Introspectable",
            "bluemon/bluemon-dbus.xml",
            "python3-jeepney/secrets_introspect.xml",
        ): [("COMPAT-I001", 28)],
        (
            "org.gnome.Shell.SearchProvider2",
            "gnome-shell-common/org.gnome.ShellSearchProvider2.xml",
            "pinot/pinot-dbus-daemon.xml",
        ): [],
    }


def test_every_corpus_file_equals_itself_and_diffs_without_crash(
    corpus_documents: tuple[Path, tuple[Document, ...]],
) -> None:
    documents = corpus_documents[1]
    assert len(documents) > 250
    for document in documents:
        assert compare([document], [document]) == [], document.path
    for a, b in zip(documents, documents[1:]):
        for d in compare([a], [b]):
            assert d.rule in COMPAT_RULES and d.location is not None


def test_lint_output_knows_no_compat_rule(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(compat_base("X"))
    log = json.loads(CliRunner().invoke(cli, ["lint", "--format", "sarif", "a.xml"]).stdout)
    table = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert "GUIDE-W140" in table and not any(t.startswith("COMPAT-") for t in table)


def test_per_file_config_matches_removals_from_git_by_their_path(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "pyproject.toml").write_text(
        "[[tool.qdbusgen.diff.per_file]]\n"
        'paths = ["interfaces/com.example.Other1.xml"]\n'
        'severity = { "COMPAT-B001" = "warning" }\n'
    )
    _git(repo, "rm", "-q", "interfaces/com.example.Other1.xml")
    result = _in(repo, monkeypatch, "--against", "v1.1", "interfaces/")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "v1.1:interfaces/com.example.Other1.xml:2:3: warning: interface com.example.Other1 removed"
    )


def test_against_removed_directory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _git(repo, "rm", "-q", "-r", "interfaces")
    result = _in(repo, monkeypatch, "--against", "v1.1", "--format", "json", "interfaces")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert sorted((f["rule"], f["file"]) for f in payload["findings"]) == [
        ("COMPAT-B001", "v1.1:interfaces/com.example.Other1.xml"),
        ("COMPAT-B001", "v1.1:interfaces/com.example.Sample1.xml"),
    ]


def test_subprocess_entry_point(tmp_path: Path) -> None:
    import sys

    old, new = _copy("COMPAT-B009", "bad", tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "qdbusgen", "diff", old, new],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith(
        "new/sample.xml:10:5: error: property com.example.Sample1.Status changed type "
        "from 'u' to 's' [COMPAT-B009]"
    )
    assert proc.stderr == ""


def test_rule_table_follows_the_catalog() -> None:
    """Ids, severities, titles, rationale, detection, dbus-deviation codes and example diffs
    of group C are the catalog's, word for word."""
    from conftest import SHARED, require_shared

    text = require_shared(SHARED / "docs" / "lint-rules.md").read_text(encoding="utf-8")
    section = text[text.index("### COMPAT-B001") : text.index("## D. Reference notes")]
    parts = re.split(r"^### (COMPAT-\w+) — (.*)$", section, flags=re.M)
    seen = []
    for i in range(1, len(parts), 3):
        rule_id, title, body = parts[i], parts[i + 1].strip(), parts[i + 2]
        rule = RULES[rule_id]
        seen.append(rule_id)
        head = re.search(r"\*\*Severity:\*\* (\w+) · \*\*dbus-deviation code:\*\* `([^`]*)`", body)
        assert head is not None
        assert rule.severity.label == head.group(1) and rule.title == title
        assert rule.source == f'dbus-deviation "{head.group(2)}"'
        assert f"**Why:** {rule.rationale}\n" in body and f"**Detect:** {rule.detection}\n" in body
        assert rule.bad is not None and rule.good is not None
        assert f"(old → new diff):**\n```diff\n{rule.bad.text}```" in body
        assert f"**Does not trigger (old → new diff):**\n```diff\n{rule.good.text}```" in body
    assert seen == list(COMPAT_RULES)
    base = re.search(r"Fixture base .*?```xml\n(.*?)```", text, re.S)
    assert base is not None and base.group(1) == compat_base("COMPAT-B001")
