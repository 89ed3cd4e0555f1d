"""The ``qdbusgen`` command line (click). Every command is a thin layer over :mod:`qdbusgen.api`.

Exit status everywhere: 0 clean, 1 errors found in the input, 2 unusable input or usage.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click

from . import api
from .diagnostics import Diagnostic, Severity
from .overrides import Override
from .show import to_json, to_tree

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def exit_status_help(findings: str | None) -> str:
    """The ``--help`` epilog that documents a command's exit status (``findings``: what
    exit status 1 means for it; None when the command never exits 1)."""
    lines = ["\b", "Exit status:", "  0  success"]
    if findings is not None:
        lines.append(f"  1  {findings}")
    lines.append(
        "  2  unusable input (unreadable or malformed file) or a usage or configuration error"
    )
    return "\n".join(lines)


EXIT_STATUS_HELP = exit_status_help(
    "findings: errors (lint: at or above --fail-on; check: the output is out of date)"
)

define_option = click.option(
    "--define",
    "-D",
    "defines",
    multiple=True,
    metavar="NAME=VALUE",
    help="Value for QEMU-style conditional processing instructions, e.g. HOST_OS=windows "
    "(default HOST_OS is the running platform).",
)


annotate_option = click.option(
    "--annotate",
    "annotate",
    nargs=3,
    multiple=True,
    metavar="ELEMENT KEY VALUE",
    help="Add an annotation to ELEMENT without editing the XML, as gdbus-codegen's --annotate "
    "(org.x.I, org.x.I.Method(), org.x.I.Method()[arg], org.x.I::Signal, org.x.I:Property); "
    "KEY org.qdbusgen.Python.Name renames, org.qdbusgen.Type / org.qdbusgen.Signature correct "
    "types. Adds to [tool.qdbusgen.overrides].",
)


def overrides_from(
    annotate: Sequence[tuple[str, str, str]],
    config: str | Path | None,
    inputs: Sequence[str] = (),
) -> list[Override]:
    """``[tool.qdbusgen.overrides]``, then the ``--annotate`` options; a table that cannot be
    read is a usage error. The table is --config's; else that of each input's own project
    (the nearest pyproject.toml with a ``[tool.qdbusgen]`` table above the file, as for the
    lint settings); without inputs, the nearest one from the current directory up."""
    from .config import find_pyproject
    from .lint.config import ConfigError
    from .overrides import OverrideError, from_command_line, load_file_overrides

    try:
        if config is not None or not inputs:
            found = load_file_overrides(config)
        else:
            projects = {find_pyproject(path) for path in inputs}
            found = [
                o
                for project in sorted(p for p in projects if p is not None)
                for o in load_file_overrides(project)
            ]
    except (OverrideError, ConfigError) as exc:
        fail_usage(str(exc))
    return found + from_command_line(annotate)


def fail_usage(message: str) -> NoReturn:
    click.echo(f"qdbusgen: error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


def defines_from(items: Sequence[str]) -> dict[str, str]:
    try:
        return api.parse_defines(items)
    except ValueError as exc:
        fail_usage(str(exc))


def print_diagnostics(diagnostics: Sequence[Diagnostic], *, err: bool = False) -> None:
    for d in diagnostics:
        click.echo(d.format(), err=err)


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    counts = {s: 0 for s in Severity}
    for d in diagnostics:
        counts[d.severity] += 1
    return (
        f"{files} file(s): {counts[Severity.ERROR]} error(s), "
        f"{counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} info(s)"
    )


#: Commands that live in their own modules, imported only when used (start-up time).
_LAZY_COMMANDS = {
    "check": ("qdbusgen.cli_generate", "check_command"),
    "diff": ("qdbusgen.cli_diff", "command"),
    "generate": ("qdbusgen.cli_generate", "command"),
    "introspect": ("qdbusgen.cli_introspect", "command"),
    "lint": ("qdbusgen.cli_lint", "command"),
    "policy": ("qdbusgen.cli_policy", "command"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY_COMMANDS:
            from importlib import import_module

            module, attribute = _LAZY_COMMANDS[cmd_name]
            command: click.Command = getattr(import_module(module), attribute)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings=CONTEXT, epilog=EXIT_STATUS_HELP)
def cli() -> None:
    """qdbusgen: D-Bus introspection XML -> validated model, lint, typed Python stubs."""


@cli.command(epilog=exit_status_help("the files have errors (the model is printed all the same)"))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str, readable=False))
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON.")
@define_option
def show(files: tuple[str, ...], as_json: bool, defines: tuple[str, ...]) -> None:
    """Print the model of FILES (a readable tree, or --json)."""
    result = api.load(files, defines=defines_from(defines))
    if as_json:
        click.echo(to_json(list(result.documents)))
    else:
        for document in result.documents:
            click.echo(to_tree(document))
    print_diagnostics([d for d in result.diagnostics if d.severity is Severity.ERROR], err=True)
    if result.unusable:
        sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_FINDINGS if result.errors else EXIT_OK)


@cli.command(epilog=exit_status_help("the files break a rule of the specification (errors)"))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str, readable=False))
@define_option
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
def validate(files: tuple[str, ...], defines: tuple[str, ...], quiet: bool) -> None:
    """Check FILES against the D-Bus specification (rule group A)."""
    result = api.load(files, defines=defines_from(defines))
    shown = [d for d in result.diagnostics if not quiet or d.severity is Severity.ERROR]
    print_diagnostics(shown)
    click.echo(summary_line(result.diagnostics, len(api.expand_inputs(files))), err=True)
    if result.unusable:
        sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_FINDINGS if result.errors else EXIT_OK)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str, readable=False))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=str, dir_okay=False),
    help="The Markdown file to write (default: standard output).",
)
@click.option("--title", default="D-Bus interface reference", show_default=True)
@define_option
def docs(files: tuple[str, ...], output: str | None, title: str, defines: tuple[str, ...]) -> None:
    """Write a Markdown reference of the interfaces in FILES: every method, signal and
    property with its signature, argument docs, access, EmitsChangedSignal, deprecation and
    Since. Nothing is written when the input has errors."""
    from pathlib import Path

    from .docs_md import render_markdown
    from .writer import OutputError, write_file

    result = api.load(files, defines=defines_from(defines))
    print_diagnostics([d for d in result.diagnostics if d.severity is Severity.ERROR], err=True)
    if result.unusable:
        sys.exit(EXIT_UNUSABLE)
    if result.errors:
        sys.exit(EXIT_FINDINGS)
    text = render_markdown(result.documents, title=title)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            write_file(Path(output), text)
        except OutputError as exc:
            fail_usage(str(exc))
    sys.exit(EXIT_OK)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: never lets a Python traceback reach the user."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="qdbusgen",
            standalone_mode=True,
        )
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("qdbusgen: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug in qdbusgen, not bad input: say so, without a traceback
        if os.environ.get("QDBUSGEN_DEBUG"):
            raise
        click.echo(
            f"qdbusgen: internal error: {type(exc).__name__}: {exc} "
            "(this is a qdbusgen bug; QDBUSGEN_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(EXIT_UNUSABLE)
