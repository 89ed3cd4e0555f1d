"""``qdbusgen diff``: API compatibility between two versions (rule group C, COMPAT-*).

Loaded on demand by the ``qdbusgen`` group (:data:`qdbusgen.cli._LAZY_COMMANDS`) through ``command``.
Exit status: 0 nothing breaks, 1 a finding at or above ``--fail-on`` (default: error, i.e. a
backwards-incompatible COMPAT-B finding) remains, 2 unusable input or usage.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from . import api
from .cli import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, exit_status_help
from .cli_lint import _split, _use_color, report_options
from .compat import GitError, check_diff_selectors, diff_against, diff_paths, load_diff_config
from .compat import positioned_in_new, summary_line
from .lint import ConfigError, LintConfig
from .lint.output import FORMATS, explain, render
from .lint.rules import RULES, UNUSED_SUPPRESSION


def _usage(message: str) -> NoReturn:
    click.echo(f"qdbusgen diff: error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


def _diff_rules() -> list[str]:
    return [r.id for r in RULES.values() if r.group == "C"] + [UNUSED_SUPPRESSION]


@click.command(
    "diff",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=exit_status_help("a finding at or above --fail-on (default: a COMPAT-B break)"),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--against",
    "rev",
    metavar="REV",
    help="Take the old version of PATHS from this git revision (tag, branch, commit) and "
    "compare the working tree with it.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=str),
    help="TOML file with [tool.qdbusgen.diff] (default: the NEW side's project: the nearest "
    "pyproject.toml with a [tool.qdbusgen] table above it).",
)
@report_options("COMPAT ")
@click.option(
    "--define",
    "-D",
    "defines",
    multiple=True,
    metavar="NAME=VALUE",
    help="Value for QEMU-style conditional processing instructions, applied to both versions "
    "(default HOST_OS: the running platform).",
)
def command(
    paths: tuple[str, ...],
    rev: str | None,
    fmt: str,
    config_file: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    severities: tuple[str, ...],
    fail_on: str | None,
    color: bool | None,
    output: str | None,
    explain_rule: str | None,
    list_rules: bool,
    defines: tuple[str, ...],
) -> None:
    """Report API breaks from an OLD to a NEW version of introspection XML (COMPAT-*).

    \b
      qdbusgen diff OLD NEW                  files or directories of *.xml
      qdbusgen diff --against REV PATHS...   the old version from git (e.g. --against v1.0 interfaces/)

    Interfaces are matched by name across files, members by name, arguments by position.
    Findings are positioned in NEW; removals in OLD. Suppress a finding in the NEW XML with
    <!-- qdbusgen: ignore COMPAT-B002 --> before the element (for a removal: before the
    element that lost it), or <annotation name="org.qdbusgen.Lint.Suppress" value="..."/>.
    """
    if explain_rule is not None:
        rule = RULES.get(explain_rule.strip().upper())
        if rule is None or rule.id not in _diff_rules():
            _usage(f"unknown rule {explain_rule!r} (see qdbusgen diff --list-rules)")
        click.echo(explain(rule))
        sys.exit(EXIT_OK)
    if list_rules:
        for rule_id in _diff_rules():
            rule = RULES[rule_id]
            click.echo(f"{rule.id:<11} {rule.severity.label:<8} {rule.title}")
        sys.exit(EXIT_OK)
    if rev is None and len(paths) != 2:
        _usage("give OLD and NEW (qdbusgen diff OLD NEW), or --against REV PATHS...")
    if rev is not None and not paths:
        _usage("--against REV needs the files or directories to compare (e.g. interfaces/)")
    if rev is not None and (not rev.strip() or rev.startswith("-")):
        _usage(f"--against takes a git revision, not {rev!r}")
    try:
        define_map = api.parse_defines(defines)
    except ValueError as exc:
        _usage(str(exc))
    severity_map: dict[str, str] = {}
    for item in severities:
        rule_id, sep, level = item.partition("=")
        if not sep or not rule_id.strip() or not level.strip():
            _usage(f"--severity takes RULE=LEVEL, not {item!r}")
        severity_map[rule_id.strip()] = level.strip()
    try:
        new_side = (paths[0] if rev else paths[-1]) if paths else None
        config: LintConfig = load_diff_config(config_file, start=new_side)
        config = config.with_overrides(
            select=_split(select) if select else None,
            ignore=_split(ignore),
            severity=severity_map,
            fail_on=fail_on,
        )
        check_diff_selectors(config, "command line")
    except ConfigError as exc:
        _usage(str(exc))

    if rev is not None:
        try:
            result = diff_against(rev, paths, config, defines=define_map)
        except GitError as exc:
            _usage(str(exc))
    else:
        result = diff_paths([paths[0]], [paths[1]], config, defines=define_map)
    use_color = fmt == "text" and output is None and _use_color(color)
    shown = (
        positioned_in_new(result, rev) if rev is not None and fmt in ("sarif", "github") else result
    )
    report = render(shown, fmt, color=use_color, groups=("C", "input", "lint"))
    summary = summary_line(result)
    if output is not None:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(report + ("\n" if report else ""))
        except OSError as exc:
            _usage(f"cannot write {output}: {exc.strerror or exc}")
        click.echo(summary, err=True)
    elif fmt == "text":
        if report:
            click.echo(report, color=use_color)
        click.echo(summary)
    else:
        if report:
            click.echo(report)
        click.echo(summary, err=True)
    sys.exit(result.exit_code())


__all__ = ["command"]
