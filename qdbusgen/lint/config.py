"""Linter configuration: ``[tool.qdbusgen.lint]`` in pyproject.toml, plus command-line overrides.

Keys::

    [tool.qdbusgen.lint]
    select = ["DBUS", "GUIDE"]          # rule ids or prefixes; default: every rule
    ignore = ["GUIDE-I1"]               # rule ids or prefixes
    severity = { "GUIDE-W170" = "error" }
    owned_prefixes = ["org.qemu"]       # namespaces this project may define
    interface_file_rules = true         # GUIDE-I101/I102; false for live introspection dumps
    fail_on = "error"                   # error | warning | info

    [[tool.qdbusgen.lint.per_file]]
    paths = ["dumps/*.xml"]
    ignore = ["GUIDE-I101"]
    severity = { "GUIDE-W110" = "info" }
    interface_file_rules = false

A rule is enabled when the most specific selector matching it (the longest) comes from
``select``; on a tie ``ignore`` wins; when no selector matches, it is enabled unless
``select`` is given. Anything unknown (key, rule id, severity) is a :class:`ConfigError`.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..diagnostics import Severity
from .rules import is_valid_selector, matches

TOP_KEYS = frozenset(
    {
        "select",
        "ignore",
        "severity",
        "owned_prefixes",
        "interface_file_rules",
        "per_file",
        "fail_on",
    }
)
DIFF_KEYS = frozenset({"select", "ignore", "severity", "per_file", "fail_on"})
PER_FILE_KEYS = frozenset({"paths", "ignore", "severity", "interface_file_rules"})
FILE_RULES = ("GUIDE-I101", "GUIDE-I102")


class ConfigError(ValueError):
    """A configuration that cannot be used (unknown key, rule id or value). Exit status 2."""


@dataclass(frozen=True, slots=True)
class PerFile:
    paths: tuple[str, ...]
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    interface_file_rules: bool | None = None


@dataclass(frozen=True, slots=True)
class LintConfig:
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    owned_prefixes: tuple[str, ...] = ()
    interface_file_rules: bool = True
    per_file: tuple[PerFile, ...] = ()
    fail_on: Severity = Severity.ERROR
    #: The file the settings came from (None: defaults / built in code).
    source: str | None = None
    #: Directory per-file globs are relative to.
    base_dir: str | None = None

    # -- queries

    def enabled(self, rule_id: str, path: str | None = None) -> bool:
        ignore = list(self.ignore)
        file_rules = self.interface_file_rules
        for entry in self._per_file(path):
            ignore.extend(entry.ignore)
            if entry.interface_file_rules is not None:
                file_rules = entry.interface_file_rules
        if rule_id in FILE_RULES and not file_rules:
            return False
        return rule_enabled(rule_id, self.select, ignore)

    def severity_of(self, rule_id: str, default: Severity, path: str | None = None) -> Severity:
        found = _most_specific(rule_id, self.severity)
        for entry in self._per_file(path):
            override = _most_specific(rule_id, entry.severity)
            if override is not None:
                found = override
        return default if found is None else found

    def _per_file(self, path: str | None) -> list[PerFile]:
        if path is None or not self.per_file:
            return []
        candidates = _path_candidates(path, self.base_dir)
        return [
            e
            for e in self.per_file
            if any(fnmatch.fnmatchcase(c, g) for g in e.paths for c in candidates)
        ]

    # -- building

    def with_overrides(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] = (),
        severity: Mapping[str, str] | None = None,
        owned_prefixes: Sequence[str] = (),
        interface_file_rules: bool | None = None,
        fail_on: str | None = None,
    ) -> "LintConfig":
        """Command-line settings on top of the file: ``select`` replaces the file's select
        and ignore lists; ``ignore`` and ``owned_prefixes`` extend them; severities and the
        switches replace the file's values."""
        new = self
        if select is not None:
            new = replace(new, select=_selectors(select, "--select"), ignore=())
        if ignore:
            new = replace(new, ignore=new.ignore + _selectors(ignore, "--ignore"))
        if severity:
            merged = dict(new.severity)
            merged.update(_severities(severity, "--severity"))
            new = replace(new, severity=tuple(merged.items()))
        if owned_prefixes:
            new = replace(
                new, owned_prefixes=new.owned_prefixes + _prefixes(owned_prefixes, "--owned-prefix")
            )
        if interface_file_rules is not None:
            new = replace(new, interface_file_rules=interface_file_rules)
        if fail_on is not None:
            new = replace(new, fail_on=_severity(fail_on, "--fail-on"))
        return new


