"""Generation API: inputs -> checks -> names -> rendered package -> atomic write.

``qdbusgen generate`` and ``qdbusgen check`` are thin layers over :func:`render_files`
and :func:`generate`; build hooks call them directly.
"""

from __future__ import annotations

import difflib
import keyword
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import naming
from .api import load
from .diagnostics import Diagnostic, Severity
from .lint import LintConfig, lint_loaded
from .model import Interface, Method, Signal
from .render import render_package
from .writer import MARKER, write_tree

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

    @property
    def ok(self) -> bool:
        return bool(self.files)


def _is_standard(name: str) -> bool:
    return name in RUNTIME_PROVIDED


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
) -> GenerateResult:
    """Check the inputs and render the package in memory (nothing is written).

    The inputs get the same checks as ``qdbusgen lint`` (groups A and B, suppressions,
    ``lint_config``); an error-level finding stops generation unless ``force``.
    """
    problem = check_package_name(package)
    if problem is not None:
        return GenerateResult((Diagnostic("GEN-E002", Severity.ERROR, problem),), unusable=True)
    loaded = load(paths, defines=defines)
    if loaded.unusable:
        return GenerateResult(loaded.diagnostics, unusable=True)
    diagnostics = list(lint_loaded(loaded, lint_config, names=False).findings)
    pairs: list[tuple[Interface, str]] = []
    for document in loaded.documents:
        source = os.path.basename(document.path)
        for iface in document.interfaces:
            if not _is_standard(iface.name):
                pairs.append((iface, source))
    pairs.sort(key=lambda p: p[0].name)
    if not pairs:
        diagnostics.append(
            Diagnostic("GEN-E003", Severity.ERROR, "the inputs declare no interface to generate")
        )
        return GenerateResult(tuple(diagnostics))
    blocking = [d for iface, _ in pairs for d in _blocking(iface)]
    names, name_diagnostics = naming.build_names(
        [i for i, _ in pairs], interface_prefix=interface_prefix, client=client, server=server
    )
    diagnostics.extend(name_diagnostics)
    diagnostics.sort(key=Diagnostic.sort_key)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    name_errors = [d for d in name_diagnostics if d.severity is Severity.ERROR]
    if blocking or name_errors or (errors and not force):
        return GenerateResult(tuple(diagnostics + blocking))
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
    )
    return GenerateResult(tuple(diagnostics), rendered.files)


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
