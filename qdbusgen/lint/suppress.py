"""Suppressions written next to the finding, in the XML.

Two forms, both applying to the element they belong to and everything inside it::

    <method name="GetName">
      <annotation name="org.qdbusgen.Lint.Suppress" value="GUIDE-W140 GUIDE-I121"/>
      ...
    </method>

    <!-- qdbusgen: ignore GUIDE-W140 -->
    <method name="GetName"> ... </method>

The comment form applies to the element directly after it (only whitespace or other
comments between) and may give a reason after a ``;``. A rule id or prefix that
suppresses nothing, names no known rule, or a comment with no element after it, is
reported as LINT-W001. The suppression annotation itself never triggers other rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from ..diagnostics import Diagnostic, Severity
from ..model import Location
from .rules import RULES, SUPPRESS_ANNOTATION, UNUSED_SUPPRESSION, is_valid_selector, matches
from .source import SourceIndex

COMMENT_RE = re.compile(r"^\s*qdbusgen\s*:\s*ignore\b(.*)$", re.DOTALL | re.IGNORECASE)
_SPLIT_RE = re.compile(r"[\s,]+")
#: Rules the suppression annotation itself would trigger, which are dropped for it.
_OWN_ANNOTATION_RULES = frozenset({"DBUS-W003", "DBUS-W009"})


@dataclass(slots=True)
class Suppression:
    selector: str
    scope: etree._Element
    location: Location
    kind: str
    used: bool = False


@dataclass(slots=True)
class FileSuppressions:
    index: SourceIndex
    path: str
    entries: list[Suppression] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def _describe(el: etree._Element) -> str:
    name = el.get("name")
    local = etree.QName(el).localname
    return f"<{local} {name!r}>" if name is not None else f"<{local}>"


def _tokens(text: str) -> list[str]:
    return [t for t in _SPLIT_RE.split(text.strip()) if t]


def collect(index: SourceIndex) -> FileSuppressions:
    """Every suppression written in one file, and LINT-W001 for the malformed ones."""
    found = FileSuppressions(index, index.path)
    for el in index.elements():
        if not isinstance(el.tag, str) or etree.QName(el).namespace is not None:
            continue
        if etree.QName(el).localname != "annotation" or el.get("name") != SUPPRESS_ANNOTATION:
            continue
        scope = index.parent(el)
        if scope is None:
            continue
        _add(found, _tokens(el.get("value") or ""), scope, index.location(el), "annotation")
    for comment in index.comments:
        m = COMMENT_RE.match(comment.text)
        if m is None:
            continue
        loc = Location(index.path, comment.line, comment.column)
        spec = m.group(1).split(";", 1)[0]
        if comment.target is None:
            found.problems.append(
                Diagnostic(
                    UNUSED_SUPPRESSION,
                    RULES[UNUSED_SUPPRESSION].severity,
                    "suppression comment is not directly followed by an element, so it suppresses nothing",
                    loc,
                )
            )
            continue
        _add(found, _tokens(spec), comment.target, loc, "comment")
    return found


def _add(
    found: FileSuppressions, tokens: list[str], scope: etree._Element, loc: Location, kind: str
) -> None:
    severity = RULES[UNUSED_SUPPRESSION].severity
    if not tokens:
        found.problems.append(
            Diagnostic(
                UNUSED_SUPPRESSION,
                severity,
                "suppression names no rule id; it suppresses nothing",
                loc,
            )
        )
        return
    for token in tokens:
        if not is_valid_selector(token) or token == "ALL":
            found.problems.append(
                Diagnostic(
                    UNUSED_SUPPRESSION, severity, f"suppression names unknown rule {token!r}", loc
                )
            )
            continue
        found.entries.append(Suppression(token, scope, loc, kind))


def restrict(
    found: FileSuppressions, rule_ids: Iterable[str], *, keep: bool = True
) -> FileSuppressions:
    """The suppressions of ``found`` that name one of ``rule_ids`` (``keep=False``: the others).

    ``qdbusgen lint`` and ``qdbusgen diff`` read the same comments and annotations but each
    applies, and reports as unused, only the suppressions of its own rules; malformed ones
    (LINT-W001 problems) stay with the side that keeps the rest (lint).
    """
    ids = tuple(rule_ids)
    entries = [e for e in found.entries if any(matches(e.selector, r) for r in ids) is keep]
    problems = [p for p in found.problems if not keep]
    return FileSuppressions(found.index, found.path, entries, problems)


def drop_own_annotation_findings(
    diagnostics: Iterable[Diagnostic], index: SourceIndex
) -> list[Diagnostic]:
    """Remove what the suppression annotation itself would trigger (an annotation on <node>, repeats)."""
    out: list[Diagnostic] = []
    for d in diagnostics:
        if d.rule in _OWN_ANNOTATION_RULES and d.location is not None:
            el = index.element_of(d.location)
            if el is not None and el.get("name") == SUPPRESS_ANNOTATION:
                continue
        out.append(d)
    return out


def apply(
    diagnostics: Iterable[Diagnostic], found: FileSuppressions
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Split ``diagnostics`` of this file into (kept, suppressed), marking used suppressions."""
    kept: list[Diagnostic] = []
    suppressed: list[Diagnostic] = []
    for d in diagnostics:
        loc = d.location
        if (
            not found.entries
            or loc is None
            or loc.file != found.path
            or d.rule == UNUSED_SUPPRESSION
            or RULES.get(d.rule) is not None
            and RULES[d.rule].group == "input"
        ):
            kept.append(d)
            continue
        el = found.index.element_of(loc)
        hit = False
        if el is not None:
            for entry in found.entries:
                if matches(entry.selector, d.rule) and found.index.is_within(el, entry.scope):
                    entry.used = True
                    hit = True
        (suppressed if hit else kept).append(d)
    return kept, suppressed


def unused(found: FileSuppressions) -> list[Diagnostic]:
    """LINT-W001 for every suppression that matched nothing, plus the malformed ones."""
    out = list(found.problems)
    for entry in found.entries:
        if not entry.used:
            what = "annotation" if entry.kind == "annotation" else "comment"
            out.append(
                Diagnostic(
                    UNUSED_SUPPRESSION,
                    RULES[UNUSED_SUPPRESSION].severity,
                    f"suppression {what} for {entry.selector} matches no finding on {_describe(entry.scope)}; remove it",
                    entry.location,
                )
            )
    return out


__all__ = [
    "FileSuppressions",
    "Severity",
    "Suppression",
    "apply",
    "collect",
    "drop_own_annotation_findings",
    "restrict",
    "unused",
]