def rule_enabled(rule_id: str, select: Sequence[str] | None, ignore: Sequence[str]) -> bool:
    best_select = max(
        (len(s) if s != "ALL" else 0 for s in (select or ()) if matches(s, rule_id)), default=-1
    )
    best_ignore = max(
        (len(s) if s != "ALL" else 0 for s in ignore if matches(s, rule_id)), default=-1
    )
    if best_select == -1 and best_ignore == -1:
        return select is None
    return best_select > best_ignore


def _most_specific(rule_id: str, table: Iterable[tuple[str, Severity]]) -> Severity | None:
    best: tuple[int, Severity] | None = None
    for selector, sev in table:
        if matches(selector, rule_id):
            rank = 0 if selector == "ALL" else len(selector)
            if best is None or rank >= best[0]:
                best = (rank, sev)
    return None if best is None else best[1]


def _path_candidates(path: str, base_dir: str | None) -> list[str]:
    given = PurePosixPath(path.replace(os.sep, "/")).as_posix()
    out = [given, given.removeprefix("./")]
    if base_dir is not None:
        try:
            rel = os.path.relpath(os.path.abspath(path), base_dir)
        except ValueError:
            rel = None
        if rel is not None and not rel.startswith(".."):
            out.append(PurePosixPath(rel.replace(os.sep, "/")).as_posix())
    return out


# ---------------------------------------------------------------------- validation


def _selectors(values: object, where: str) -> tuple[str, ...]:
    items = _string_list(values, where)
    for item in items:
        if not is_valid_selector(item):
            raise ConfigError(f"{where}: unknown rule id or prefix {item!r}")
    return tuple(items)


def _prefixes(values: object, where: str) -> tuple[str, ...]:
    items = _string_list(values, where)
    for item in items:
        p = item.rstrip(".")
        if not p or any(not part for part in p.split(".")):
            raise ConfigError(f'{where}: {item!r} is not a dotted name prefix (e.g. "org.qemu")')
    return tuple(items)


def _string_list(values: object, where: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ConfigError(f"{where} must be a list of strings")
    out: list[str] = []
    for v in values:
        if not isinstance(v, str):
            raise ConfigError(f"{where} must be a list of strings, found {v!r}")
        out.append(v.strip())
    return out


def _severity(value: object, where: str) -> Severity:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be one of error, warning, info")
    try:
        return Severity.parse(value)
    except ValueError:
        raise ConfigError(
            f"{where}: unknown severity {value!r} (expected error, warning or info)"
        ) from None


def _severities(table: object, where: str) -> tuple[tuple[str, Severity], ...]:
    if not isinstance(table, Mapping):
        raise ConfigError(f'{where} must be a table of RULE = "error"|"warning"|"info"')
    out: list[tuple[str, Severity]] = []
    for key, value in table.items():
        if not isinstance(key, str) or not is_valid_selector(key):
            raise ConfigError(f"{where}: unknown rule id or prefix {key!r}")
        out.append((key, _severity(value, f"{where}.{key}")))
    return tuple(out)


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false")
    return value


def _unknown(keys: Iterable[str], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})"
        )


