#!/usr/bin/env python3
"""Sample lint findings per rule from the shared corpus for a precision review.

    python3 scripts/sample_findings.py                    # 6 per rule -> build/findings-review.md
    python3 scripts/sample_findings.py -n 10 --seed 2 --rule GUIDE-W140 -o /tmp/w140.md

The corpus is linted exactly as for docs/corpus-findings.md (defaults, HOST_OS=linux,
QEMU's own owned_prefixes). For every rule that fired, up to N findings are drawn (deterministically,
from ``--seed``), spread over as many packages (the corpus's top-level folders) as
possible, and written with the XML around each finding, so that each one can be judged
against the file: *true* (a maintainer following the guidelines would act on it),
*false* (wrong), or *noise* (right, but not worth acting on). Record the verdicts in
docs/corpus-verdicts.md; scripts/corpus_findings.py puts them into docs/corpus-findings.md.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from corpus_findings import CORPUS, lint_corpus  # noqa: E402

from qdbusgen.diagnostics import Diagnostic  # noqa: E402
from qdbusgen.lint.rules import RULES  # noqa: E402

BEFORE, AFTER = 4, 10  # lines of XML shown around a finding


def _package(d: Diagnostic) -> str:
    assert d.location is not None
    try:
        return Path(d.location.file).resolve().relative_to(CORPUS.resolve()).parts[0]
    except ValueError:
        return Path(d.location.file).parent.name


def sample(findings: list[Diagnostic], count: int, rng: random.Random) -> list[Diagnostic]:
    """Up to ``count`` findings, round-robin over packages in a seeded order."""
    by_package: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in sorted(findings, key=Diagnostic.sort_key):
        by_package[_package(d)].append(d)
    packages = sorted(by_package)
    rng.shuffle(packages)
    for name in packages:
        rng.shuffle(by_package[name])
    chosen: list[Diagnostic] = []
    while len(chosen) < count and any(by_package.values()):
        for name in packages:
            if by_package[name] and len(chosen) < count:
                chosen.append(by_package[name].pop())
    return chosen


def context(d: Diagnostic, cache: dict[str, list[str]]) -> str:
    assert d.location is not None
    lines = cache.setdefault(
        d.location.file,
        Path(d.location.file).read_text(encoding="utf-8", errors="replace").splitlines(),
    )
    line = d.location.line
    start, end = max(1, line - BEFORE), min(len(lines), line + AFTER)
    width = len(str(end))
    out = []
    for n in range(start, end + 1):
        mark = ">" if n == line else " "
        out.append(f"{mark}{n:>{width}} | {lines[n - 1]}")
    return "\n".join(out)


def render(count: int, seed: int, rules: list[str] | None) -> str:
    files, result = lint_corpus()
    by_rule: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in result.findings:
        if d.location is not None and (rules is None or d.rule in rules):
            by_rule[d.rule].append(d)
    rng = random.Random(seed)
    cache: dict[str, list[str]] = {}
    out = [
        "# Findings to review",
        "",
        f"{len(files)} corpus files, {len(result.findings)} findings; up to {count} per rule, "
        f"seed {seed}. Mark each: true / false / noise.",
        "",
    ]
    for rule_id in [r for r in RULES if r in by_rule]:
        found = by_rule[rule_id]
        chosen = sample(found, count, rng)
        rule = RULES[rule_id]
        out += [
            f"## {rule_id} ({rule.severity.label}): {rule.title}",
            "",
            f"fired {len(found)} time(s) in {len({_package(d) for d in found})} package(s); "
            f"sampled {len(chosen)}",
            "",
        ]
        for n, d in enumerate(chosen, 1):
            assert d.location is not None
            shown = Path(d.location.file).resolve().relative_to(CORPUS.resolve()).as_posix()
            out += [
                f"### {rule_id} #{n}: `{shown}:{d.location.line}:{d.location.column}`",
                "",
                f"{d.severity.label}: {d.message}",
                "",
                "```xml",
                context(d, cache),
                "```",
                "",
                "verdict: ",
                "",
            ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=6, help="findings per rule (default 6)")
    parser.add_argument("--seed", type=int, default=1, help="sampling seed (default 1)")
    parser.add_argument("--rule", action="append", help="only this rule (repeatable)")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "build" / "findings-review.md")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"{CORPUS} is absent", file=sys.stderr)
        return 2
    text = render(args.count, args.seed, args.rule)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
