"""``qdbusgen policy``: a dbus-daemon configuration for a private per-VM bus."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import click

from . import api
from .cli import (
    EXIT_OK,
    EXIT_UNUSABLE,
    define_option,
    defines_from,
    exit_status_help,
    print_diagnostics,
)
from .policy import PolicyError, render_policy


def _pyproject_policy(path: Path | None) -> dict[str, Any]:
    """``[tool.qdbusgen.policy]`` of the nearest pyproject.toml (or of ``path``)."""
    candidates = (
        [path]
        if path is not None
        else [d / "pyproject.toml" for d in (Path.cwd(), *Path.cwd().parents)]
    )
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise click.UsageError(f"{candidate}: {exc}") from None
            table = data.get("tool", {}).get("qdbusgen", {}).get("policy", {})
            if not isinstance(table, dict):
                raise click.UsageError(f"{candidate}: [tool.qdbusgen.policy] must be a table")
            unknown = set(table) - {"listen", "qemu_user", "services", "qemu_owns", "qemu_clients"}
            if unknown:
                raise click.UsageError(
                    f"{candidate}: unknown keys in [tool.qdbusgen.policy]: {', '.join(sorted(unknown))}"
                )
            return table
    return {}


@click.command(name="policy", epilog=exit_status_help(None))
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@click.option("--listen", help="Absolute path of the bus socket (unix:path=...).")
@click.option("--qemu-user", help="The user QEMU runs as (name or uid).")
@click.option(
    "--service",
    "services",
    multiple=True,
    metavar="NAME=USER",
    help="A helper's bus name and the user it runs as (repeatable; repeat a NAME for queued helpers).",
)
@click.option(
    "--qemu-owns",
    multiple=True,
    metavar="NAME",
    help="A name QEMU itself owns, e.g. org.qemu for -display dbus (repeatable).",
)
@click.option(
    "--qemu-client",
    "qemu_clients",
    multiple=True,
    metavar="USER",
    help="A user that may call the names QEMU owns (repeatable).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="pyproject.toml to read [tool.qdbusgen.policy] from.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of stdout.",
)
@define_option
def command(
    files: tuple[str, ...],
    listen: str | None,
    qemu_user: str | None,
    services: tuple[str, ...],
    qemu_owns: tuple[str, ...],
    qemu_clients: tuple[str, ...],
    config_path: Path | None,
    output: Path | None,
    defines: tuple[str, ...],
) -> None:
    """Print a dbus-daemon configuration for one VM's private bus.

    Helpers run under their own users; each may own only its bus name; the QEMU user may
    call them (only on the interfaces of FILES, when FILES are given) and receive their
    replies and signals; everybody else is refused. Command-line options override
    [tool.qdbusgen.policy] in pyproject.toml.
    """
    table = _pyproject_policy(config_path)
    mapping: dict[str, list[str]] = {}
    configured = table.get("services", {})
    if not isinstance(configured, dict):
        raise click.UsageError(
            "[tool.qdbusgen.policy] services must be a table of NAME = USER or [USERS]"
        )
    if not services:
        for name, users in configured.items():
            mapping[name] = [users] if isinstance(users, str) else list(users)
    for item in services:
        name, sep, user = item.partition("=")
        if not sep or not name or not user:
            raise click.BadParameter(f"expected NAME=USER, got {item!r}", param_hint="--service")
        mapping.setdefault(name, []).append(user)
    listen_value = listen or table.get("listen")
    qemu_value = qemu_user or table.get("qemu_user")
    if not listen_value or not qemu_value:
        raise click.UsageError(
            "--listen and --qemu-user are required (or listen/qemu_user in [tool.qdbusgen.policy])"
        )
    interfaces: list[str] | None = None
    if files:
        loaded = api.load(files, defines=defines_from(defines))
        if loaded.unusable:
            print_diagnostics(
                [d for d in loaded.diagnostics if d.severity.name == "ERROR"], err=True
            )
            sys.exit(EXIT_UNUSABLE)
        interfaces = sorted({i.name for d in loaded.documents for i in d.interfaces})
    try:
        text = render_policy(
            listen=str(listen_value),
            qemu_user=str(qemu_value),
            services=mapping,
            qemu_owns=list(qemu_owns) or list(table.get("qemu_owns", [])),
            qemu_clients=list(qemu_clients) or list(table.get("qemu_clients", [])),
            interfaces=interfaces,
        )
    except PolicyError as exc:
        click.echo(f"qdbusgen: error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(f"qdbusgen: error: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_UNUSABLE)
    sys.exit(EXIT_OK)
