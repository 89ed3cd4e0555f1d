"""The design-guideline linter: groups A (specification) and B (guidelines) of the rule catalog.

``lint(paths, config)`` is what ``qdbusgen lint`` and the generator call::

    from qdbusgen.lint import lint, load_config
    result = lint(["interfaces/"], load_config())
    for finding in result.findings:
        print(finding.format())
    if result.has_errors: ...

Order of work per file: parse + group A (:func:`qdbusgen.api.load`), group B
(:mod:`.guide`), suppressions in the XML (:mod:`.suppress`), then the configuration
(enabled rules, severity overrides, per-file settings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import api
from ..diagnostics import Diagnostic, Severity
from ..model import RUNTIME_PROVIDED, Document
from ..overrides import Override
from .config import ConfigError, LintConfig, load_config
from .guide import GuideOptions, check_document
from .rules import COMPAT_RULES, RULES, Rule, get_rule
from .suppress import apply, collect, drop_own_annotation_findings, restrict, unused


@dataclass(frozen=True)
class LintResult:
    """What one lint run found, after configuration and suppressions."""

    documents: tuple[Document, ...]
    #: Findings to report, sorted by file, line, column, rule.
    findings: tuple[Diagnostic, ...]
    #: Findings silenced by a suppression in the XML (not reported, kept for tools).
    suppressed: tuple[Diagnostic, ...] = ()
    #: Every input file, as expanded from the given paths.
    files: tuple[str, ...] = ()
    #: Inputs that could not be turned into a model at all.
    failed: tuple[str, ...] = ()
    config: LintConfig = field(default_factory=LintConfig)
    #: The configuration of each file when they differ (inputs from several projects).
    configs: Mapping[str, LintConfig] = field(default_factory=dict)

    def config_of(self, path: str | None) -> LintConfig:
        return self.configs.get(path, self.config) if path is not None else self.config

    @property
    def unusable(self) -> bool:
        return bool(self.failed)

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.findings if d.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def infos(self) -> int:
        return self.count(Severity.INFO)

    @property
    def has_errors(self) -> bool:
        """True when generation should stop (unusable input or an error-level finding)."""
        return self.unusable or self.errors > 0

    def fails(self, fail_on: Severity | None = None) -> bool:
        """A finding at or above ``fail_on`` (default: its own file's ``fail_on``)."""
        return any(
            d.severity
            >= (
                fail_on
                if fail_on is not None
                else self.config_of(d.location.file if d.location else None).fail_on
            )
            for d in self.findings
        )

    def exit_code(self, fail_on: Severity | None = None) -> int:
        """0 clean, 1 findings at or above ``fail_on`` (default: the config's, "error"), 2 unusable input."""
        if self.unusable:
            return 2
        return 1 if self.fails(fail_on) else 0


def lint(
    paths: Iterable[str | Path],
    config: LintConfig | None = None,
    *,
    defines: Mapping[str, str] | None = None,
    config_for: Callable[[str], LintConfig] | None = None,
    overrides: Sequence[Override] = (),
) -> LintResult:
    """Lint introspection XML files (directories: their ``*.xml``) with every rule of groups A
    and B, after ``overrides`` (:mod:`qdbusgen.overrides`).

    ``config_for`` gives each file its own configuration (its project's, see
    :class:`qdbusgen.config.Projects`); otherwise ``config`` applies to every file.
    """
    given = list(paths)
    return lint_loaded(
        api.load(given, defines=defines, overrides=overrides),
        config,
        files=api.expand_inputs(given),
        config_for=config_for,
    )


def name_diagnostics(document: Document) -> list[Diagnostic]:
    """The NAME-* findings for one file generated on its own, client and server."""
    from ..naming import build_names

    interfaces = [i for i in document.interfaces if i.name not in RUNTIME_PROVIDED]
    if not interfaces:
        return []
    return build_names(interfaces)[1]


def lint_loaded(
    loaded: api.LoadResult,
    config: LintConfig | None = None,
    *,
    files: Iterable[str] | None = None,
    config_for: Callable[[str], LintConfig] | None = None,
    names: bool = True,
) -> LintResult:
    """Lint documents already loaded with :func:`qdbusgen.api.load` (the generator's path).

    ``names`` adds the NAME-* findings of each file (as if generated alone); the generator
    turns it off and checks the names of the whole package itself."""
    default = config if config is not None else LintConfig()
    configs: dict[str, LintConfig] = {}
    by_file: dict[str, list[Diagnostic]] = {}
    passthrough: list[Diagnostic] = []
    doc_paths = {d.path for d in loaded.documents}
    for d in loaded.diagnostics:
        if d.location is not None and d.location.file in doc_paths:
            by_file.setdefault(d.location.file, []).append(d)
        else:
            passthrough.append(d)  # unusable input: always reported, never filtered
    findings: list[Diagnostic] = list(passthrough)
    suppressed: list[Diagnostic] = []
    for document in loaded.documents:
        cfg = config_for(document.path) if config_for is not None else default
        if config_for is not None:
            configs[document.path] = cfg
        options = GuideOptions(owned_prefixes=cfg.owned_prefixes)
        index = document.source
        raw = by_file.get(document.path, []) + check_document(document, index, options)
        if names:
            raw += name_diagnostics(document)
        if index is not None:
            raw = drop_own_annotation_findings(raw, index)
            # COMPAT-* suppressions belong to ``qdbusgen diff`` (qdbusgen.compat).
            found = restrict(collect(index), COMPAT_RULES, keep=False)
            raw, silenced = apply(raw, found)
            raw += unused(found)
            suppressed.extend(silenced)
        findings.extend(_configure(raw, cfg, document.path))
    return LintResult(
        documents=loaded.documents,
        findings=tuple(sorted(set(findings), key=Diagnostic.sort_key)),
        suppressed=tuple(sorted(suppressed, key=Diagnostic.sort_key)),
        files=tuple(files) if files is not None else tuple(sorted(doc_paths | set(loaded.failed))),
        failed=loaded.failed,
        config=_common(configs.values(), default),
        configs=configs,
    )


def _common(configs: Iterable[LintConfig], default: LintConfig) -> LintConfig:
    """The one configuration every file had, else ``default``."""
    distinct = set(configs)
    return distinct.pop() if len(distinct) == 1 else default


def _configure(diagnostics: Iterable[Diagnostic], cfg: LintConfig, path: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for d in diagnostics:
        rule = RULES.get(d.rule)
        if rule is not None and rule.group in ("input", "name", "override"):
            out.append(d)
            continue
        if not cfg.enabled(d.rule, path):
            continue
        if rule is not None and not rule.default_enabled and d.rule not in (cfg.select or ()):
            continue  # an opt-in rule: only when ``select`` names it by its id
        severity = cfg.severity_of(d.rule, d.severity, path)
        out.append(d if severity is d.severity else d.with_severity(severity))
    return out


__all__ = [
    "ConfigError",
    "LintConfig",
    "LintResult",
    "RULES",
    "Rule",
    "get_rule",
    "lint",
    "lint_loaded",
    "load_config",
]
