"""Generation API: inputs -> checks -> names -> rendered package -> atomic write.

``qdbusgen generate`` and ``qdbusgen check`` are thin layers over :func:`render_files`
and :func:`generate`; build hooks call :func:`render_target`. What the package looks like
is one :class:`~qdbusgen.config.GenerateOptions`, passed as it is down to rendering.
"""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import naming
from .api import load
from .config import GenerateOptions, Target
from .diagnostics import Diagnostic, Severity
from .lint import LintConfig, lint_loaded
from .model import (
    IFACE_OBJECT_MANAGER,
    RUNTIME_PROVIDED,
    Document,
    Interface,
    Location,
    Method,
    Signal,
)
from .render import render_package
from .writer import MARKER, WriteReport, is_ours, owned_files, write_tree


@dataclass(frozen=True)
class GenerateResult:
    diagnostics: tuple[Diagnostic, ...]
    #: Relative path -> text; empty when generation was refused.
    files: Mapping[str, str] = field(default_factory=dict)
    #: True when input could not be read at all (exit status 2).
    unusable: bool = False
    #: What writing changed (:func:`generate` only).
    report: WriteReport = field(default_factory=WriteReport)
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
    owned_prefixes: Iterable[str] | Callable[[str], Iterable[str]],
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(shown, hidden): a finding on a third-party interface (one outside
    ``owned_prefixes``) is hidden unless :func:`stands_in_the_way`. A finding belongs to
    the last interface of its file that starts at or before it; one before the first
    interface belongs to the file, third-party when all of the file's interfaces are."""
    if callable(owned_prefixes):
        owned_of = owned_prefixes  # each file's own project decides what it owns
    else:
        fixed = tuple(owned_prefixes)
        owned_of = lambda _path: fixed  # noqa: E731
    starts: dict[str, list[tuple[Location, bool]]] = {}
    for doc in documents:
        owned = tuple(owned_of(doc.path))
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
    options: GenerateOptions,
    *,
    lint_config: LintConfig | None = None,
    config_for: Callable[[str], LintConfig] | None = None,
) -> GenerateResult:
    """Check the inputs and render the package ``options.package`` in memory (nothing is
    written).

    The inputs get the same checks as ``qdbusgen lint`` (groups A and B, suppressions,
    ``lint_config``, or ``config_for(path)`` per file); an error-level finding stops
    generation unless ``options.force``. ``options.object_manager`` None adds the typed
    ObjectManager client module (``object_manager.py``) when an input declares
    org.freedesktop.DBus.ObjectManager. Consumer mode (unless ``options.all_findings``):
    on interfaces outside the configuration's ``owned_prefixes`` only the findings that
    stand between the XML and correct code are kept (:func:`consumer_split`); the rest
    are in ``GenerateResult.hidden``.
    """
    package = options.package
    if package is None:
        raise ValueError("render_files needs options.package")
    problem = check_package_name(package)
    if problem is not None:
        return GenerateResult((Diagnostic("GEN-E002", Severity.ERROR, problem),), unusable=True)
    loaded = load(paths, defines=options.define_map(), overrides=options.overrides)
    if loaded.unusable:
        return GenerateResult(loaded.diagnostics, unusable=True)
    linted = lint_loaded(loaded, lint_config, config_for=config_for, names=False)
    diagnostics = list(linted.findings)
    hidden: list[Diagnostic] = []
    if not options.all_findings:
        diagnostics, hidden = consumer_split(
            diagnostics, loaded.documents, lambda path: linted.config_of(path).owned_prefixes
        )
    # linted: the files' sources (element trees, positions, comments) are not needed any more,
    # and they are most of what the input holds (about 8.6 KB of 17 per method)
    documents = [dataclasses.replace(d, source=None) for d in loaded.documents]
    del loaded, linted
    pairs: list[tuple[Interface, str]] = []
    for document in documents:
        source = os.path.basename(document.path)
        for iface in document.interfaces:
            if not _is_standard(iface.name):
                pairs.append((iface, source))
    pairs.sort(key=lambda p: p[0].name)
    if not pairs:
        standard = sorted((i for d in documents for i in d.interfaces), key=lambda i: i.location)
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
    if options.object_manager is None:
        options = dataclasses.replace(
            options,
            object_manager=any(
                i.name == IFACE_OBJECT_MANAGER for d in documents for i in d.interfaces
            ),
        )
    blocking = [d for iface, _ in pairs for d in _blocking(iface)]
    names, name_diagnostics = naming.build_names(
        [i for i, _ in pairs],
        interface_prefix=options.interface_prefix,
        client=options.client,
        server=options.server,
        object_manager=bool(options.object_manager),
    )
    diagnostics.extend(name_diagnostics)
    diagnostics.sort(key=Diagnostic.sort_key)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    name_errors = [d for d in name_diagnostics if d.severity is Severity.ERROR]
    if blocking or name_errors or (errors and not options.force):
        return GenerateResult(tuple(diagnostics + blocking), hidden=tuple(hidden))
    seen: set[str] = set()
    unique: list[tuple[Interface, str]] = []
    for iface, source in pairs:
        if iface.name not in seen:
            seen.add(iface.name)
            unique.append((iface, source))
    rendered = render_package(unique, names, options)
    return GenerateResult(tuple(diagnostics), rendered.files, hidden=tuple(hidden))


def generate(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    options: GenerateOptions = GenerateOptions(),
    *,
    overwrite: bool = False,
    lint_config: LintConfig | None = None,
    config_for: Callable[[str], LintConfig] | None = None,
) -> GenerateResult:
    """Render and write the package into ``out_dir`` (unchanged on any error; files whose
    content is the same are not rewritten). ``options.package`` None: the directory's name."""
    out = Path(out_dir)
    options = dataclasses.replace(options, package=options.package_for(out))
    result = render_files(paths, options, lint_config=lint_config, config_for=config_for)
    return _write(result, out, overwrite)


def _write(result: GenerateResult, out: Path, overwrite: bool) -> GenerateResult:
    if not result.ok:
        return result
    return dataclasses.replace(result, report=write_tree(out, result.files, overwrite=overwrite))


def render_target(target: Target) -> GenerateResult:
    """Render one ``[tool.qdbusgen]`` target in memory. Raises ConfigError for bad inputs."""
    options = dataclasses.replace(target.options, package=target.options.package_for(target.output))
    return render_files(target.files(), options, lint_config=target.lint)


def generate_target(target: Target, *, overwrite: bool = False) -> GenerateResult:
    """Render and write one ``[tool.qdbusgen]`` target (what the build hook calls)."""
    return _write(render_target(target), target.output, overwrite)


def diff_tree(out_dir: str | Path, files: Mapping[str, str]) -> list[str]:
    """Unified diff lines between ``files`` and what ``out_dir`` holds (empty when equal).

    Only files ``generate`` would write or remove count; anything else there is not ours."""
    out = Path(out_dir)
    lines: list[str] = []
    existing: set[str] = set()
    if out.is_dir():
        # what generate would touch: the files it wrote before, and those it would write
        candidates = owned_files(out) | set(files) if is_ours(out) else set(files)
        existing = {rel for rel in candidates if rel != MARKER and (out / rel).is_file()}
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
