"""One table per fact (issue 15): standard interfaces, severities, snake_case."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from qdbusgen import model
from qdbusgen.lint import guide, lint, rules
from qdbusgen.lint.rules import COMPAT_UNCHANGED, RULES
from qdbusgen.naming import snake_case
from qdbusgen.parser import parse_bytes
from qdbusgen.resources import runtime_source
from build_support import qdbusgen_wheel

__all__ = ["qdbusgen_wheel"]  # the session fixture (one wheel for every build test)

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "qdbusgen").rglob("*.py"))


def _runtime_interfaces() -> set[str]:
    """The standard interfaces the runtime names in its ``*_IFACE`` constants."""
    tree = ast.parse(runtime_source())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        else:
            continue
        if target.endswith("_IFACE") and isinstance(value, ast.Constant):
            found.add(str(value.value))
    return found


def test_standard_interfaces_are_one_table() -> None:
    table = model.STANDARD_INTERFACES
    assert model.RUNTIME_PROVIDED == {n for n, runtime in table.items() if runtime}
    assert all(model.is_standard_interface(n) for n in table)
    assert rules.is_standard_interface is model.is_standard_interface
    # the runtime (copied into every generated package, so it keeps its own constants)
    # names exactly the interfaces the table says it provides (Local: the reserved
    # interface its inbound boundary refuses from peers)
    assert _runtime_interfaces() == model.RUNTIME_PROVIDED
    assert not hasattr(guide, "KNOWN_STANDARD") and not hasattr(rules, "STANDARD_PREFIX")


def test_no_second_list_of_standard_interfaces() -> None:
    """Outside model.py no module spells a standard interface name as a string of its own
    (rule texts and their examples, which quote them in prose and XML, aside): no module
    keeps a list of them besides model.STANDARD_INTERFACES."""
    prose = {"model.py", "rules.py", "_examples.py"}
    for path in SOURCES:
        if path.name in prose:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        spelled = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in model.STANDARD_INTERFACES
            # also the bus driver's bus name (policy.BUS_DRIVER), a fact of its own
            and node.value != model.IFACE_BUS
        ]
        assert not spelled, (path, spelled)


def test_report_sites_take_their_severity_from_the_rule_table() -> None:
    """No report site in the parser or the validator passes a severity by hand."""
    for rel in ("qdbusgen/parser.py", "qdbusgen/validate.py"):
        text = (ROOT / rel).read_text(encoding="utf-8")
        assert "Severity." not in text, rel


def test_severity_exceptions_are_written_in_the_table() -> None:
    rule = RULES["DBUS-E001"]
    assert rule.severity_for() is model_severity("ERROR")
    assert rule.severity_for("root-interface") is model_severity("WARNING")
    result = parse_bytes(b'<interface name="com.example.Demo1"/>', "x.xml")
    (d,) = [d for d in result.diagnostics if d.rule == "DBUS-E001"]
    assert d.severity is rule.severity_for("root-interface")
    # every other parser finding is at the table's severity
    bad = parse_bytes(
        b'<node><interface name="a.b" bogus="1"><frob/><method/></interface></node>', "y.xml"
    )
    assert bad.diagnostics
    assert all(d.severity is RULES[d.rule].severity for d in bad.diagnostics)


def model_severity(name: str) -> object:
    from qdbusgen.diagnostics import Severity

    return Severity[name]


def test_guide_suggests_the_generators_snake_case(tmp_path: Path) -> None:
    path = tmp_path / "com.example.Display1.xml"
    path.write_text(
        '<node><interface name="com.example.Display1">'
        '<method name="List"><arg name="ConsoleIDs" type="au" direction="out"/></method>'
        "</interface></node>",
        encoding="utf-8",
    )
    (finding,) = [d for d in lint([str(path)]).findings if d.rule == "GUIDE-W154"]
    assert f"(e.g. {snake_case('ConsoleIDs')!r})" in finding.message
    assert "'console_ids'" in finding.message
    assert not hasattr(guide, "_snake")


def test_rule_examples_are_data_files_in_the_wheel(qdbusgen_wheel: Path) -> None:
    """--explain, SARIF help and docs/rules/ read qdbusgen/lint/examples/ through RULES;
    the installed package carries them."""
    with zipfile.ZipFile(qdbusgen_wheel) as wheel:
        packaged = {n.rsplit("/", 1)[1] for n in wheel.namelist() if "/lint/examples/" in n}
    shipped = {p.name for p in (ROOT / "qdbusgen" / "lint" / "examples").glob("*.xml")}
    assert shipped and packaged == shipped
    with_examples = [r for r in RULES.values() if r.bad is not None and r.bad.language == "xml"]
    # group C: the new versions of the old one; a good example that leaves it as it is has none
    compat = [r for r in RULES.values() if r.group == "C"]
    assert {f"{r.id}_bad.xml" for r in with_examples + compat} | {
        f"{r.id}_good.xml" for r in with_examples
    } | {
        f"{r.id}_good.xml" for r in compat if r.good and r.good.text != COMPAT_UNCHANGED
    } == shipped
    assert not (ROOT / "qdbusgen" / "lint" / "_examples.py").exists()
    assert not (ROOT / "tests" / "fixtures" / "rules").exists()
    assert not (ROOT / "tests" / "fixtures" / "guide").exists()
    assert not (ROOT / "tests" / "fixtures" / "compat").exists()
