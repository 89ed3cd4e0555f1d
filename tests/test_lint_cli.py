"""``qdbusgen lint``: configuration, suppressions, output formats, exit codes, --explain,
the generated rule pages, the corpus and the bundled interfaces."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from qdbusgen.cli import cli
from qdbusgen.lint import LintConfig, lint
from qdbusgen.lint.config import ConfigError, load_config
from qdbusgen.lint.output import format_github

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

#: Clean apart from what the tests add: documented, versioned, well named.
CLEAN = """\
<node>
  <!--
      com.example.Sample1:

      A sample.
  -->
  <interface name="com.example.Sample1">
    <!--
        Ping:
        @token: what to send back.

        Checks the service.
    -->
    <method name="Ping">
      <arg name="token" type="u" direction="in"/>
    </method>
  </interface>
</node>
"""

#: GUIDE-W140 (getter, warning, line 14) and GUIDE-I125 (bare variant, info, line 15).
# GetEnabled carries its own Python name: beside property Enabled, `get_enabled` would be
# claimed twice (NAME-E001, which lint reports too).
GETTER = """\
<node>
  <!--
      com.example.Sample1:

      A sample.
  -->
  <interface name="com.example.Sample1">
    <!--
        GetEnabled:
        @enabled: whether it is on.

        Reads the switch.
    -->
    <method name="GetEnabled"><annotation name="org.qdbusgen.Python.Name" value="read_enabled"/>
      <arg name="enabled" type="v" direction="out"/>
    </method>
    <!--
        Enabled:

        The switch.
    -->
    <property name="Enabled" type="b" access="read"/>
  </interface>
</node>
"""


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No pyproject.toml of the repository leaks into these tests."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["lint", *args], catch_exceptions=False)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path.relative_to(tmp_path))


def rules_in(output: str) -> list[str]:
    return re.findall(r"\[([A-Z]+-[A-Z]\d+)\]$", output, re.MULTILINE)


# ---------------------------------------------------------------------- text and exit codes


def test_clean_file_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", CLEAN)
    result = run(path)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 file checked: 0 error(s), 0 warning(s), 0 info(s)"


def test_text_format_is_compiler_style(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    result = run(path)
    lines = result.stdout.splitlines()
    assert (
        f"{path}:14:5: warning: method 'GetEnabled' is a getter (property 'Enabled' exists); declare a property 'Enabled' (read through org.freedesktop.DBus.Properties) [GUIDE-W140]"
        in lines
    )
    assert any(
        line.startswith(f"{path}:15:7: info: ") and line.endswith("[GUIDE-I125]") for line in lines
    )
    assert lines[-1] == "1 file checked: 0 error(s), 1 warning(s), 1 info(s)"
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    assert result.exit_code == 0  # default --fail-on error


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("info", 1)])
def test_fail_on(tmp_path: Path, fail_on: str, code: int) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    assert run("--fail-on", fail_on, path).exit_code == code


def test_fail_on_info_with_only_infos(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    assert run("--ignore", "GUIDE-W140", "--fail-on", "warning", path).exit_code == 0
    assert run("--ignore", "GUIDE-W140", "--fail-on", "info", path).exit_code == 1


def test_error_finding_exits_1(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.xml",
        '<node><interface name="Bad"><method name="Ping"/></interface></node>\n',
    )
    result = run(path)
    assert result.exit_code == 1
    assert "DBUS-E010" in rules_in(result.stdout)


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.xml", "<node><interface></node>\n")
    result = run(path, "missing.xml")
    assert result.exit_code == 2
    assert "XML-E001" in result.stdout and "XML-E005" in result.stdout
    # input errors cannot be configured away
    assert run("--ignore", "XML", path).exit_code == 2


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", CLEAN)
    assert run().exit_code == 2
    assert run("--select", "NOPE-X1", path).exit_code == 2
    assert run("--severity", "GUIDE-W140=fatal", path).exit_code == 2
    assert run("--severity", "GUIDE-W140", path).exit_code == 2
    assert run("--format", "xml", path).exit_code == 2
    assert run("--config", "nowhere.toml", path).exit_code == 2
    result = run("--explain", "GUIDE-W999")
    assert result.exit_code == 2 and "unknown rule" in result.stderr


def test_color(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    coloured = run("--color", path).stdout
    assert "\x1b[" in coloured
    assert "\x1b[" not in run("--no-color", path).stdout


def test_subprocess_entry_point(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    proc = subprocess.run(
        [sys.executable, "-m", "qdbusgen", "lint", "--fail-on", "warning", path],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "[GUIDE-W140]" in proc.stdout and "\x1b[" not in proc.stdout


# ---------------------------------------------------------------------- configuration


def test_pyproject_found_by_walking_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """
        [tool.qdbusgen.lint]
        ignore = ["GUIDE-I1"]
        severity = { "GUIDE-W140" = "error" }
        """,
    )
    path = write(tmp_path, "sub/dir/com.example.Sample1.xml", GETTER)
    monkeypatch.chdir(tmp_path / "sub" / "dir")
    result = run("com.example.Sample1.xml")
    assert result.exit_code == 1
    assert "error: method 'GetEnabled'" in result.stdout
    assert rules_in(result.stdout) == ["GUIDE-W140"]
    assert path


def test_pyproject_without_table_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "pyproject.toml", '[tool.qdbusgen.lint]\nignore = ["GUIDE"]\n')
    write(tmp_path, "sub/pyproject.toml", '[project]\nname = "x"\n')
    write(tmp_path, "sub/com.example.Sample1.xml", GETTER)
    monkeypatch.chdir(tmp_path / "sub")
    assert rules_in(run("com.example.Sample1.xml").stdout) == []


def test_file_outside_this_project_gets_defaults_from_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from this repository's root (whose pyproject.toml owns org.qemu), a file in a
    temporary directory is configured by its own location: no project, so the defaults."""
    xml = CLEAN.replace("com.example.Sample1", "org.qemu.Sample1")
    outside = tmp_path / "elsewhere" / "org.qemu.Sample1.xml"
    outside.parent.mkdir()
    outside.write_text(xml, encoding="utf-8")
    assert not any((d / "pyproject.toml").exists() for d in outside.parents)
    monkeypatch.chdir(ROOT)
    assert rules_in(run(str(outside)).stdout) == ["GUIDE-W162"]
    # this repository's own file, in the same run, still gets this repository's settings
    own = "interfaces/org.qemu.VMState1.xml"
    result = run(own, str(outside))
    assert f"{outside}:" in result.stdout and "GUIDE-W162" in result.stdout
    assert f"{own}:" not in result.stdout
    # --config still wins, for every input
    assert rules_in(run("--config", "pyproject.toml", str(outside)).stdout) == []


