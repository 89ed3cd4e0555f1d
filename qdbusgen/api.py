"""The one Python API under the CLI: build hooks, tests and ``qdbusgen`` all call these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, InputError, Severity
from .model import Document, Location
from .overrides import Override, apply_overrides
from .parser import parse_file
from .validate import validate


@dataclass(frozen=True)
class LoadResult:
    """Documents that could be loaded, and every diagnostic (parse + group A validity)."""

    documents: tuple[Document, ...]
    diagnostics: tuple[Diagnostic, ...]
    #: True when at least one input could not be turned into a model at all.
    unusable: bool = False
    #: Inputs (as given) that could not be loaded.
    failed: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)


def expand_inputs(paths: Iterable[str | Path]) -> list[str]:
    """Files as given, directories expanded to their ``*.xml`` files; sorted and de-duplicated
    so the result never depends on the order of the command line."""
    out: set[str] = set()
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.update(str(x) for x in path.glob("*.xml"))
        else:
            out.add(str(p))
    return sorted(out)


def load(
    paths: Iterable[str | Path],
    *,
    defines: Mapping[str, str] | None = None,
    overrides: Sequence[Override] = (),
) -> LoadResult:
    """Parse and validate each input. Unusable inputs become one diagnostic each.

    ``overrides`` (:mod:`qdbusgen.overrides`) are applied to the parsed documents before
    validation; an unusable override is an error diagnostic positioned at it."""
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    failed: list[str] = []
    parsed: list[tuple[Document, tuple[Diagnostic, ...]]] = []
    paths = list(paths)
    for given in paths:
        if Path(given).is_dir() and not any(Path(given).glob("*.xml")):
            diagnostics.append(
                Diagnostic(
                    "XML-E005",
                    Severity.ERROR,
                    "directory holds no *.xml file",
                    Location(str(given), 1, 1),
                )
            )
            failed.append(str(given))
    for path in expand_inputs(paths):
        try:
            result = parse_file(path, defines=defines)
        except InputError as exc:
            diagnostics.append(exc.diagnostic)
            failed.append(path)
            continue
        parsed.append((result.document, tuple(result.diagnostics)))
    if overrides:
        changed, override_diagnostics = apply_overrides([d for d, _ in parsed], overrides)
        parsed = [(doc, diags) for doc, (_old, diags) in zip(changed, parsed)]
        diagnostics.extend(override_diagnostics)
        for d in override_diagnostics:  # an unusable override is a usage error (exit 2)
            if d.location is not None and d.location.file not in failed:
                failed.append(d.location.file)
    for document, parse_diagnostics in parsed:
        documents.append(document)
        diagnostics.extend(parse_diagnostics)
        diagnostics.extend(validate(document, list(parse_diagnostics)))
    return LoadResult(
        tuple(documents),
        tuple(sorted(diagnostics, key=Diagnostic.sort_key)),
        unusable=bool(failed),
        failed=tuple(failed),
    )


def parse_defines(items: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings to a dict (on top of the platform defaults)."""
    from .parser import default_defines

    defines = default_defines()
    defines.update(parse_define_items(items))
    return defines


def parse_define_items(items: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings to a dict of just those (no defaults); ValueError when malformed."""
    defines: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--define takes NAME=VALUE, not {item!r}")
        defines[name.strip()] = value
    return defines
