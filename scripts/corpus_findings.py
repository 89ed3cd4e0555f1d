#!/usr/bin/env python3
"""Lint the shared corpus of real introspection XML and write docs/corpus-findings.md:
findings and files per rule, with example locations, plus QEMU's upstream display file.

    python3 scripts/corpus_findings.py           # (re)write docs/corpus-findings.md
    python3 scripts/corpus_findings.py --check   # exit 1 when the committed table is out of date

The corpus is linted with the default configuration (no owned prefixes, interface-file
rules on, HOST_OS=linux), except that each project in PROJECT_CONFIG gets the setting it
documents for itself (QEMU: owned_prefixes = ["org.qemu"]), so the numbers do not depend on
where the script runs. The precision review (docs/corpus-verdicts.md, written by hand after
scripts/sample_findings.py) is put next to the current counts.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qdbusgen.diagnostics import Diagnostic  # noqa: E402
from qdbusgen.lint import LintConfig, LintResult, lint  # noqa: E402
from qdbusgen.lint.rules import RULES  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
QEMU_DISPLAY = SHARED / "upstream" / "qemu" / "ui" / "dbus-display1.xml"
OUT = ROOT / "docs" / "corpus-findings.md"
VERDICTS = ROOT / "docs" / "corpus-verdicts.md"
DEFINES = {"HOST_OS": "linux"}
#: Corpus projects (top-level folders) linted with the setting they document for themselves.
PROJECT_CONFIG = {"qemu": LintConfig(owned_prefixes=("org.qemu",))}


def lint_corpus() -> tuple[list[Path], LintResult]:
    """Every corpus file, linted as docs/corpus-findings.md and the precision review do."""
    files = sorted(CORPUS.rglob("*.xml"))
    groups: dict[str, list[Path]] = defaultdict(list)
    for f in files:
        top = f.relative_to(CORPUS).parts[0]
        groups[top if top in PROJECT_CONFIG else ""].append(f)
    results = [
        lint(group, PROJECT_CONFIG.get(name, LintConfig()), defines=DEFINES)
        for name, group in sorted(groups.items())
    ]
    merged = LintResult(
        documents=tuple(d for r in results for d in r.documents),
        findings=tuple(sorted((d for r in results for d in r.findings), key=Diagnostic.sort_key)),
        files=tuple(str(f) for f in files),
        failed=tuple(x for r in results for x in r.failed),
    )
    return files, merged


def _verdicts() -> dict[str, tuple[int, int, int, int, str]]:
    """rule -> (sampled, true, false, noise, how judged), from docs/corpus-verdicts.md."""
    table: dict[str, tuple[int, int, int, int, str]] = {}
    if not VERDICTS.is_file():
        return table
    for line in VERDICTS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] in RULES:
            sampled, true, false, noise = (int(c) for c in cells[1:5])
            if true + false + noise != sampled:
                raise SystemExit(f"{VERDICTS}: {cells[0]}: true + false + noise != sampled")
            table[cells[0]] = (sampled, true, false, noise, cells[5])
    return table


def _precision_section(by_rule: dict[str, list[Diagnostic]]) -> list[str]:
    verdicts = _verdicts()
    lines = [
        "## Precision review",
        "",
        "Findings sampled per rule with `scripts/sample_findings.py` (up to 6 per rule, spread over "
        "packages) and judged by hand against the XML; verdicts in "
        "[`corpus-verdicts.md`](corpus-verdicts.md), which says how each was judged. *true*: a "
        "maintainer following the guidelines (or the specification) would act on it; *false*: "
        "wrong; *noise*: right but not worth acting on. Precision = true / sampled. Rules off by "
        "default are not sampled.",
        "",
        "| Rule | Severity | Fired | Sampled | True | False | Noise | Precision |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals: dict[str, list[int]] = {}
    for rule_id, rule in RULES.items():
        fired = len(by_rule.get(rule_id, []))
        verdict = verdicts.get(rule_id)
        if verdict is None:
            if fired:
                lines.append(
                    f"| {rule_id} | {rule.severity.label} | {fired} | not reviewed | | | | |"
                )
            continue
        sampled, true, false, noise, _how = verdict
        # the severity the findings carry (DBUS-E001 reports a root <interface> as a warning)
        found = by_rule.get(rule_id, [])
        label = found[0].severity.label if found else rule.severity.label
        t = totals.setdefault(label, [0, 0, 0, 0])
        t[0] += sampled
        t[1] += true
        t[2] += sampled * fired
        t[3] += true * fired
        lines.append(
            f"| {rule_id} | {label} | {fired} | {sampled} | {true} | {false} | "
            f"{noise} | {100 * true / sampled:.0f}% |"
        )
    lines.append("")
    for label in ("error", "warning", "info"):
        if label in totals:
            sampled, true, w_sampled, w_true = totals[label]
            weighted = f"{100 * w_true / w_sampled:.0f}%" if w_sampled else "n/a"
            lines.append(
                f"- **{label}s:** {true}/{sampled} sampled findings true "
                f"({100 * true / sampled:.0f}%); weighted by how often each rule fires: {weighted}"
            )
    lines.append("")
    return lines


def _where(d: Diagnostic, base: Path) -> str:
    assert d.location is not None
    try:
        shown = Path(d.location.file).relative_to(base).as_posix()
    except ValueError:
        shown = Path(d.location.file).name
    return f"`{shown}:{d.location.line}`"


def _examples(findings: list[Diagnostic], base: Path, count: int = 3) -> str:
    chosen: list[Diagnostic] = []
    seen_files: set[str] = set()
    for d in findings:  # one per file first, then fill up
        if d.location is not None and d.location.file not in seen_files:
            chosen.append(d)
            seen_files.add(d.location.file)
        if len(chosen) == count:
            break
    for d in findings:
        if len(chosen) == count:
            break
        if d not in chosen and d.location is not None:
            chosen.append(d)
    return ", ".join(_where(d, base) for d in chosen)


def render() -> str:
    files, result = lint_corpus()
    by_rule: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in result.findings:
        by_rule[d.rule].append(d)
    lines = [
        "# Lint findings over the shared corpus",
        "",
        f"`qdbusgen lint` over the {len(files)} introspection files of the shared corpus, default configuration "
        "(no owned prefixes, interface-file rules on, `HOST_OS=linux`; QEMU's own files with its "
        'documented `owned_prefixes = ["org.qemu"]`). Generated by '
        "`scripts/corpus_findings.py`; regenerate after changing a rule.",
        "",
        f"Totals: {result.errors} error(s), {result.warnings} warning(s), {result.infos} info(s); "
        f"{len(result.failed)} file(s) unusable.",
        "",
        "Some rules fire often by design: the corpus mixes interface files with live introspection dumps "
        "(GUIDE-I101/I102 are meant to be switched off for dumps), many projects predate the design "
        "guidelines (KDE's Qt-style lower-case member names, unversioned names). GUIDE-I161 reports only "
        "with `owned_prefixes` set, and GUIDE-I121 and GUIDE-I122 are off by default.",
        "",
        "| Rule | Severity | Title | Findings | Files | Examples |",
        "|---|---|---|---:|---:|---|",
    ]
    for rule_id, rule in RULES.items():
        found = by_rule.get(rule_id, [])
        if rule.group not in ("A", "B") and not found:
            continue
        n_files = len({d.location.file for d in found if d.location is not None})
        sev = (
            rule.severity.label
            + (" (heuristic)" if rule.heuristic else "")
            + ("" if rule.default_enabled else ", off by default")
        )
        title = rule.title.replace("|", "\\|")
        examples = _examples(found, CORPUS) if found else ""
        lines.append(
            f"| [{rule_id}](rules/{rule_id}.md) | {sev} | {title} | {len(found)} | {n_files} | {examples} |"
        )
    lines.append("")
    lines += _precision_section(by_rule)
    if QEMU_DISPLAY.is_file():
        qemu = lint([QEMU_DISPLAY], LintConfig(owned_prefixes=("org.qemu",)), defines=DEFINES)
        lines += [
            "## QEMU upstream `ui/dbus-display1.xml`",
            "",
            'Linted with `owned_prefixes = ["org.qemu"]` (QEMU\'s own setting). One file holds all of its '
            "interfaces, hence GUIDE-I101; the undocumented `enabled` args and the direction-less "
            "Clipboard args are real, fixable findings. Its booleans and its `Label` string are no "
            "longer reported by default (GUIDE-I121 and GUIDE-I122 are opt-in), nor are the "
            "per-plane DMABUF arrays (independent names: GUIDE-I123 wants evidence of a table).",
            "",
            "| Line | Severity | Rule | Message |",
            "|---:|---|---|---|",
        ]
        for d in qemu.findings:
            assert d.location is not None
            message = d.message.replace("|", "\\|")
            lines.append(f"| {d.location.line} | {d.severity.label} | {d.rule} | {message} |")
        lines.append("")
    lines += ["<!-- generated by scripts/corpus_findings.py; do not edit -->", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only check that docs/corpus-findings.md is current"
    )
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"{CORPUS} is absent", file=sys.stderr)
        return 2
    start = time.monotonic()
    text = render()
    elapsed = time.monotonic() - start
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"out of date: {OUT}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({elapsed:.1f}s to lint)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
