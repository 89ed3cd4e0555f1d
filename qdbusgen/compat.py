"""API compatibility between two versions of introspection XML (rule group C, ``qdbusgen diff``).

Works on the frozen models of both sides, as dbus-deviation's ``InterfaceComparator`` does:
interfaces are matched by name (across files), methods, signals and properties by name
within an interface, arguments by position in document order (in and out mixed).
Findings sit in the NEW version; removals sit in the OLD one, with the NEW element that
lost them (when there is one) as the related location. Suppressions are read from the NEW
files only (the old version is history): a removal is suppressed on that related element.

::

    from qdbusgen.compat import diff_paths, diff_against
    result = diff_paths(["old/"], ["new/"])            # a LintResult of COMPAT findings
    result = diff_against("v1.0", ["interfaces/"])       # old side from git
    result.exit_code()                                   # 0, 1 (COMPAT-B left), 2 (unusable)
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from . import api
from .diagnostics import Diagnostic, InputError, Severity
from .lint import LintResult, _configure
from .lint.config import ConfigError, LintConfig, load_config
from .lint.rules import COMPAT_RULES, RULES, UNUSED_SUPPRESSION, matches
from .lint.suppress import apply, collect, restrict, unused
from .model import (
    ANN_DEPRECATED,
    ANN_GLIB_CSYMBOL,
    Annotation,
    Arg,
    Document,
    EmitsChanged,
    Interface,
    Location,
    Method,
    Property,
    Signal,
    annotation_value,
)
from .parser import parse_bytes

#: Selectors a ``[tool.qdbusgen.diff]`` table or ``qdbusgen diff`` option may name.
DIFF_RULES: tuple[str, ...] = (*COMPAT_RULES, UNUSED_SUPPRESSION)

_T, _I, _C, _F = (
    EmitsChanged.TRUE,
    EmitsChanged.INVALIDATES,
    EmitsChanged.CONST,
    EmitsChanged.FALSE,
)
#: EmitsChangedSignal old -> new: which transitions break old clients (B012) and which only
#: new clients on an old service (F006). Every other pair is a change neither way.
_ECS_BACKWARDS = frozenset({(_F, _T), (_F, _I), (_C, _T), (_C, _I), (_T, _I), (_I, _T), (_C, _F)})
_ECS_FORWARDS = frozenset({(_T, _F), (_T, _C), (_I, _F), (_I, _C), (_F, _C)})


class GitError(Exception):
    """``--against`` cannot be used (no git, not a repository, unknown revision). Exit status 2."""


# ---------------------------------------------------------------------- the comparator


@dataclass
class _Out:
    findings: list[Diagnostic] = field(default_factory=list)

    def add(
        self, rule: str, message: str, location: Location, related: Location | None = None
    ) -> None:
        self.findings.append(Diagnostic(rule, RULES[rule].severity, message, location, related))


_M = TypeVar("_M", bound=Method | Signal | Property)


def _by_name(items: Iterable[_M]) -> dict[str, _M]:
    out: dict[str, _M] = {}
    for item in items:
        out.setdefault(item.name, item)
    return out


def _interfaces(documents: Sequence[Document]) -> dict[str, Interface]:
    out: dict[str, Interface] = {}
    for document in sorted(documents, key=lambda d: d.path):
        for interface in document.interfaces:
            out.setdefault(interface.name, interface)
    return out


def _deprecated(annotations: tuple[Annotation, ...]) -> bool:
    return annotation_value(annotations, ANN_DEPRECATED) == "true"


def _annotations(
    out: _Out,
    what: str,
    old: Interface | Method | Signal | Property | Arg,
    new: Interface | Method | Signal | Property | Arg,
) -> None:
    """COMPAT-I002 (Deprecated) and COMPAT-I003 (GLib.CSymbol), on any element."""
    was, now = _deprecated(old.annotations), _deprecated(new.annotations)
    if was != now:
        out.add(
            "COMPAT-I002",
            f"{what} is now deprecated" if now else f"{what} is no longer deprecated",
            new.location,
        )
    old_symbol = annotation_value(old.annotations, ANN_GLIB_CSYMBOL) or ""
    new_symbol = annotation_value(new.annotations, ANN_GLIB_CSYMBOL) or ""
    if old_symbol != new_symbol:
        out.add(
            "COMPAT-I003",
            f"{what}: C symbol (org.freedesktop.DBus.GLib.CSymbol) changed from "
            f"{old_symbol!r} to {new_symbol!r}",
            new.location,
        )


def _describe_arg(arg: Arg) -> str:
    name = f" {arg.name!r}" if arg.name else ""
    return f"{name} (type '{arg.signature}', {arg.direction.value})"


def _args(out: _Out, what: str, old: Method | Signal, new: Method | Signal) -> None:
    for n, (a, b) in enumerate(zip(old.args, new.args), 1):
        where = f"argument {n} of {what}"
        if a.signature != b.signature:
            out.add(
                "COMPAT-B007",
                f"{where} changed type from '{a.signature}' to '{b.signature}'",
                b.location,
            )
        if a.direction is not b.direction:
            out.add(
                "COMPAT-B008",
                f"{where} changed direction from {a.direction.value} to {b.direction.value}",
                b.location,
            )
        if a.name != b.name:
            if a.name is None or b.name is None:
                change = f"given the name {b.name!r}" if b.name else f"lost its name {a.name!r}"
            else:
                change = f"renamed from {a.name!r} to {b.name!r}"
            out.add("COMPAT-I001", f"{where} {change}", b.location)
        _annotations(out, where, a, b)
    for n, b in enumerate(new.args[len(old.args) :], len(old.args) + 1):
        out.add("COMPAT-B005", f"argument {n}{_describe_arg(b)} added to {what}", b.location)
    for n, a in enumerate(old.args[len(new.args) :], len(new.args) + 1):
        out.add(
            "COMPAT-B006",
            f"argument {n}{_describe_arg(a)} removed from {what}",
            a.location,
            new.location,
        )


def _access(prop: Property) -> str:
    return prop.access.value if prop.access is not None else (prop.access_attr or "")


def _property(out: _Out, what: str, old: Property, new: Property) -> None:
    if old.signature != new.signature:
        out.add(
            "COMPAT-B009",
            f"{what} changed type from '{old.signature}' to '{new.signature}'",
            new.location,
        )
    was, now = _access(old), _access(new)
    if was != now:
        if now == "readwrite" and was in ("read", "write"):
            out.add("COMPAT-F005", f"{what} access widened from {was} to {now}", new.location)
        else:
            out.add("COMPAT-B010", f"{what} access changed from {was} to {now}", new.location)
    pair = (old.emits_changed, new.emits_changed)
    change = f"{what} change notification (EmitsChangedSignal) changed from {pair[0].value} to {pair[1].value}"
    if pair in _ECS_BACKWARDS:
        out.add("COMPAT-B012", change, new.location)
    elif pair in _ECS_FORWARDS:
        out.add("COMPAT-F006", change, new.location)
    _annotations(out, what, old, new)


def _members(
    out: _Out,
    kind: str,
    iface: str,
    old: tuple[_M, ...],
    new: tuple[_M, ...],
    new_interface: Interface,
    rules: tuple[str, str],
) -> list[tuple[str, _M, _M]]:
    """Report removed (rules[0]) and added (rules[1]) members; return the matched pairs."""
    old_by, new_by = _by_name(old), _by_name(new)
    removed, added = rules
    for name, item in old_by.items():
        if name not in new_by:
            out.add(
                removed,
                f"{kind} {iface}.{name} removed",
                item.location,
                new_interface.location,
            )
    for name, item in new_by.items():
        if name not in old_by:
            out.add(added, f"{kind} {iface}.{name} added", item.location)
    return [(name, old_by[name], new_by[name]) for name in old_by if name in new_by]


def _interface(out: _Out, old: Interface, new: Interface) -> None:
    name = new.name
    _annotations(out, f"interface {name}", old, new)
    for member, a, b in _members(
        out, "method", name, old.methods, new.methods, new, ("COMPAT-B002", "COMPAT-F002")
    ):
        what = f"method {name}.{member}"
        if a.no_reply != b.no_reply:
            out.add(
                "COMPAT-B011",
                (
                    f"{what} became NoReply: callers waiting for a reply never get one"
                    if b.no_reply
                    else f"{what} is no longer NoReply: callers that ignored the reply miss it"
                ),
                b.location,
            )
        _args(out, what, a, b)
        _annotations(out, what, a, b)
    for member, sa, sb in _members(
        out, "signal", name, old.signals, new.signals, new, ("COMPAT-B003", "COMPAT-F003")
    ):
        what = f"signal {name}.{member}"
        _args(out, what, sa, sb)
        _annotations(out, what, sa, sb)
    for member, pa, pb in _members(
        out,
        "property",
        name,
        old.properties,
        new.properties,
        new,
        ("COMPAT-B004", "COMPAT-F004"),
    ):
        _property(out, f"property {name}.{member}", pa, pb)


def compare_interface(old: Interface, new: Interface) -> list[Diagnostic]:
    """The group C findings between two versions of one interface (whatever their names)."""
    out = _Out()
    _interface(out, old, new)
    return sorted(out.findings, key=Diagnostic.sort_key)


def compare(
    old: Sequence[Document],
    new: Sequence[Document],
    counterpart: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """Every group C finding from ``old`` to ``new``, sorted, before configuration.

    ``counterpart`` maps an old document's path to the new document that replaces it: an
    interface removed from it is related to (and can be suppressed on) that file's root node.
    """
    out = _Out()
    old_ifaces, new_ifaces = _interfaces(old), _interfaces(new)
    new_roots = {d.path: d.root.location for d in new}
    for name, iface in old_ifaces.items():
        if name not in new_ifaces:
            pair = (counterpart or {}).get(iface.location.file)
            out.add(
                "COMPAT-B001",
                f"interface {name} removed (an incompatible successor needs a new versioned "
                "name, and the old one must stay)",
                iface.location,
                new_roots.get(pair) if pair is not None else None,
            )
    for name, iface in new_ifaces.items():
        if name not in old_ifaces:
            out.add("COMPAT-F001", f"interface {name} added", iface.location)
        else:
            _interface(out, old_ifaces[name], iface)
    return sorted(out.findings, key=Diagnostic.sort_key)


# ---------------------------------------------------------------------- loading both sides


@dataclass
class _Side:
    documents: list[Document] = field(default_factory=list)
    #: Why inputs could not be used (always reported, never configured away).
    problems: list[Diagnostic] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _add_loaded(side: _Side, loaded: api.LoadResult, files: Sequence[str]) -> None:
    """Documents that loaded; files that did not, or whose model is undefined (an input
    rule such as XML-E010 fired), are unusable and their input diagnostics reported."""
    paths = {d.path for d in loaded.documents}
    bad = {
        d.location.file
        for d in loaded.diagnostics
        if d.location is not None and d.location.file in paths and _is_input_rule(d.rule)
    }
    for d in loaded.diagnostics:
        if d.location is None or d.location.file not in paths:
            side.problems.append(d)
        elif d.location.file in bad and _is_input_rule(d.rule):
            side.problems.append(d)
    side.documents.extend(doc for doc in loaded.documents if doc.path not in bad)
    side.failed.extend([*loaded.failed, *sorted(bad)])
    side.files.extend(files)


def _is_input_rule(rule_id: str) -> bool:
    rule = RULES.get(rule_id)
    return rule is not None and rule.group == "input"


def _load_paths(paths: Sequence[str], defines: Mapping[str, str] | None) -> _Side:
    side = _Side()
    _add_loaded(side, api.load(paths, defines=defines), api.expand_inputs(paths))
    return side


def _git(top: str | None, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = ["git", *(("-C", top) if top is not None else ()), *args]
    try:
        return subprocess.run(command, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None


def _git_text(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "surrogateescape")


def _toplevel(given: str) -> str:
    here = Path(given).resolve()
    while not here.is_dir():
        here = here.parent
    proc = _git(str(here), "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f" ({said[-1]})" if said else ""
        raise GitError(f"{given}: not inside a git repository (--against needs one){detail}")
    return _git_text(proc).strip()


def _tree_entries(top: str, rev: str, path: str) -> list[tuple[str, str, str]]:
    """(type, object id, path) of ``path`` at ``rev`` (a tree's entry, or nothing)."""
    proc = _git(top, "ls-tree", "-z", rev, *(("--", path) if path else ()))
    if proc.returncode != 0:
        raise GitError(
            f"git ls-tree {rev} {path} failed: {proc.stderr.decode(errors='replace').strip()}"
        )
    out = []
    for record in _git_text(proc).split("\0"):
        if not record:
            continue
        meta, _, name = record.partition("\t")
        _mode, kind, oid = meta.split()
        out.append((kind, oid, name))
    return out


def _old_from_git(
    rev: str, paths: Sequence[str], defines: Mapping[str, str] | None
) -> tuple[_Side, dict[str, str]]:
    """The ``rev`` version of every file ``paths`` name (directories: their ``*.xml``)."""
    side = _Side()
    shown_files: dict[str, tuple[str, str]] = {}  # path as shown -> (repository, blob id)
    resolved: dict[str, str] = {}
    for given in paths:
        top = _toplevel(given)
        if top not in resolved:
            proc = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
            if proc.returncode != 0:
                raise GitError(f"unknown revision {rev!r} in {top}")
            resolved[top] = _git_text(proc).strip()
        commit = resolved[top]
        rel = Path(os.path.relpath(Path(given).resolve(), Path(top).resolve())).as_posix()
        entries = _tree_entries(top, commit, rel) if rel != "." else [("tree", "", ".")]
        for kind, oid, name in entries:
            if kind == "blob" and name == rel:
                shown_files[str(given)] = (top, oid)
            elif kind == "tree":
                inner = "" if rel == "." else rel.rstrip("/") + "/"
                for k2, oid2, child in _tree_entries(top, commit, inner):
                    if k2 == "blob" and child.endswith(".xml"):
                        shown = str(Path(given) / child[len(inner) :])
                        shown_files[shown] = (top, oid2)
    for shown in sorted(shown_files):
        top, oid = shown_files[shown]
        display = f"{rev}:{shown}"
        side.files.append(display)
        proc = _git(top, "cat-file", "blob", oid)
        if proc.returncode != 0:
            raise GitError(f"cannot read {display} from git")
        try:
            parsed = parse_bytes(proc.stdout, display, defines=defines)
        except InputError as exc:
            side.problems.append(exc.diagnostic)
            side.failed.append(display)
            continue
        problems = [d for d in parsed.diagnostics if _is_input_rule(d.rule)]
        if problems:
            side.problems.extend(problems)
            side.failed.append(display)
            continue
        side.documents.append(parsed.document)
    counterpart = {f"{rev}:{shown}": shown for shown in shown_files}
    return side, counterpart


# ---------------------------------------------------------------------- configuration


def load_diff_config(
    path: str | Path | None = None, *, start: str | Path | None = None
) -> LintConfig:
    """``[tool.qdbusgen.diff]`` (ignore, select, severity, fail_on, per_file) of ``path``,
    else of the project of ``start`` (the NEW side: the nearest pyproject.toml with a
    ``[tool.qdbusgen]`` table above it, as for lint); only group C rules (and LINT-W001)
    may be named."""
    cfg = load_config(path, start=start, section="diff")
    where = f"{cfg.source}: [tool.qdbusgen.diff]" if cfg.source else "[tool.qdbusgen.diff]"
    check_diff_selectors(cfg, where)
    return cfg


def check_diff_selectors(cfg: LintConfig, where: str) -> None:
    selectors = [
        *(cfg.select or ()),
        *cfg.ignore,
        *(s for s, _ in cfg.severity),
        *(s for e in cfg.per_file for s in (*e.ignore, *(x for x, _ in e.severity))),
    ]
    for selector in selectors:
        if selector != "ALL" and not any(matches(selector, r) for r in DIFF_RULES):
            raise ConfigError(
                f"{where}: {selector!r} names no qdbusgen diff rule (COMPAT-*, LINT-W001)"
            )
    if cfg.owned_prefixes or not cfg.interface_file_rules:
        raise ConfigError(f"{where}: owned_prefixes and interface_file_rules are lint settings")


# ---------------------------------------------------------------------- the run


def _config_path(d: Diagnostic, old_prefix: str | None) -> str:
    file = d.location.file if d.location is not None else ""
    if old_prefix is not None and file.startswith(old_prefix):
        return file[len(old_prefix) :]
    return file


def _finish(
    old: _Side,
    new: _Side,
    config: LintConfig | None,
    counterpart: Mapping[str, str],
    old_prefix: str | None = None,
) -> LintResult:
    cfg = config if config is not None else LintConfig()
    if old.failed or new.failed:
        # An unusable file on either side would show up as removed or added interfaces:
        # report why it is unusable and nothing else (catalog P0).
        return LintResult(
            documents=tuple(new.documents),
            findings=tuple(sorted({*old.problems, *new.problems}, key=Diagnostic.sort_key)),
            files=tuple([*old.files, *new.files]),
            failed=tuple([*old.failed, *new.failed]),
            config=cfg,
        )
    raw = compare(old.documents, new.documents, counterpart)
    new_paths = {d.path: d for d in new.documents}
    kept: list[Diagnostic] = []
    suppressed: list[Diagnostic] = []
    anchors: dict[str, list[tuple[Diagnostic, Diagnostic]]] = {}
    for d in raw:
        anchor = (
            d.location if d.location is not None and d.location.file in new_paths else d.related
        )
        if anchor is None or anchor.file not in new_paths:
            kept.append(d)
        else:
            anchors.setdefault(anchor.file, []).append((d, replace(d, location=anchor)))
    extra: list[Diagnostic] = []
    for path, document in new_paths.items():
        pairs = anchors.get(path, [])
        index = document.source
        if index is None:
            kept.extend(d for d, _ in pairs)
            continue
        found = restrict(collect(index), COMPAT_RULES)
        proxies = {id(p): d for d, p in pairs}
        left, silenced = apply([p for _, p in pairs], found)
        kept.extend(proxies[id(p)] for p in left)
        suppressed.extend(proxies[id(p)] for p in silenced)
        extra.extend(unused(found))
    findings: list[Diagnostic] = []
    by_path: dict[str, list[Diagnostic]] = {}
    for d in [*kept, *extra]:
        by_path.setdefault(_config_path(d, old_prefix), []).append(d)
    for path, group in by_path.items():
        findings.extend(_configure(group, cfg, path))
    return LintResult(
        documents=tuple(new.documents),
        findings=tuple(sorted(set(findings), key=Diagnostic.sort_key)),
        suppressed=tuple(sorted(suppressed, key=Diagnostic.sort_key)),
        files=tuple([*old.files, *new.files]),
        failed=tuple([*old.failed, *new.failed]),
        config=cfg,
    )


def diff_paths(
    old: Sequence[str | Path],
    new: Sequence[str | Path],
    config: LintConfig | None = None,
    *,
    defines: Mapping[str, str] | None = None,
) -> LintResult:
    """Compare two sets of files or directories (interfaces matched by name across files)."""
    old_s, new_s = [str(p) for p in old], [str(p) for p in new]
    old_side, new_side = _load_paths(old_s, defines), _load_paths(new_s, defines)
    counterpart: dict[str, str] = {}
    if len(old_side.files) == 1 and len(new_side.files) == 1:
        counterpart[old_side.files[0]] = new_side.files[0]
    else:
        by_name = {Path(f).name: f for f in new_side.files}
        for f in old_side.files:
            if Path(f).name in by_name:
                counterpart[f] = by_name[Path(f).name]
    return _finish(old_side, new_side, config, counterpart)


def diff_against(
    rev: str,
    paths: Sequence[str | Path],
    config: LintConfig | None = None,
    *,
    defines: Mapping[str, str] | None = None,
) -> LintResult:
    """Compare the files ``paths`` name at git revision ``rev`` with the working tree.

    A file or directory present on one side only is simply empty on the other (its
    interfaces are added or removed); one present on neither side is unusable input.
    Raises :class:`GitError` when git cannot answer (not a repository, unknown revision).
    """
    given = [str(p) for p in paths]
    old_side, counterpart = _old_from_git(rev, given, defines)
    present = [p for p in given if Path(p).exists()]
    new_side = _load_paths(present, defines) if present else _Side()
    old_shown = {c for c in counterpart.values()}
    for p in given:
        if Path(p).exists():
            continue
        if not any(s == p or s.startswith(str(Path(p)) + os.sep) for s in old_shown):
            where = Location(p, 1, 1)
            new_side.problems.append(
                Diagnostic(
                    "XML-E005",
                    Severity.ERROR,
                    f"not in the working tree and not at {rev} either",
                    where,
                )
            )
            new_side.failed.append(p)
    return _finish(old_side, new_side, config, counterpart, old_prefix=f"{rev}:")


def positioned_in_new(result: LintResult, rev: str) -> LintResult:
    """For CI formats (SARIF, GitHub annotations) of an ``--against`` run: a removal sits in
    ``REV:path``, which is no file of the checkout, so it moves to the NEW element that lost
    the removed one (its old position stays in the message and as the related location)."""
    prefix = f"{rev}:"
    moved: list[Diagnostic] = []
    for d in result.findings:
        if d.location is not None and d.location.file.startswith(prefix) and d.related:
            d = Diagnostic(
                d.rule, d.severity, f"{d.message} (at {d.location})", d.related, d.location
            )
        moved.append(d)
    return replace(result, findings=tuple(sorted(moved, key=Diagnostic.sort_key)))


def summary_line(result: LintResult) -> str:
    """``N file(s) compared: B backwards-incompatible, F compatible, I info(s)``."""
    n_b = sum(1 for d in result.findings if d.rule.startswith("COMPAT-B"))
    n_f = sum(1 for d in result.findings if d.rule.startswith("COMPAT-F"))
    n_i = sum(1 for d in result.findings if d.rule.startswith("COMPAT-I"))
    files = len(result.files)
    text = (
        f"{files} file{'s' if files != 1 else ''} compared: {n_b} backwards-incompatible, "
        f"{n_f} compatible addition(s)/forwards-only, {n_i} informational"
        f" ({result.errors} error(s), {result.warnings} warning(s), {result.infos} info(s))"
    )
    if result.suppressed:
        text += f"; {len(result.suppressed)} suppressed"
    if result.failed:
        text += f"; {len(result.failed)} file(s) unusable"
    return text


__all__ = [
    "DIFF_RULES",
    "GitError",
    "check_diff_selectors",
    "compare",
    "compare_interface",
    "diff_against",
    "diff_paths",
    "load_diff_config",
    "positioned_in_new",
    "summary_line",
]