def test_inputs_from_several_projects_each_get_their_own(tmp_path: Path) -> None:
    write(tmp_path, "a/pyproject.toml", '[tool.qdbusgen.lint]\nfail_on = "info"\n')
    write(tmp_path, "b/pyproject.toml", '[tool.qdbusgen.lint]\nignore = ["GUIDE-W140"]\n')
    a = write(tmp_path, "a/xml/com.example.Sample1.xml", GETTER)
    b = write(tmp_path, "b/com.example.Sample1.xml", GETTER)
    result = run(a, b)
    assert f"{a}:14:5: warning:" in result.stdout and f"{b}:14:5" not in result.stdout
    assert result.exit_code == 1  # a's fail_on = "info"
    assert run(b).exit_code == 0
    write(tmp_path, "b/pyproject.toml", "[tool.qdbusgen.lint]\nfail-on = 1\n")
    result = run(a, b)
    assert (
        result.exit_code == 2 and "fail-on" in result.stderr and "b/pyproject.toml" in result.stderr
    )


def test_config_file_option_and_cli_overrides(tmp_path: Path) -> None:
    cfg = write(
        tmp_path, "lint.toml", 'select = ["GUIDE-W"]\nseverity = { "GUIDE-W140" = "info" }\n'
    )
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    result = run("--config", cfg, path)
    assert rules_in(result.stdout) == ["GUIDE-W140"]
    assert ": info: method 'GetEnabled'" in result.stdout
    # --severity overrides the file, --select replaces its selection
    result = run(
        "--config", cfg, "--severity", "GUIDE-W140=error", "--select", "GUIDE-I125,GUIDE-W140", path
    )
    assert sorted(rules_in(result.stdout)) == ["GUIDE-I125", "GUIDE-W140"]
    assert result.exit_code == 1


