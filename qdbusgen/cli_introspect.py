"""``qdbusgen introspect``: read a running service's interfaces (and optionally generate from them)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from .cli import EXIT_OK, EXIT_UNUSABLE, annotate_option, exit_status_help, fail_usage
from .cli import overrides_from
from .config import GenerateOptions
from .model import IFACE_OBJECT_MANAGER
from .introspect import IntrospectError, Target, declares, interface_files, introspect_service
from .writer import OutputError, write_tree


@click.command(
    name="introspect",
    epilog=exit_status_help(
        "with --generate: the service's interfaces have errors (nothing written)"
    ),
)
@click.argument("path", default="/", required=False)
@click.option("--address", metavar="ADDRESS", help="D-Bus address of the bus (or of the peer).")
@click.option("--session", is_flag=True, help="Use the session bus.")
@click.option("--system", is_flag=True, help="Use the system bus.")
@click.option(
    "--p2p",
    is_flag=True,
    help="--address is a peer-to-peer socket (unix:path=...): no bus daemon, no --dest.",
)
@click.option("--dest", metavar="NAME", help="Bus name of the service (required on a bus).")
@click.option(
    "--recursive/--no-recursive",
    default=True,
    show_default=True,
    help="Follow the child nodes the service lists.",
)
@click.option(
    "--include-standard",
    is_flag=True,
    help="Also write the standard org.freedesktop.DBus.* interfaces (Properties, Peer, ...).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds to wait for the connection and for each reply.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Directory for one <interface>.xml per interface (with --generate: the package).",
)
@click.option(
    "--generate",
    "do_generate",
    is_flag=True,
    help="Generate a typed package into -o straight from what the service returned.",
)
@click.option("--package", help="With --generate: the package name (default: -o's name).")
@click.option("--client/--no-client", default=True, help="With --generate: client proxies.")
@click.option("--server/--no-server", default=True, help="With --generate: server base classes.")
@click.option(
    "--overwrite", is_flag=True, help="Replace an output directory qdbusgen did not write."
)
@annotate_option
def command(
    path: str,
    address: str | None,
    session: bool,
    system: bool,
    p2p: bool,
    dest: str | None,
    recursive: bool,
    include_standard: bool,
    timeout: float,
    output: Path | None,
    do_generate: bool,
    package: str | None,
    client: bool,
    server: bool,
    overwrite: bool,
    annotate: tuple[tuple[str, str, str], ...],
) -> None:
    """Introspect PATH (default /) of a running service, and the objects below it.

    Writes one XML file per interface into -o DIR, named after the interface and as the
    service returned it (the standard org.freedesktop.DBus.* interfaces left out unless
    --include-standard), or prints them without -o. With --generate, -o is the package
    generated from them. Nothing is written unless every object could be read.
    """
    if sum((address is not None, session, system)) != 1:
        fail_usage("say where to connect: exactly one of --address, --session or --system")
    if p2p and address is None:
        fail_usage("--p2p needs --address unix:path=SOCKET")
    if dest is None and not p2p:
        fail_usage("--dest NAME is required on a bus (the service's bus name)")
    if do_generate and output is None:
        fail_usage("--generate needs -o PACKAGE_DIR")
    target = Target(address=address, session=session, system=system, p2p=p2p)
    try:
        objects = introspect_service(target, dest, path, recursive=recursive, timeout=timeout)
        files = interface_files(objects, dest=dest, include_standard=include_standard)
    except IntrospectError as exc:
        click.echo(f"qdbusgen: error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    where = f"{dest or 'the peer'} ({len(objects)} object(s) from {path})"
    if not files:
        click.echo(
            f"qdbusgen: error: {where} has no interface to write"
            + ("" if include_standard else " besides the standard ones (--include-standard)"),
            err=True,
        )
        sys.exit(EXIT_UNUSABLE)
    if do_generate:
        assert output is not None
        options = GenerateOptions(
            package=package,
            client=client,
            server=server,
            overrides=tuple(overrides_from(annotate, None)),
            object_manager=declares(objects, IFACE_OBJECT_MANAGER),
        )
        _generate(files, output, options, overwrite)
    if output is None:
        for name in sorted(files):
            click.echo(files[name], nl=False)
        sys.exit(EXIT_OK)
    try:
        write_tree(output, files, overwrite=overwrite)
    except OutputError as exc:
        click.echo(f"qdbusgen: error: {exc}", err=True)
        sys.exit(EXIT_UNUSABLE)
    click.echo(f"wrote {len(files)} interface file(s) from {where} to {output}", err=True)
    sys.exit(EXIT_OK)


def _generate(
    files: dict[str, str], output: Path, options: GenerateOptions, overwrite: bool
) -> None:
    from .cli_generate import report
    from .generate import generate
    from .lint import LintConfig

    with tempfile.TemporaryDirectory(prefix="qdbusgen-introspect-") as tmp:
        paths = []
        for name, text in sorted(files.items()):
            p = Path(tmp) / name
            p.write_text(text, encoding="utf-8")
            paths.append(str(p))
        try:
            # what a service returns is third-party XML: consumer mode, no owned prefixes
            result = generate(paths, output, options, overwrite=overwrite, lint_config=LintConfig())
        except OutputError as exc:
            click.echo(f"qdbusgen: error: {exc}", err=True)
            sys.exit(EXIT_UNUSABLE)
        report(result, output, len(paths), quiet=False, verbose=False)
