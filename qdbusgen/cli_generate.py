"""``qdbusgen generate`` and ``qdbusgen check``.

With FILES and ``-o``: that one package; each input is linted with its own project's
``[tool.qdbusgen.lint]`` (or ``--config``). Without FILES: every target of the nearest
pyproject.toml with a ``[tool.qdbusgen]`` table from the current directory up (or of
``--config``), with the options given on the command line on top.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import click

from . import api
from .cli import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, define_option, print_diagnostics
from .cli import annotate_option, exit_status_help, overrides_from, summary_line
from .config import GenerateOptions, Projects, Target, display_path, find_pyproject, load_project
from .diagnostics import Severity
from .generate import GenerateResult, diff_tree, render_files, render_target
from .lint import ConfigError
from .resources import own_files
from .writer import OutputError, WriteReport, write_tree


def _fail(message: str) -> NoReturn:
    click.echo(f"qdbusgen: error: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


#: Options of ``generate`` and ``check`` that set a :class:`GenerateOptions` field of the
#: same name when given: a flag when set, any other when not None (unset: the target's).
_OPTION_FIELDS = (
    "package",
    "client",
    "server",
    "interface_prefix",
    "vendor_runtime",
    "force",
    "all_findings",
    "object_manager",
)
_FLAGS = frozenset({"force", "all_findings"})


@dataclasses.dataclass(frozen=True)
class _Given:
    """What the command line says about the package, collected once by :func:`_common`:
    the :class:`GenerateOptions` fields it sets, ``--define`` and ``--annotate``."""

    changes: Mapping[str, Any]
    defines: tuple[str, ...] = ()
    annotate: tuple[tuple[str, str, str], ...] = ()


def _common(f: Callable[..., None]) -> Callable[..., None]:
    """The options ``generate`` and ``check`` share; ``f`` gets them as one ``given``."""

    @functools.wraps(f)
    def collect(
        *, defines: tuple[str, ...], annotate: tuple[tuple[str, str, str], ...], **params: Any
    ) -> None:
        changes: dict[str, Any] = {}
        for key in _OPTION_FIELDS:
            value = params.pop(key)
            if value if key in _FLAGS else value is not None:
                changes[key] = value
        f(given=_Given(changes, defines, annotate), **params)

    options = [
        click.argument("files", nargs=-1, type=click.Path(path_type=str)),
        click.option(
            "-o",
            "--output",
            "output",
            type=click.Path(path_type=Path),
            help="The package directory to write (required with FILES; without FILES it "
            "replaces the output of the one [tool.qdbusgen] target).",
        ),
        click.option(
            "--package", help="Python package name (default: the output directory's name)."
        ),
        click.option(
            "--client/--no-client",
            default=None,
            help="Generate client proxies [default: yes, or the target's client].",
        ),
        click.option(
            "--server/--no-server",
            default=None,
            help="Generate server base classes [default: yes, or the target's server].",
        ),
        click.option(
            "--interface-prefix",
            help="Dotted prefix stripped from interface names to make class names (default: the common prefix).",
        ),
        click.option(
            "--vendor-runtime/--no-vendor-runtime",
            default=None,
            help="Copy the runtime into the package (PACKAGE._runtime) instead of importing the installed qdbusgen-runtime: a drop-in directory for hosts without pip [default: no, or the target's vendor_runtime].",
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
            help="pyproject.toml (or lint TOML) to use instead of each input's own project "
            "(without FILES: the file whose [tool.qdbusgen] targets are generated).",
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
        collect = option(collect)
    return collect


@dataclasses.dataclass(frozen=True)
class _Job:
    """One package to render: a target, plus per-file lint settings for FILES mode."""

    target: Target
    projects: Projects | None = None

    def render(self) -> GenerateResult:
        if self.projects is None:
            return render_target(self.target)
        options = dataclasses.replace(
            self.target.options, package=self.target.options.package_for(self.target.output)
        )
        return render_files(self.target.inputs, options, config_for=self.projects.lint_for)

    def files(self) -> list[str]:
        return list(self.target.inputs) if self.projects is not None else self.target.files()


def _jobs(
    files: tuple[str, ...], output: Path | None, config_path: Path | None, given: _Given
) -> list[_Job]:
    """What to generate, from FILES or from ``[tool.qdbusgen]``; exits 2 on a bad setup."""
    try:
        given_defines = api.parse_define_items(given.defines)
    except ValueError as exc:
        _fail(str(exc))
    changes = dict(given.changes)
    annotate = given.annotate
    try:
        if files:
            if output is None:
                _fail("-o/--output is required with FILES")
            projects = Projects(config_path)
            inputs = tuple(api.expand_inputs(files))
            projects.check(inputs)
            given_overrides = tuple(overrides_from(annotate, config_path, inputs))
            if given_overrides:
                changes["overrides"] = given_overrides
            options = dataclasses.replace(
                GenerateOptions(), defines=tuple(sorted(given_defines.items())), **changes
            )
            return [_Job(Target(inputs=tuple(files), output=output, options=options), projects)]
        pyproject = config_path or find_pyproject()
        project = load_project(pyproject)
        given_overrides = tuple(overrides_from(annotate, pyproject))
        if given_overrides:
            changes["overrides"] = given_overrides
        if not project.targets:
            where = str(pyproject) if pyproject else f"pyproject.toml from {os.getcwd()} up"
            _fail(
                f"no input files, and no target in [tool.qdbusgen] of {where} "
                "(give FILES -o DIR, or add inputs and output to [tool.qdbusgen])"
            )
        if output is not None and len(project.targets) > 1:
            _fail(f"-o/--output is ambiguous: {project.path} has {len(project.targets)} targets")
        jobs: list[_Job] = []
        for target in project.targets:
            merged = dict(target.options.defines)
            merged.update(given_defines)
            target = target.with_options(defines=tuple(sorted(merged.items())), **changes)
            if output is not None:
                target = dataclasses.replace(target, output=output)
            target.files()  # a pattern that matches nothing fails before any work
            jobs.append(_Job(target))
        return jobs
    except ConfigError as exc:
        _fail(str(exc))


def _quote_make(path: str) -> str:
    return path.replace("\\", "\\\\").replace(" ", "\\ ").replace("#", "\\#").replace("$", "$$")


def _write_depfile(depfile: Path, target: str, jobs: list[_Job]) -> None:
    deps: set[str] = {str(p) for p in own_files()}
    for job in jobs:
        for given in api.expand_inputs(job.files()):
            deps.add(os.path.abspath(given))
        if job.target.source is not None:
            deps.add(str(job.target.source.absolute()))
    text = f"{_quote_make(target)}: " + " \\\n  ".join(_quote_make(d) for d in sorted(deps)) + "\n"
    depfile.parent.mkdir(parents=True, exist_ok=True)
    depfile.write_text(text, encoding="utf-8")


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


@click.command(
    name="generate",
    epilog=exit_status_help("the input has errors (the output directory is left as it was)"),
)
@_common
@all_findings_option
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into a non-empty directory qdbusgen did not write (only its own files).",
)
@click.option(
    "--stamp",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Touch this file after a successful run (an output for make/ninja/meson).",
)
@click.option(
    "--depfile",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a Makefile-syntax dependency file: the stamp (or output) depends on the "
    "inputs, the pyproject.toml and qdbusgen's own files.",
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
    output: Path | None,
    config_path: Path | None,
    given: _Given,
    overwrite: bool,
    stamp: Path | None,
    depfile: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Generate a typed Python package for the interfaces in FILES into OUTPUT, or, with
    no FILES, every target of [tool.qdbusgen] in the nearest pyproject.toml.

    The inputs get the checks of `qdbusgen lint` first (configured by their project's
    [tool.qdbusgen.lint]); an error stops generation unless --force. Nothing is written
    on any error; files whose content is unchanged are not rewritten.
    """
    jobs = _jobs(files, output, config_path, given)
    results: list[tuple[_Job, GenerateResult]] = []
    for job in jobs:  # render everything first: one failing target writes nothing at all
        result = job.render()
        inputs = len(api.expand_inputs(job.files()))
        _stop_unless_ok(result, job.target.output, inputs, quiet=quiet, verbose=verbose)
        results.append((job, result))
    for job, result in results:
        try:
            written = write_tree(job.target.output, result.files, overwrite=overwrite)
        except OutputError as exc:
            _fail(str(exc))
        if not quiet:
            _echo_written(written, job.target.output)
    try:
        if depfile is not None:
            _write_depfile(depfile, str(stamp or jobs[0].target.output), jobs)
        if stamp is not None:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text("", encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {exc.filename}: {exc.strerror or exc}")
    sys.exit(EXIT_OK)


def _stop_unless_ok(
    result: GenerateResult, output: Path, inputs: int, *, quiet: bool, verbose: bool
) -> None:
    """Print what rendering found; exit 2 when an input was unusable, 1 when nothing was
    generated (``inputs``: how many files the summary counts)."""
    threshold = Severity.ERROR if quiet else Severity.INFO if verbose else Severity.WARNING
    print_diagnostics([d for d in result.diagnostics if d.severity >= threshold], err=True)
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


def _echo_written(written: WriteReport, output: Path) -> None:
    click.echo(
        f"wrote {len(written.written)} files to {display_path(str(output))} "
        f"({len(written.unchanged)} unchanged, {len(written.removed)} removed)",
        err=True,
    )


def report(
    result: GenerateResult, output: Path, inputs: int, *, quiet: bool, verbose: bool
) -> None:
    """Print what a generate run found and exit with its status."""
    _stop_unless_ok(result, output, inputs, quiet=quiet, verbose=verbose)
    if not quiet:
        _echo_written(result.report, output)
    sys.exit(EXIT_OK)


@click.command(
    name="check",
    epilog=exit_status_help("OUTPUT is not what generate would write (a diff is printed)"),
)
@_common
@all_findings_option
def check_command(
    files: tuple[str, ...], output: Path | None, config_path: Path | None, given: _Given
) -> None:
    """Exit 1 (with a diff) when OUTPUT is not what `generate` would write now (without
    FILES: every [tool.qdbusgen] target)."""
    jobs = _jobs(files, output, config_path, given)
    stale = False
    for job in jobs:
        result = job.render()
        if result.unusable or not result.ok:
            print_diagnostics(
                [d for d in result.diagnostics if d.severity is Severity.ERROR], err=True
            )
            sys.exit(EXIT_UNUSABLE if result.unusable else EXIT_FINDINGS)
        out = job.target.output
        diff = diff_tree(out, result.files)
        if diff:
            click.echo("".join(diff), nl=False)
            click.echo(f"qdbusgen: {out} is out of date; run qdbusgen generate", err=True)
            stale = True
        else:
            click.echo(f"{out} is up to date", err=True)
    sys.exit(EXIT_FINDINGS if stale else EXIT_OK)


__all__ = ["check_command", "command"]
