"""Generation API: inputs -> checks -> names -> rendered package -> atomic write.

``qdbusgen generate`` and ``qdbusgen check`` are thin layers over :func:`render_files`
and :func:`generate`; build hooks call them directly.
"""

from __future__ import annotations

import difflib
import keyword
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import naming
from .api import load
from .diagnostics import Diagnostic, Severity
from .lint import LintConfig, lint_loaded
from .model import Document, Interface, Location, Method, Signal
from .overrides import Override
from .render import render_package
from .writer import MARKER, write_tree

OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"

#: Interfaces the runtime implements on every object; never generated from input files
#: (the bus driver's own org.freedesktop.DBus interface is generated like any other).
RUNTIME_PROVIDED = frozenset(
    {
        "org.freedesktop.DBus.Peer",
        "org.freedesktop.DBus.Introspectable",
        "org.freedesktop.DBus.Properties",
        "org.freedesktop.DBus.ObjectManager",
        "org.freedesktop.DBus.Local",
    }
)


@dataclass(frozen=True)
class GenerateResult:
    diagnostics: tuple[Diagnostic, ...]
    #: Relative path -> text; empty when generation was refused.
    files: Mapping[str, str] = field(default_factory=dict)
    #: True when input could not be read at all (exit status 2).
    unusable: bool = False
    #: Findings left out in consumer mode (guideline findings on third-party interfaces).
    hidden: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.files)


def _is_standard(name: str) -> bool:
    return name in RUNTIME_PROVIDED


# --------------------------------------------------------------------------- consumer mode


def is_owned(interface: str, owned_prefixes: Iterable[str]) -> bool:
    """True when ``interface`` lies in one of the project's own namespaces."""
    return any(interface == p or interface.startswith(p + ".") for p in owned_prefixes)


def stands_in_the_way(d: Diagnostic) -> bool:
    """Findings that keep third-party XML from becoming correct code: specification
    errors (DBUS-E*), unusable input, Python names and the generator's own errors.
    Guideline findings (GUIDE-*), specification warnings and LINT-* are for the
    interface's authors."""
    return d.rule.startswith(("DBUS-E", "XML-", "NAME-", "GEN-"))


