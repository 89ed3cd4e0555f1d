"""Output formats of ``qdbusgen lint``: text, JSON, SARIF 2.1.0 and GitHub Actions annotations."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from ..diagnostics import Diagnostic, Severity
from ..model import Location
from . import LintResult
from .rules import RULES, Rule

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def tool_version() -> str:
    try:
        return version("qdbusgen")
    except PackageNotFoundError:
        return "0.0.0"


# ---------------------------------------------------------------------- text


def format_text(findings: Iterable[Diagnostic], *, color: bool = False) -> str:
    """Compiler-style lines: ``path:line:col: severity: message [RULE]``."""
    lines: list[str] = []
    for d in findings:
        where = f"{d.location}: " if d.location is not None else "qdbusgen: "
        label = d.severity.label
        if color:
            where = click.style(where, bold=True)
            label = click.style(label, fg=_COLORS[d.severity], bold=True)
            rule = click.style(f"[{d.rule}]", dim=True)
        else:
            rule = f"[{d.rule}]"
        lines.append(f"{where}{label}: {d.message} {rule}")
    return "\n".join(lines)


def summary_line(result: LintResult) -> str:
    files = len(result.files)
    text = (
        f"{files} file{'s' if files != 1 else ''} checked: "
        f"{result.errors} error(s), {result.warnings} warning(s), {result.infos} info(s)"
    )
    if result.suppressed:
        text += f"; {len(result.suppressed)} suppressed"
    if result.failed:
        text += f"; {len(result.failed)} file(s) unusable"
    return text


# ---------------------------------------------------------------------- JSON


def _loc(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "line": location.line, "column": location.column}


def finding_dict(d: Diagnostic) -> dict[str, Any]:
    rule = RULES.get(d.rule)
    return {
        "rule": d.rule,
        "severity": d.severity.label,
        "message": d.message,
        "file": d.location.file if d.location else None,
        "line": d.location.line if d.location else None,
        "column": d.location.column if d.location else None,
        "related": _loc(d.related),
        "title": rule.title if rule else None,
        "help": rule.doc_path if rule else None,
    }


def to_json(result: LintResult) -> str:
    payload = {
        "version": 1,
        "tool": {"name": "qdbusgen", "version": tool_version()},
        "findings": [finding_dict(d) for d in result.findings],
        "summary": {
            "files": len(result.files),
            "error": result.errors,
            "warning": result.warnings,
            "info": result.infos,
            "suppressed": len(result.suppressed),
            "unusable": list(result.failed),
        },
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------------- SARIF


def artifact_uri(path: str) -> str:
    """A URI reference for a path as given: relative paths stay relative (slashes, %-encoding)."""
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    return quote(path.replace("\\", "/"), safe="/")


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    help_text = f"{rule.rationale}\n\nDetection: {rule.detection}"
    tags = [f"group-{rule.group}"]
    if rule.heuristic:
        tags.append("heuristic")
    return {
        "id": rule.id,
        "name": "".join(
            w[:1].upper() + w[1:]
            for w in "".join(c if c.isalnum() else " " for c in rule.title).split()
        ),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "helpUri": rule.doc_path,
        "help": {
            "text": help_text,
            "markdown": f"{rule.rationale}\n\n**Detection:** {rule.detection}",
        },
        "defaultConfiguration": {
            "level": _SARIF_LEVEL[rule.severity],
            **({} if rule.default_enabled else {"enabled": False}),
        },
        "properties": {"tags": tags, "source": rule.source},
    }


def to_sarif(result: LintResult, groups: Collection[str] | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run (GitHub code scanning accepts it as is); its rule table
    holds the rules of ``groups`` (default: every rule)."""
    rule_ids = [rid for rid, rule in RULES.items() if groups is None or rule.group in groups]
    index = {rid: n for n, rid in enumerate(rule_ids)}
    results: list[dict[str, Any]] = []
    for d in result.findings:
        entry: dict[str, Any] = {
            "ruleId": d.rule,
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
        }
        if d.rule in index:
            entry["ruleIndex"] = index[d.rule]
        if d.location is not None:
            entry["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(d.location.file)},
                        "region": {
                            "startLine": max(d.location.line, 1),
                            "startColumn": max(d.location.column, 1),
                        },
                    }
                }
            ]
        if d.related is not None:
            entry["relatedLocations"] = [
                {
                    "id": 1,
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(d.related.file)},
                        "region": {
                            "startLine": max(d.related.line, 1),
                            "startColumn": max(d.related.column, 1),
                        },
                    },
                }
            ]
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "qdbusgen",
                        "version": tool_version(),
                        "rules": [_sarif_rule(RULES[rid]) for rid in rule_ids],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


# ---------------------------------------------------------------------- GitHub Actions


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Diagnostic]) -> str:
    """Workflow commands: ``::error file=…,line=…,col=…,title=RULE::message``."""
    lines: list[str] = []
    for d in findings:
        props: list[str] = []
        if d.location is not None:
            props.append(f"file={_escape_property(d.location.file)}")
            props.append(f"line={d.location.line}")
            props.append(f"col={d.location.column}")
        props.append(f"title={_escape_property(d.rule)}")
        lines.append(f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{_escape_data(d.message)}")
    return "\n".join(lines)


def render(
    result: LintResult, fmt: str, *, color: bool = False, groups: Collection[str] | None = None
) -> str:
    if fmt == "text":
        return format_text(result.findings, color=color)
    if fmt == "json":
        return to_json(result)
    if fmt == "sarif":
        return json.dumps(to_sarif(result, groups), indent=2, ensure_ascii=False)
    if fmt == "github":
        return format_github(result.findings)
    raise ValueError(f"unknown format {fmt!r}")


def explain(rule: Rule) -> str:
    """What ``qdbusgen lint --explain RULE`` prints."""
    heur = " (heuristic)" if rule.heuristic else ""
    heur += "" if rule.default_enabled else "; off by default (opt-in)"
    parts = [
        f"{rule.id}: {rule.title}",
        f"Default severity: {rule.severity.label}{heur} · Source: {rule.source}",
        "",
        "Why:",
        _indent(rule.rationale),
        "",
        "How it is detected:",
        _indent(rule.detection),
    ]
    if rule.base is not None:
        parts += [
            "",
            "Old version (the examples change it):",
            _indent(rule.base.text.rstrip("\n"), wrap=False),
        ]
    labels = (
        ("Reported (old -> new)", "Not reported (old -> new)") if rule.base else ("Bad", "Good")
    )
    for label, example in zip(labels, (rule.bad, rule.good)):
        if example is None:
            continue
        title = (
            f"{label} example" + (f" (file {example.filename})" if example.filename else "") + ":"
        )
        parts += ["", title, _indent(example.text.rstrip("\n"), wrap=False)]
    parts += ["", f"Reference: {rule.doc_path}"]
    return "\n".join(parts)


def _indent(text: str, *, wrap: bool = True) -> str:
    import textwrap

    if not wrap:
        return "\n".join("    " + line if line else "" for line in text.split("\n"))
    return textwrap.fill(text, width=96, initial_indent="    ", subsequent_indent="    ")
