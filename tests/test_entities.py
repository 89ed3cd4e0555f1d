"""Internal entity declarations (UPower, PackageKit and fprintd declare error names as
entities in their DOCTYPE): the files are read, linted and generated; the expansion is
bounded (tests/test_adversarial.py has the hostile cases)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qdbusgen.diagnostics import InputError
from qdbusgen.generate import generate
from qdbusgen.lint import LintConfig, lint
from qdbusgen.parser import MAX_ENTITY_EXPANSION, parse_bytes, parse_file

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "entities"
FILES = sorted(FIXTURES.glob("*.xml"))


def test_there_are_six_kinds_of_entity_file() -> None:
    assert len(FILES) == 6


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_entity_files_lint_without_input_errors(path: Path) -> None:
    result = lint([path], LintConfig())
    assert not result.failed
    assert [d for d in result.findings if d.rule.startswith(("XML-", "DBUS-E"))] == []
    # the linter found the elements again by position (documentation was seen)
    assert not any(d.rule == "GUIDE-W170" for d in result.findings), result.findings


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_entity_files_generate(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    result = generate([path], out)
    assert result.ok, [d.format() for d in result.diagnostics]
    for module in out.glob("*.py"):
        ast.parse(module.read_text(encoding="utf-8"))


def test_entities_are_expanded_in_text_and_attributes() -> None:
    doc = parse_file(FIXTURES / "com.example.Power1.Device.xml").document
    (iface,) = doc.interfaces
    assert "com.example.Power1.Device.GeneralError" in iface.doc.text
    refresh = iface.methods[0]
    assert "fails with com.example.Power1.Device.GeneralError when" in refresh.doc.text
    wakeups = parse_file(FIXTURES / "com.example.Power1.Wakeups.xml").document
    (iface,) = wakeups.interfaces
    assert (
        iface.doc.text
        == "Wakeups of the system; errors are com.example.Power1.Wakeups.GeneralError."
    )


def test_nested_entities_and_character_references() -> None:
    doc = parse_file(FIXTURES / "com.example.Packages1.xml").document
    (iface,) = doc.interfaces
    assert "com.example.Packages1.Denied without" in iface.doc.text
    assert 'com.example.Packages1.NotSupported \u2014 "not here"' in iface.methods[0].doc.text


def test_positions_after_references_are_exact() -> None:
    doc = parse_file(FIXTURES / "com.example.Power1.Wakeups.xml").document
    (iface,) = doc.interfaces
    assert (iface.location.line, iface.location.column) == (7, 3)
    assert (iface.signals[0].location.line, iface.signals[0].location.column) == (13, 5)
    assert (iface.methods[0].args[0].location.line, iface.methods[0].args[0].location.column) == (
        11,
        7,
    )


def test_a_cdata_section_is_not_expanded_and_not_counted() -> None:
    doc = parse_file(FIXTURES / "com.example.Fprint1.Manager.xml").document
    assert "&ERROR_NO_SUCH_DEVICE; is literal here" in doc.interfaces[0].doc.text


def test_utf16_document_with_internal_entities() -> None:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE node [\n <!ENTITY p "/com/example/A1">\n]>\n'
        '<node name="&p;"><interface name="com.example.A1"/></node>\n'
    )
    doc = parse_bytes(text.encode("utf-16"), "a.xml").document
    assert doc.root.name == "/com/example/A1"


def test_expansion_just_under_the_limit_is_read() -> None:
    big = "x" * (MAX_ENTITY_EXPANSION // 4)
    data = (
        f'<!DOCTYPE node [<!ENTITY big "{big}">]>\n'
        '<node><interface name="com.example.A1">'
        '<annotation name="org.gtk.GDBus.DocString" value="&big;&big;&big;&big;"/>'
        "</interface></node>\n"
    ).encode()
    doc = parse_bytes(data, "a.xml").document
    assert len(doc.interfaces[0].doc.text) == MAX_ENTITY_EXPANSION
    with pytest.raises(InputError) as info:
        parse_bytes(data.replace(b"&big;&big;&big;&big;", b"&big;" * 5), "a.xml")
    assert info.value.diagnostic.rule == "XML-E002"
    assert "in total" in info.value.diagnostic.message


def test_entity_declaration_text_in_a_comment_is_harmless() -> None:
    data = b'<node><!-- <!ENTITY x SYSTEM "file:///etc/passwd"> --><interface name="com.example.A1"/></node>'
    assert parse_bytes(data, "a.xml").document.interfaces[0].name == "com.example.A1"