def config_from_mapping(
    table: Mapping[str, Any],
    *,
    source: str | None = None,
    base_dir: str | None = None,
    section: str = "lint",
) -> LintConfig:
    """A :class:`LintConfig` from the ``[tool.qdbusgen.<section>]`` table ("lint", or "diff" for
    ``qdbusgen diff``, which takes no lint-only keys); raises :class:`ConfigError`."""
    where = f"[tool.qdbusgen.{section}]"
    where = f"{source}: {where}" if source else where
    _unknown(table.keys(), TOP_KEYS if section == "lint" else DIFF_KEYS, where)
    cfg = LintConfig(source=source, base_dir=base_dir)
    if "select" in table:
        cfg = replace(cfg, select=_selectors(table["select"], f"{where} select"))
    if "ignore" in table:
        cfg = replace(cfg, ignore=_selectors(table["ignore"], f"{where} ignore"))
    if "severity" in table:
        cfg = replace(cfg, severity=_severities(table["severity"], f"{where} severity"))
    if "owned_prefixes" in table:
        cfg = replace(
            cfg, owned_prefixes=_prefixes(table["owned_prefixes"], f"{where} owned_prefixes")
        )
    if "interface_file_rules" in table:
        cfg = replace(
            cfg,
            interface_file_rules=_bool(
                table["interface_file_rules"], f"{where} interface_file_rules"
            ),
        )
    if "fail_on" in table:
        cfg = replace(cfg, fail_on=_severity(table["fail_on"], f"{where} fail_on"))
    if "per_file" in table:
        entries = table["per_file"]
        if not isinstance(entries, list):
            raise ConfigError(
                f"{where} per_file must be an array of tables ([[tool.qdbusgen.lint.per_file]])"
            )
        per_file: list[PerFile] = []
        for n, entry in enumerate(entries, 1):
            here = f"{where} per_file #{n}"
            if not isinstance(entry, Mapping):
                raise ConfigError(f"{here} must be a table")
            _unknown(entry.keys(), PER_FILE_KEYS, here)
            if "paths" not in entry:
                raise ConfigError(f'{here} needs paths = ["glob", ...]')
            per_file.append(
                PerFile(
                    paths=tuple(_string_list(entry["paths"], f"{here} paths")),
                    ignore=_selectors(entry.get("ignore", []), f"{here} ignore"),
                    severity=_severities(entry.get("severity", {}), f"{here} severity"),
                    interface_file_rules=(
                        _bool(entry["interface_file_rules"], f"{here} interface_file_rules")
                        if "interface_file_rules" in entry
                        else None
                    ),
                )
            )
        cfg = replace(cfg, per_file=tuple(per_file))
    return cfg


def find_config(start: str | Path | None = None) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.qdbusgen]`` table at or above ``start``
    (see :func:`qdbusgen.config.find_pyproject`, the one place that searches)."""
    from ..config import find_pyproject

    return find_pyproject(start)


def load_config(
    path: str | Path | None = None, *, start: str | Path | None = None, section: str = "lint"
) -> LintConfig:
    """Load the lint configuration (``section="diff"``: the ``qdbusgen diff`` one).

    With ``path`` (``--config FILE``): that file, which must exist; its
    ``[tool.qdbusgen.<section>]`` table is used, or, for a file other than pyproject.toml
    without a ``[tool.qdbusgen]`` table, its top level. Without ``path``: the nearest
    pyproject.toml with a ``[tool.qdbusgen]`` table from ``start`` (default: the current
    directory) upwards, else the defaults. Raises :class:`ConfigError`. Reading is done by
    :func:`qdbusgen.config.load_project`.
    """
    from ..config import PYPROJECT, find_pyproject, load_project, qdbusgen_table, read_toml

    if section != "lint" and path is not None:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"configuration file {str(path)!r} does not exist")
        data = read_toml(file)
        if file.name != PYPROJECT and qdbusgen_table(data, file) is None:
            # a bare TOML file given with --config: its top level is this section
            return config_from_mapping(
                data, source=str(path), base_dir=str(file.resolve().parent), section=section
            )
    project = load_project(path if path is not None else find_pyproject(start))
    return project.diff if section == "diff" else project.lint


__all__ = [
    "ConfigError",
    "LintConfig",
    "PerFile",
    "config_from_mapping",
    "find_config",
    "load_config",
]
