"""Diagnostics as values: rule id, severity, position, message.

Every stage (parse, validate, lint, naming) returns diagnostics instead of raising,
so the CLI and the Python API can print them all, compiler-style, at the end.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

from .model import Location


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning or info)"
            ) from None


def where_related(related: Location, location: Location | None) -> str:
    """A related location as a message shows it: "line L, column C" in the same file, else
    the file as given (relative to the current directory when it lies below it). The full
    location stays in :attr:`Diagnostic.related`."""
    if location is not None and related.file == location.file:
        return f"line {related.line}, column {related.column}"
    shown = related.file
    if os.path.isabs(shown):
        try:
            rel = os.path.relpath(shown)
        except ValueError:
            rel = shown
        if not rel.startswith(".."):
            shown = rel
    return f"{shown}:{related.line}:{related.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    rule: str
    severity: Severity
    message: str
    location: Location | None = None
    #: Where the other half of a pair lives (duplicates, collisions).
    related: Location | None = None

    def format(self) -> str:
        where = f"{self.location}: " if self.location is not None else ""
        return f"{where}{self.severity.label}: {self.message} [{self.rule}]"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        if loc is None:
            return ("", 0, 0, self.rule, self.message)
        return (loc.file, loc.line, loc.column, self.rule, self.message)

    def with_severity(self, severity: Severity) -> "Diagnostic":
        return Diagnostic(self.rule, severity, self.message, self.location, self.related)


def diagnostic(
    rule: str,
    message: str,
    location: Location | None = None,
    related: Location | None = None,
    *,
    case: str | None = None,
) -> Diagnostic:
    """A finding of ``rule`` at the severity the rule table gives it
    (:data:`qdbusgen.lint.rules.RULES`); ``case`` names one of the rule's exceptions
    written in the table (``Rule.severity_cases``), such as DBUS-E001's "root-interface"."""
    # Imported here: the table's package (qdbusgen.lint) imports the parser and validator,
    # which report through this function.
    from .lint.rules import RULES

    return Diagnostic(rule, RULES[rule].severity_for(case), message, location, related)


class InputError(Exception):
    """Input that cannot be turned into a model at all (unreadable, not XML, hostile).

    Carries one diagnostic; the CLI prints it and exits with status 2.
    """

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.format())
        self.diagnostic = diagnostic


def has_errors(diagnostics: "list[Diagnostic] | tuple[Diagnostic, ...]") -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
