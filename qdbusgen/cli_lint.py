"""``qdbusgen lint``: rule groups A and B on introspection XML, in four output formats.

Loaded on demand by the ``qdbusgen`` group (:data:`qdbusgen.cli._LAZY_COMMANDS`) through ``command``.
Exit status: 0 nothing at or above ``--fail-on``, 1 findings, 2 unusable input or usage.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from . import api
from .cli import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, annotate_option, exit_status_help
from .cli import overrides_from
from .config import Projects
from .lint import ConfigError, LintConfig, lint
from .lint.output import FORMATS, explain, render, summary_line
from .lint.rules import RULES

SEVERITIES = ("error", "warning", "info")


def _usage(message: str) -> NoReturn:
    click.echo(f"qdbusgen lint: error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


_F = TypeVar("_F", bound=Callable[..., Any])


def report_options(rules: str) -> Callable[[_F], _F]:
    """The options ``lint`` and ``diff`` share: which rules, their severities, what fails
    the run, and where the report goes (``rules``: "" or e.g. "COMPAT ")."""
    options = [
        click.option(
            "--select",
            multiple=True,
            metavar="RULES",
            help="Only these rule ids/prefixes (replaces the file's select and ignore).",
        ),
        click.option(
            "--ignore", multiple=True, metavar="RULES", help="Also ignore these rule ids/prefixes."
        ),
        click.option(
            "--severity",
            "severities",
            multiple=True,
            metavar="RULE=LEVEL",
            help="Override a rule's severity (error, warning, info).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(SEVERITIES),
            default=None,
            help="Lowest severity that makes the exit status 1 [default: error].",
        ),
        click.option(
            "--color/--no-color",
            "color",
            default=None,
            help="Colour the text output (default: when stdout is a terminal).",
        ),
        click.option(
            "--output",
            "-o",
            "output",
            type=click.Path(dir_okay=False, path_type=str),
            help="Write the report to this file instead of stdout.",
        ),
        click.option(
            "--explain",
            "explain_rule",
            metavar="RULE",
            help=f"Explain a {rules}rule (rationale, detection, examples) and exit.",
        ),
        click.option(
            "--list-rules",
            is_flag=True,
            help=f"List every {rules}rule with its default severity and exit.",
        ),
    ]

    def apply(f: _F) -> _F:
        for option in reversed(options):
            f = option(f)
        return f

    return apply


def _split(values: tuple[str, ...]) -> list[str]:
    """Repeatable options that also take comma-separated lists."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _use_color(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@click.command(
    "lint",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=exit_status_help("findings at or above --fail-on (default: errors)"),
)
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
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
    help="TOML file with [tool.qdbusgen.lint] for every input (default: each file's "
    "project: the nearest pyproject.toml with a [tool.qdbusgen] table above the file).",
)
@report_options("")
@click.option(
    "--owned-prefix",
    "owned",
    multiple=True,
    metavar="PREFIX",
    help="A namespace this project may define (e.g. org.qemu); adds to the file's owned_prefixes.",
)
@click.option(
    "--interface-file-rules/--no-interface-file-rules",
    "file_rules",
    default=None,
    help="Check (or not) the interface-file rules GUIDE-I101/I102; switch off for live introspection dumps.",
)
@click.option(
    "--define",
    "-D",
    "defines",
    multiple=True,
    metavar="NAME=VALUE",
    help="Value for QEMU-style conditional processing instructions (default HOST_OS: the running platform).",
)
@annotate_option
def command(
    files: tuple[str, ...],
    fmt: str,
    config_file: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    severities: tuple[str, ...],
    owned: tuple[str, ...],
    file_rules: bool | None,
    fail_on: str | None,
    color: bool | None,
    output: str | None,
    explain_rule: str | None,
    list_rules: bool,
    defines: tuple[str, ...],
    annotate: tuple[tuple[str, str, str], ...],
) -> None:
    """Check FILES (or directories of *.xml) against the D-Bus specification (DBUS-*) and the
    D-Bus API design guidelines (GUIDE-*).

    Suppress a finding in the XML with <annotation name="org.qdbusgen.Lint.Suppress"
    value="RULE ..."/> on the element, or a comment <!-- qdbusgen: ignore RULE ... --> right
    before it.
    """
    if explain_rule is not None:
        rule = RULES.get(explain_rule.strip().upper())
        if rule is None:
            _usage(f"unknown rule {explain_rule!r} (see qdbusgen lint --list-rules)")
        click.echo(explain(rule))
        sys.exit(EXIT_OK)
    if list_rules:
        for rule in RULES.values():
            if rule.group == "C":  # qdbusgen diff --list-rules
                continue
            click.echo(f"{rule.id:<11} {rule.severity.label:<8} {rule.title}")
        sys.exit(EXIT_OK)
    if not files:
        _usage("no input files (qdbusgen lint FILES...)")
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

    def adjust(config: LintConfig) -> LintConfig:
        return config.with_overrides(
            select=_split(select) if select else None,
            ignore=_split(ignore),
            severity=severity_map,
            owned_prefixes=_split(owned),
            interface_file_rules=file_rules,
            fail_on=fail_on,
        )

    try:
        projects = Projects(config_file, adjust)
        inputs = api.expand_inputs(files)
        projects.check(inputs)
    except ConfigError as exc:
        _usage(str(exc))

    result = lint(
        files,
        projects.default,
        defines=define_map,
        config_for=projects.lint_for,
        overrides=overrides_from(annotate, config_file, inputs),
    )
    use_color = fmt == "text" and output is None and _use_color(color)
    report = render(result, fmt, color=use_color, groups=("A", "B", "input", "lint"))
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
    if result.unusable:
        sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_FINDINGS if result.fails() else EXIT_OK)


__all__ = ["command"]