def test_select_and_ignore_prefixes_most_specific_wins() -> None:
    cfg = LintConfig(select=("GUIDE",), ignore=("GUIDE-I1",))
    assert (
        cfg.enabled("GUIDE-W140") and not cfg.enabled("GUIDE-I125") and not cfg.enabled("DBUS-E010")
    )
    cfg = LintConfig(ignore=("GUIDE",), select=("GUIDE-W170",))
    assert (
        cfg.enabled("GUIDE-W170") and not cfg.enabled("GUIDE-I171") and not cfg.enabled("DBUS-W001")
    )
    cfg = LintConfig(ignore=("GUIDE",), select=("ALL", "GUIDE-W170"))
    assert cfg.enabled("GUIDE-W170") and not cfg.enabled("GUIDE-I171") and cfg.enabled("DBUS-W001")
    assert LintConfig(ignore=("DBUS-W",)).enabled("DBUS-E010")


@pytest.mark.parametrize(
    "toml",
    [
        "selekt = []\n",
        'select = ["GUIDE-X1"]\n',
        'ignore = "GUIDE"\n',
        'severity = { "GUIDE-W140" = "fatal" }\n',
        'severity = { "NOPE" = "error" }\n',
        "interface_file_rules = 1\n",
        'owned_prefixes = ["org..qemu"]\n',
        '[[per_file]]\nignore = ["GUIDE"]\n',
        '[[per_file]]\npaths = ["*.xml"]\ncolour = true\n',
        "not toml at all [\n",
    ],
)
def test_bad_config_is_a_usage_error(tmp_path: Path, toml: str) -> None:
    cfg = write(tmp_path, "lint.toml", toml)
    path = write(tmp_path, "com.example.Sample1.xml", CLEAN)
    with pytest.raises(ConfigError):
        load_config(tmp_path / cfg)
    result = run("--config", cfg, path)
    assert result.exit_code == 2
    assert result.stderr.startswith("qdbusgen lint: error: ")


def test_unknown_key_in_pyproject_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.qdbusgen.lint]\nowned_prefix = []\n")
    path = write(tmp_path, "com.example.Sample1.xml", CLEAN)
    result = run(path)
    assert result.exit_code == 2 and "owned_prefix" in result.stderr


def test_per_file_overrides(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """
        [tool.qdbusgen.lint]
        [[tool.qdbusgen.lint.per_file]]
        paths = ["legacy/*.xml"]
        ignore = ["GUIDE-W140"]
        severity = { "GUIDE-I125" = "warning" }
        interface_file_rules = false
        """,
    )
    legacy = write(tmp_path, "legacy/old.xml", GETTER)
    current = write(tmp_path, "com.example.Sample1.xml", GETTER)
    result = run(legacy, current)
    out = result.stdout
    assert f"{legacy}:15:7: warning:" in out and "GUIDE-I102" not in out.split(current)[0]
    assert f"{legacy}:14:5" not in out
    assert f"{current}:14:5: warning:" in out and f"{current}:15:7: info:" in out


def test_owned_prefix_and_interface_file_switch(tmp_path: Path) -> None:
    xml = CLEAN.replace("com.example.Sample1", "org.qemu.Sample1")
    path = write(tmp_path, "dump.xml", xml)
    assert sorted(rules_in(run(path).stdout)) == ["GUIDE-I102", "GUIDE-W162"]
    assert (
        rules_in(run("--owned-prefix", "org.qemu", "--no-interface-file-rules", path).stdout) == []
    )
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.qdbusgen.lint]\nowned_prefixes = ["org.qemu"]\ninterface_file_rules = false\n',
    )
    assert rules_in(run(path).stdout) == []
    assert rules_in(run("--interface-file-rules", path).stdout) == ["GUIDE-I102"]


# ---------------------------------------------------------------------- suppressions


def test_suppression_annotation_applies_to_element_and_children(tmp_path: Path) -> None:
    xml = GETTER.replace(
        '<method name="GetEnabled">',
        '<method name="GetEnabled">\n      <annotation name="org.qdbusgen.Lint.Suppress" value="GUIDE-W140 GUIDE-I125"/>',
    )
    path = write(tmp_path, "com.example.Sample1.xml", xml)
    result = run("--fail-on", "info", path)
    assert rules_in(result.stdout) == []
    assert result.exit_code == 0
    assert "2 suppressed" in result.stdout