def consumer_split(
    diagnostics: Iterable[Diagnostic],
    documents: Iterable[Document],
    owned_prefixes: Iterable[str],
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(shown, hidden): a finding on a third-party interface (one outside
    ``owned_prefixes``) is hidden unless :func:`stands_in_the_way`. A finding belongs to
    the last interface of its file that starts at or before it; one before the first
    interface belongs to the file, third-party when all of the file's interfaces are."""
    owned = tuple(owned_prefixes)
    starts: dict[str, list[tuple[Location, bool]]] = {}
    for doc in documents:
        starts[doc.path] = sorted((i.location, is_owned(i.name, owned)) for i in doc.interfaces)
    shown: list[Diagnostic] = []
    hidden: list[Diagnostic] = []
    for d in diagnostics:
        loc = d.location
        marks = starts.get(loc.file) if loc is not None else None
        if stands_in_the_way(d):
            shown.append(d)
            continue
        if loc is not None and marks is None:
            # positioned at an override (pyproject.toml, the command line): the override
            # corrects third-party XML, guideline advice on what it adds is noise
            hidden.append(d)
            continue
        if loc is None or not marks:
            shown.append(d)
            continue
        owner = [own for start, own in marks if start <= loc]
        third_party = not owner[-1] if owner else not any(own for _s, own in marks)
        (hidden if third_party else shown).append(d)
    return shown, hidden


def check_package_name(name: str) -> str | None:
    """Why ``name`` cannot be a package name, or None."""
    if not name.isidentifier() or not name.isascii():
        return f"package name {name!r} is not a Python identifier"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"package name {name!r} is a Python keyword"
    return None


def _blocking(iface: Interface) -> list[Diagnostic]:
    """Problems that make code generation impossible even with ``force``."""
    out: list[Diagnostic] = []
    members: list[Method | Signal] = [*iface.methods, *iface.signals]
    for member in members:
        for arg in member.args:
            if arg.type is None:
                out.append(
                    Diagnostic(
                        "GEN-E001",
                        Severity.ERROR,
                        f"cannot generate {iface.name}.{member.name}: arg {arg.name or '(unnamed)'} has an invalid type {arg.signature!r}",
                        arg.location,
                    )
                )
    for prop in iface.properties:
        if prop.type is None or prop.access is None:
            out.append(
                Diagnostic(
                    "GEN-E001",
                    Severity.ERROR,
                    f"cannot generate {iface.name}.{prop.name}: invalid type or access",
                    prop.location,
                )
            )
    return out


def render_files(
    paths: Iterable[str | Path],
    *,
    package: str,
    client: bool = True,
    server: bool = True,
    defines: Mapping[str, str] | None = None,
    interface_prefix: str | None = None,
    force: bool = False,
    runtime_package: str | None = None,
    lint_config: LintConfig | None = None,
    all_findings: bool = False,
    overrides: Sequence[Override] = (),
    object_manager: bool | None = None,
) -> GenerateResult:
    """Check the inputs and render the package in memory (nothing is written).

    The inputs get the same checks as ``qdbusgen lint`` (groups A and B, suppressions,
    ``lint_config``); an error-level finding stops generation unless ``force``.
    ``object_manager`` adds the typed ObjectManager client module (``object_manager.py``);
    None (the default) adds it when an input declares org.freedesktop.DBus.ObjectManager.
    Consumer mode (unless ``all_findings``): on interfaces outside the configuration's
    ``owned_prefixes`` only the findings that stand between the XML and correct code
    are kept (:func:`consumer_split`); the rest are in ``GenerateResult.hidden``.
    """
    problem = check_package_name(package)
    if problem is not None:
        return GenerateResult((Diagnostic("GEN-E002", Severity.ERROR, problem),), unusable=True)
    loaded = load(paths, defines=defines, overrides=overrides)
    if loaded.unusable:
        return GenerateResult(loaded.diagnostics, unusable=True)
    linted = lint_loaded(loaded, lint_config, names=False)
    diagnostics = list(linted.findings)
    hidden: list[Diagnostic] = []
    if not all_findings:
        diagnostics, hidden = consumer_split(
            diagnostics, loaded.documents, linted.config.owned_prefixes
        )
    pairs: list[tuple[Interface, str]] = []
    for document in loaded.documents:
        source = os.path.basename(document.path)
        for iface in document.interfaces:
            if not _is_standard(iface.name):
                pairs.append((iface, source))
    pairs.sort(key=lambda p: p[0].name)
    if not pairs:
        standard = sorted(
            (i for d in loaded.documents for i in d.interfaces), key=lambda i: i.location
        )
        if standard:
            listed = ", ".join(sorted({i.name for i in standard}))
            message = (
                f"the inputs declare only standard interfaces ({listed}); the runtime provides "
                "them on every object (Properties, Introspectable and Peer in every proxy and "
                "server, ObjectManager as ObjectManagerServer / ObjectManagerProxyBase): "
                "generate the service's own interfaces, with --object-manager for a typed "
                "ObjectManager client"
            )
            location: Location | None = standard[0].location
        else:
            message, location = "the inputs declare no interface to generate", None
        diagnostics.append(Diagnostic("GEN-E003", Severity.ERROR, message, location))
        return GenerateResult(tuple(diagnostics), hidden=tuple(hidden))
    if object_manager is None:
        object_manager = any(
            i.name == OBJECT_MANAGER for d in loaded.documents for i in d.interfaces
        )
    blocking = [d for iface, _ in pairs for d in _blocking(iface)]
    names, name_diagnostics = naming.build_names(
        [i for i, _ in pairs],
        interface_prefix=interface_prefix,
        client=client,
        server=server,
        object_manager=object_manager,
    )
    diagnostics.extend(name_diagnostics)
    diagnostics.sort(key=Diagnostic.sort_key)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    name_errors = [d for d in name_diagnostics if d.severity is Severity.ERROR]
    if blocking or name_errors or (errors and not force):
        return GenerateResult(tuple(diagnostics + blocking), hidden=tuple(hidden))
    seen: set[str] = set()
    unique: list[tuple[Interface, str]] = []
    for iface, source in pairs:
        if iface.name not in seen:
            seen.add(iface.name)
            unique.append((iface, source))
    rendered = render_package(
        unique,
        names,
        package=package,
        client=client,
        server=server,
        runtime_package=runtime_package,
        object_manager=object_manager,
    )
    return GenerateResult(tuple(diagnostics), rendered.files, hidden=tuple(hidden))


def generate(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    *,
    package: str | None = None,
    client: bool = True,
    server: bool = True,
    defines: Mapping[str, str] | None = None,
    interface_prefix: str | None = None,
    force: bool = False,
    overwrite: bool = False,
    runtime_package: str | None = None,
    lint_config: LintConfig | None = None,
    all_findings: bool = False,
    overrides: Sequence[Override] = (),
    object_manager: bool | None = None,
) -> GenerateResult:
    """Render and write the package into ``out_dir`` atomically (unchanged on any error)."""
    out = Path(out_dir)
    result = render_files(
        paths,
        package=package or out.name,
        client=client,
        server=server,
        defines=defines,
        interface_prefix=interface_prefix,
        force=force,
        runtime_package=runtime_package,
        lint_config=lint_config,
        all_findings=all_findings,
        overrides=overrides,
        object_manager=object_manager,
    )
    if result.ok:
        write_tree(out, result.files, overwrite=overwrite)
    return result


def diff_tree(out_dir: str | Path, files: Mapping[str, str]) -> list[str]:
    """Unified diff lines between ``files`` and what ``out_dir`` holds (empty when equal)."""
    out = Path(out_dir)
    lines: list[str] = []
    existing: set[str] = set()
    if out.is_dir():
        for p in sorted(out.rglob("*")):
            if p.is_file() and p.name != MARKER and "__pycache__" not in p.parts:
                existing.add(p.relative_to(out).as_posix())
    for rel in sorted(existing | set(files)):
        old = (out / rel).read_text(encoding="utf-8") if rel in existing else ""
        new = files.get(rel, "")
        if old != new:
            lines.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=f"a/{rel}" if rel in existing else "/dev/null",
                    tofile=f"b/{rel}" if rel in files else "/dev/null",
                )
            )
    return lines
