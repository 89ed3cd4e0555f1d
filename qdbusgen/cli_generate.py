"""``qdbusgen generate`` and ``qdbusgen check``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .cli import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    annotate_option,
    define_option,
    defines_from,
    overrides_from,
    print_diagnostics,
    summary_line,
)
from .api import expand_inputs
from .diagnostics import Severity
from .generate import GenerateResult, diff_tree, generate, render_files
from .lint import ConfigError, LintConfig, load_config
from .writer import OutputError


def _lint_config(path: Path | None) -> LintConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"qdbusgen: error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)


_F = TypeVar("_F", bound=Callable[..., Any])


def _common(f: _F) -> _F:
    options = [
        click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str)),
        click.option(
            "-o",
            "--output",
            "output",
            required=True,
            type=click.Path(path_type=Path),
            help="The package directory to write.",
        ),
        click.option(
            "--package", help="Python package name (default: the output directory's name)."
        ),
        click.option(
            "--client/--no-client", default=True, show_default=True, help="Generate client proxies."
        ),
        click.option(
            "--server/--no-server",
            default=True,
            show_default=True,
            help="Generate server base classes.",
        ),
        click.option(
            "--interface-prefix",
            help="Dotted prefix stripped from interface names to make class names (default: the common prefix).",
        ),
        click.option(
            "--runtime-package",
            metavar="PACKAGE",
            help="Import the runtime from PACKAGE._runtime (shared by several generated packages) instead of copying it into this one.",
        ),
        click.option(
            "--force",
            is_flag=True,
            help="Generate despite validity/lint errors (not despite invalid types or name collisions).",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="pyproject.toml with [tool.qdbusgen.lint] (default: the nearest one).",
        ),
        define_option,
        annotate_option,
        click.option(
            "--object-manager/--no-object-manager",
            "object_manager",
            default=None,
            help="Add the typed org.freedesktop.DBus.ObjectManager client module "
            "(default: when an input declares org.freedesktop.DBus.ObjectManager).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def hidden_note(result: GenerateResult) -> str | None:
    """The one line saying what consumer mode left out, or None."""
    if not result.hidden:
        return None
    return (
        f"qdbusgen: {len(result.hidden)} finding(s) for the authors of third-party interfaces "
        "not shown (design guidelines, specification warnings; third-party = outside "
        "owned_prefixes of [tool.qdbusgen.lint]); --all-findings or `qdbusgen lint` shows them"
    )


all_findings_option = click.option(
    "--all-findings",
    is_flag=True,
    help="Show (and stop on) every finding, also the design-guideline ones on third-party "
    "interfaces (outside owned_prefixes), as `qdbusgen lint` does.",
)


@click.command(name="generate")
@_common
@all_findings_option
@click.option(
    "--overwrite", is_flag=True, help="Replace an output directory qdbusgen did not write."
)
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also print info-level findings (design hints); `qdbusgen lint` shows them too.",
)
def command(
    files: tuple[str, ...],
    output: Path,
    package: str | None,
    client: bool,
    server: bool,
    interface_prefix: str | None,
    runtime_package: str | None,
    force: bool,
    config_path: Path | None,
    defines: tuple[str, ...],
    annotate: tuple[tuple[str, str, str], ...],
    object_manager: bool | None,
    all_findings: bool,
    overwrite: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Generate a typed Python package for the interfaces in FILES into OUTPUT.

    FILES get the checks of `qdbusgen lint` first (configured by [tool.qdbusgen.lint]);
    an error stops generation unless --force. Nothing is written on any error.
    """
    lint_config = _lint_config(config_path)
    try:
        result = generate(
            files,
            output,
            package=package,
            client=client,
            server=server,
            defines=defines_from(defines),
            interface_prefix=interface_prefix,
            runtime_package=runtime_package,
            force=force,
            overwrite=overwrite,
            lint_config=lint_config,
            all_findings=all_findings,
            overrides=overrides_from(annotate, config_path),
            object_manager=object_manager,
        )
    except OutputError as exc:
        click.echo(f"qdbusgen: error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    report(result, output, len(expand_inputs(files)), quiet=quiet, verbose=verbose)


def report(
    result: GenerateResult, output: Path, inputs: int, *, quiet: bool, verbose: bool
) -> None:
    """Print what a generate run found and exit with its status."""
    threshold = Severity.ERROR if quiet else Severity.INFO if verbose else Severity.WARNING
    shown = [d for d in result.diagnostics if d.severity >= threshold]
    print_diagnostics(shown, err=True)
    note = hidden_note(result)
    if note is not None and not quiet:
        click.echo(note, err=True)
    if result.unusable:
        sys.exit(EXIT_UNUSABLE)
    if not result.ok:
        click.echo(
            f"qdbusgen: nothing written to {output}: {summary_line(result.diagnostics, inputs)}",
            err=True,
        )
        sys.exit(EXIT_FINDINGS)
    if not quiet:
        click.echo(f"wrote {len(result.files)} files to {output}", err=True)
    sys.exit(EXIT_OK)


@click.command(name="check")
@_common
@all_findings_option
def check_command(
    files: tuple[str, ...],
    output: Path,
    package: str | None,
    client: bool,
    server: bool,
    interface_prefix: str | None,
    runtime_package: str | None,
    force: bool,
    config_path: Path | None,
    defines: tuple[str, ...],
    annotate: tuple[tuple[str, str, str], ...],
    object_manager: bool | None,
    all_findings: bool,
) -> None:
    """Exit 1 (with a diff) when OUTPUT is not what `generate` would write now."""
    lint_config = _lint_config(config_path)
    result = render_files(
        files,
        package=package or output.name,
        client=client,
        server=server,
        defines=defines_from(defines),
        interface_prefix=interface_prefix,
        runtime_package=runtime_package,
        force=force,
        lint_config=lint_config,
        all_findings=all_findings,
        overrides=overrides_from(annotate, config_path),
        object_manager=object_manager,
    )
    if result.unusable or not result.ok:
        print_diagnostics([d for d in result.diagnostics if d.severity is Severity.ERROR], err=True)
        sys.exit(EXIT_UNUSABLE if result.unusable else EXIT_FINDINGS)
    diff = diff_tree(output, result.files)
    if diff:
        click.echo("".join(diff), nl=False)
        click.echo(f"qdbusgen: {output} is out of date; run qdbusgen generate", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"{output} is up to date", err=True)
    sys.exit(EXIT_OK)