def test_suppression_on_node_does_not_trigger_w003(tmp_path: Path) -> None:
    xml = GETTER.replace(
        "<node>\n",
        '<node>\n  <annotation name="org.qdbusgen.Lint.Suppress" value="GUIDE-W140"/>\n',
        1,
    )
    path = write(tmp_path, "com.example.Sample1.xml", xml)
    assert rules_in(run(path).stdout) == ["GUIDE-I125"]


def test_repeated_suppression_annotations_do_not_trigger_w009(tmp_path: Path) -> None:
    xml = GETTER.replace(
        '<method name="GetEnabled">',
        '<method name="GetEnabled">\n      <annotation name="org.qdbusgen.Lint.Suppress" value="GUIDE-W140"/>'
        '\n      <annotation name="org.qdbusgen.Lint.Suppress" value="GUIDE-I125"/>',
    )
    path = write(tmp_path, "com.example.Sample1.xml", xml)
    assert rules_in(run(path).stdout) == []


def test_suppression_comment_before_element(tmp_path: Path) -> None:
    xml = GETTER.replace(
        "    <!--\n        GetEnabled:",
        "    <!-- qdbusgen: ignore GUIDE-W140; kept for old clients -->\n    <!--\n        GetEnabled:",
    )
    path = write(tmp_path, "com.example.Sample1.xml", xml)
    assert rules_in(run(path).stdout) == ["GUIDE-I125"]
    # the gtk-doc comment still documents the method: the suppression comment sits before it
    assert "GUIDE-W170" not in run(path).stdout


def test_unused_and_unknown_suppressions_are_reported(tmp_path: Path) -> None:
    xml = CLEAN.replace(
        '<method name="Ping">',
        '<method name="Ping">\n      <annotation name="org.qdbusgen.Lint.Suppress" value="GUIDE-W140 GUIDE-W999"/>',
    ).replace("  </interface>", "    <!-- qdbusgen: ignore GUIDE-I125 -->\n  </interface>")
    path = write(tmp_path, "com.example.Sample1.xml", xml)
    result = run("--fail-on", "warning", path)
    lines = [line for line in result.stdout.splitlines() if line.endswith("[LINT-W001]")]
    assert len(lines) == 3, result.stdout
    assert any("for GUIDE-W140 matches no finding on <method 'Ping'>" in line for line in lines)
    assert any("unknown rule 'GUIDE-W999'" in line for line in lines)
    assert any("not directly followed by an element" in line for line in lines)
    assert result.exit_code == 1
    assert run("--ignore", "LINT", "--fail-on", "warning", path).exit_code == 0


def test_suppression_with_prefix_and_rule_still_found_when_ignored(tmp_path: Path) -> None:
    # a suppression of a rule that the configuration switches off is still "used"
    xml = GETTER.replace(
        '<method name="GetEnabled">',
        '<method name="GetEnabled">\n      <annotation name="org.qdbusgen.Lint.Suppress" value="GUIDE-W14"/>',
    )
    path = write(tmp_path, "com.example.Sample1.xml", xml)
    assert rules_in(run("--ignore", "GUIDE-W140", path).stdout) == ["GUIDE-I125"]


# ---------------------------------------------------------------------- machine formats


