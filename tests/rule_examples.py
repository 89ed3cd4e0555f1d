"""The rules' bad and good examples as files for the tests.

The examples live once, in qdbusgen/lint/examples/<RULE>_{bad,good}.xml (what
``--explain``, the SARIF help and docs/rules/ show, read through ``RULES``); a test
writes one out, with the catalog's ``⟨'a'×N⟩`` shorthand expanded, and lints that.
"""

from __future__ import annotations

from pathlib import Path

from qdbusgen.lint.rules import RULES, expand_example


def example_text(rule_id: str, kind: str) -> str:
    """The expanded text of ``rule_id``'s ``kind`` ("bad" or "good") example."""
    example = RULES[rule_id].bad if kind == "bad" else RULES[rule_id].good
    assert example is not None, (rule_id, kind)
    return expand_example(example.text)


def example_file(rule_id: str, kind: str, directory: Path, name: str | None = None) -> Path:
    """``rule_id``'s ``kind`` example written to ``directory`` (as ``<RULE>_<kind>.xml``)."""
    path = directory / (name or f"{rule_id}_{kind}.xml")
    path.write_text(example_text(rule_id, kind), encoding="utf-8")
    return path
