"""Parse once: lint works from what the parser built (issue 15).

Every input file is read and parsed once per run, and what lint needs beyond the model
(positions, comments, suppressions) comes from that one parse, decoded once whatever the
file's encoding: a UTF-16, UTF-32 or UTF-8-with-BOM copy lints exactly like UTF-8.
"""

from __future__ import annotations

import builtins
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from qdbusgen import parser
from qdbusgen.cli import cli
from qdbusgen.diagnostics import Diagnostic
from qdbusgen.config import GenerateOptions
from qdbusgen.generate import render_files
from qdbusgen.lint import lint

#: Suppressions in both forms (one used, one unused), gtk-doc comments (one naming its
#: element, one not), and characters outside ASCII before elements, so that columns count
#: characters, not bytes.
SOURCE = """<?xml version="1.0" encoding="{encoding}"?>
<node>
  <!--
    com.example.Demo1:
    @short_description: Déjà vu — a demo interface

    Documents the interface, gtk-doc style.
  -->
  <interface name="com.example.Demo1">
    <!--
      Frobnicate:
      @gizmo_id: Which gizmo (naïve).
      @result: What happened.

      Frobnicates a gizmo.
    -->
    <method name="Frobnicate">
      <arg name="gizmo_id" type="s" direction="in"/><!-- ü --><arg name="result" type="s" direction="out"/>
    </method>
    <!-- qdbusgen: ignore GUIDE-W140; the setter predates the property -->
    <method name="SetName"><arg name="name" type="s" direction="in"/></method>
    <!-- qdbusgen: ignore GUIDE-W152 -->
    <method name="Reset"/>
    <!-- Not gtk-doc: this does not name the méthode. -->
    <method name="Eclair"/>
    <property name="Name" type="s" access="read">
      <annotation name="org.qdbusgen.Lint.Suppress" value="GUIDE-W170 GUIDE-W153"/>
    </property>
  </interface>
</node>
"""

ENCODINGS = [
    ("UTF-16", "utf-16"),
    ("UTF-32", "utf-32"),
    ("UTF-8", "utf-8-sig"),
]


def _seen(diagnostics: tuple[Diagnostic, ...]) -> list[tuple[object, ...]]:
    """Findings without the file name (the copies live in other directories)."""
    return [
        (
            d.rule,
            d.severity,
            d.message,
            (d.location.line, d.location.column) if d.location else None,
            (d.related.line, d.related.column) if d.related else None,
        )
        for d in diagnostics
    ]


def _write(tmp_path: Path, folder: str, data: bytes) -> str:
    (tmp_path / folder).mkdir()
    path = tmp_path / folder / "com.example.Demo1.xml"
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("declared,codec", ENCODINGS, ids=["utf-16", "utf-32", "utf-8-bom"])
def test_other_encodings_lint_exactly_like_utf8(tmp_path: Path, declared: str, codec: str) -> None:
    original = _write(tmp_path, "utf8", SOURCE.format(encoding="UTF-8").encode("utf-8"))
    copy = _write(tmp_path, "copy", SOURCE.format(encoding=declared).encode(codec))
    expected = lint([original])
    got = lint([copy])
    assert not expected.failed and not got.failed
    # the original exercises what the copies could lose: used and unused suppressions,
    # gtk-doc documentation, a comment that is not gtk-doc
    rules = Counter(d.rule for d in expected.findings)
    assert rules["LINT-W001"] == 2  # the GUIDE-W152 comment and GUIDE-W153 suppress nothing
    assert {d.rule for d in expected.suppressed} == {"GUIDE-W140", "GUIDE-W170"}
    undocumented = [d for d in expected.findings if d.rule == "GUIDE-W170"]
    # the interface and Frobnicate are documented by their gtk-doc comments
    assert [d.location.line for d in undocumented if d.location] == [21, 23, 25]
    assert "not in gtk-doc form" in undocumented[-1].message
    assert _seen(got.findings) == _seen(expected.findings)
    assert _seen(got.suppressed) == _seen(expected.suppressed)
    doc = got.documents[0]
    assert doc.interfaces[0].doc.summary == "Déjà vu — a demo interface"
    result_arg = doc.interfaces[0].methods[0].args[1]
    assert result_arg.location.line == 18
    assert (
        result_arg.location.column
        == len('      <arg name="gizmo_id" type="s" direction="in"/><!-- ü -->') + 1
    )


def _count_reads(
    monkeypatch: pytest.MonkeyPatch, files: list[str]
) -> tuple[Counter[str], Counter[str]]:
    """Count, per input file, every opening of it (``os.open``, ``open``) and every XML
    parse of its bytes (``lxml.etree.fromstring``), whichever module does them."""
    by_path = {str(Path(f).resolve()): f for f in files}
    by_data = {Path(f).read_bytes(): f for f in files}
    opens: Counter[str] = Counter()
    parses: Counter[str] = Counter()
    os_open, builtin_open, fromstring = os.open, builtins.open, etree.fromstring

    def note_open(path: object) -> None:
        if isinstance(path, (str, os.PathLike)):
            name = by_path.get(str(Path(os.fsdecode(path)).resolve()))
            if name is not None:
                opens[name] += 1

    def counting_os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        note_open(path)
        return os_open(path, *args, **kwargs)

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        note_open(file)
        return builtin_open(file, *args, **kwargs)

    def counting_fromstring(data: Any, *args: Any, **kwargs: Any) -> Any:
        name = by_data.get(data) if isinstance(data, bytes) else None
        if name is not None:
            parses[name] += 1
        return fromstring(data, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_os_open)
    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(etree, "fromstring", counting_fromstring)
    return opens, parses


def _two_files(tmp_path: Path) -> list[str]:
    one = _write(tmp_path, "a", SOURCE.format(encoding="UTF-8").encode("utf-8"))
    other = _write(
        tmp_path,
        "b",
        b'<node><interface name="com.example.Other1">'
        b'<!-- qdbusgen: ignore GUIDE-W170 --><method name="Ping"/></interface></node>',
    )
    return [one, other]


def _lint_api(files: list[str]) -> None:
    assert lint(files).suppressed  # suppressions were found without a second reading


def _lint_command(files: list[str]) -> None:
    result = CliRunner().invoke(cli, ["lint", *files], catch_exceptions=False)
    assert "LINT-W001" in result.output


def _generate(files: list[str]) -> None:
    assert render_files(files, GenerateOptions(package="demo")).files


def _diff_command(files: list[str]) -> None:
    result = CliRunner().invoke(cli, ["diff", *files], catch_exceptions=False)
    assert "COMPAT-" in result.output


@pytest.mark.parametrize(
    "run", [_lint_api, _lint_command, _generate, _diff_command], ids=lambda f: f.__name__[1:]
)
def test_each_file_is_read_and_parsed_once(
    run: Callable[[list[str]], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _two_files(tmp_path)
    reads, parses = _count_reads(monkeypatch, files)
    run(files)
    assert reads == Counter(files) and parses == Counter(files)


def test_document_carries_its_source_but_compares_by_value() -> None:
    data = SOURCE.format(encoding="UTF-8").encode("utf-8")
    one = parser.parse_bytes(data, "x.xml").document
    two = parser.parse_bytes(data, "x.xml").document
    assert one.source is not None and one.source is not two.source
    assert one == two and hash(one) == hash(two)
    assert "source=" not in repr(one)