def test_json_format(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    result = run("--format", "json", path)
    data = json.loads(result.stdout)
    assert data["summary"] == {
        "files": 1,
        "error": 0,
        "warning": 1,
        "info": 1,
        "suppressed": 0,
        "unusable": [],
    }
    first = data["findings"][0]
    assert first["rule"] == "GUIDE-W140" and first["severity"] == "warning"
    assert (first["file"], first["line"], first["column"]) == (path, 14, 5)
    assert first["help"] == "docs/rules/GUIDE-W140.md"
    assert "1 warning(s)" in result.stderr  # summary on stderr for machine formats


def test_sarif_validates_against_schema(tmp_path: Path) -> None:
    # tests/data/sarif-schema-2.1.0.json is the SARIF 2.1.0 schema as Microsoft's SARIF SDK
    # publishes it (sarif-2.1.0-rtm.5.json, the text approved as the OASIS 2.1.0 standard,
    # copied unchanged from the npm package @microsoft/jest-sarif 1.0.0-beta.0).
    path = write(tmp_path, "dir with space/com.example.Sample1.xml", GETTER)
    bad = write(
        tmp_path, "bad.xml", '<node><interface name="Bad"/><interface name="Bad"/></node>\n'
    )
    result = run("--format", "sarif", path, bad)
    log = json.loads(result.stdout)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    assert log["version"] == "2.1.0"
    run_ = log["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert rules["GUIDE-W140"]["helpUri"] == "docs/rules/GUIDE-W140.md"
    assert (
        rules["GUIDE-W140"]["shortDescription"]["text"]
        == "Getter/setter method instead of a property"
    )
    levels = {r["ruleId"]: r["level"] for r in run_["results"]}
    assert (
        levels["GUIDE-W140"] == "warning"
        and levels["GUIDE-I125"] == "note"
        and levels["DBUS-E008"] == "error"
    )
    w140 = next(r for r in run_["results"] if r["ruleId"] == "GUIDE-W140")
    loc = w140["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "dir%20with%20space/com.example.Sample1.xml"
    assert loc["region"] == {"startLine": 14, "startColumn": 5}
    assert list(rules)[w140["ruleIndex"]] == "GUIDE-W140"
    assert result.exit_code == 1 and "error(s)" in result.stderr


def test_github_annotations_and_escaping(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    result = run("--format", "github", path)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"::warning file={path},line=14,col=5,title=GUIDE-W140::method 'GetEnabled' is a getter"
    )
    assert lines[1].startswith(f"::notice file={path},line=15,col=7,title=GUIDE-I125::")
    from qdbusgen.diagnostics import Diagnostic, Severity
    from qdbusgen.model import Location

    d = Diagnostic(
        "GUIDE-W140", Severity.ERROR, "50% done\r\nnext, line", Location("a,b:c.xml", 1, 2)
    )
    assert (
        format_github([d])
        == "::error file=a%2Cb%3Ac.xml,line=1,col=2,title=GUIDE-W140::50%25 done%0D%0Anext, line"
    )


def test_output_file(tmp_path: Path) -> None:
    path = write(tmp_path, "com.example.Sample1.xml", GETTER)
    result = run("--format", "sarif", "-o", "out.sarif", path)
    assert result.stdout == ""
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"


# ---------------------------------------------------------------------- --explain, docs


def test_explain() -> None:
    result = run("--explain", "GUIDE-W140")
    assert result.exit_code == 0
    out = result.stdout
    for part in (
        "GUIDE-W140: Getter/setter method instead of a property",
        "Why:",
        "How it is detected:",
        "Bad example:",
        "Good example:",
        '<method name="GetName">',
        '<property name="Name"',
    ):
        assert part in out
    assert "Reference: docs/rules/GUIDE-W140.md" in out


def test_every_rule_can_be_explained() -> None:
    from qdbusgen.lint.rules import RULES

    for rule_id, rule in RULES.items():
        if rule.group in ("A", "B"):
            assert rule.bad is not None and rule.good is not None, rule_id
            assert rule.rationale and rule.detection and rule.source, rule_id
        assert run("--explain", rule_id).exit_code == 0


def test_list_rules() -> None:
    out = run("--list-rules").stdout
    assert "GUIDE-W140  warning  Getter/setter method instead of a property" in out
    assert len(out.splitlines()) >= 80


def test_rule_docs_are_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_rule_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, "run python3 scripts/gen_rule_docs.py:\n" + proc.stderr


def test_corpus_findings_doc_is_up_to_date() -> None:
    from conftest import CORPUS, require_shared

    require_shared(CORPUS)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "corpus_findings.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, (
        "run python3 scripts/corpus_findings.py:\n" + proc.stderr + proc.stdout
    )


# ---------------------------------------------------------------------- real inputs


def test_whole_corpus_without_crash_in_seconds() -> None:
    from conftest import CORPUS, require_shared

    files = sorted(require_shared(CORPUS).rglob("*.xml"))
    assert len(files) > 200
    start = time.monotonic()
    result = lint(files, LintConfig())
    elapsed = time.monotonic() - start
    assert elapsed < 20, f"linting the corpus took {elapsed:.1f}s"
    assert len(result.files) == len(files)
    assert result.findings


def test_bundled_interfaces_lint_clean() -> None:
    interfaces = sorted((ROOT / "interfaces").glob("*.xml"))
    if not interfaces:
        pytest.skip("no bundled interfaces yet")
    config = load_config(ROOT / "pyproject.toml")
    assert config.owned_prefixes == ("org.qemu",)
    for host in ("linux", "windows"):
        result = lint(interfaces, config, defines={"HOST_OS": host})
        assert not result.unusable
        assert [d.format() for d in result.findings if d.severity.label != "info"] == []
