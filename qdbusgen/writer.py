"""Write a generated package atomically: on any error the output directory is as before.

All files are rendered in memory first. They are written into a fresh sibling
directory, which then replaces the output directory in two renames. The writer
owns its output directory: a directory it wrote before (marked by ``MARKER``) is
replaced whole, so stale files disappear; a non-empty directory it did not write is
refused unless ``overwrite`` is set.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: Written into every generated package; its presence proves qdbusgen owns the directory.
MARKER = ".qdbusgen-generated"
MARKER_TEXT = "This directory is written by qdbusgen; it is replaced whole on every run.\n"


class OutputError(Exception):
    """The output directory cannot be written (foreign content, permissions, ...)."""


def is_ours(directory: Path) -> bool:
    return (directory / MARKER).is_file()


def write_tree(directory: Path, files: Mapping[str, str], *, overwrite: bool = False) -> None:
    """Replace ``directory`` with exactly ``files`` (relative path -> text)."""
    directory = directory.resolve() if directory.exists() else directory.absolute()
    if directory.exists():
        if not directory.is_dir():
            raise OutputError(f"{directory} exists and is not a directory")
        if any(directory.iterdir()) and not is_ours(directory) and not overwrite:
            raise OutputError(
                f"{directory} is not empty and was not written by qdbusgen; "
                "choose another directory or pass --overwrite"
            )
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create {parent}: {exc.strerror or exc}") from None
    backup: Path | None = None
    try:
        for relative in sorted(files):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(files[relative])
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        os.chmod(staging, 0o755)
        if directory.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-", dir=parent))
            backup.rmdir()
            os.rename(directory, backup)
        os.rename(staging, directory)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if backup is not None and backup.exists() and not directory.exists():
            os.rename(backup, directory)
        raise OutputError(f"cannot write {directory}: {exc.strerror or exc}") from None
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
