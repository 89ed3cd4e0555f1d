"""Write a generated package: incrementally, atomically, touching only what qdbusgen wrote.

All files are rendered in memory first. Then:

* a new output directory is written into a fresh sibling directory, renamed into place;
* an existing one is updated in place: a file whose content would not change is not
  written at all (its mtime is kept, so make, ninja and meson see nothing to rebuild);
  every changed or new file is first written in full to a temporary file beside it, and
  only when all of them are written are they renamed over their targets (one atomic
  rename each); then the files qdbusgen wrote before for interfaces that are gone are
  removed. An error before the renames leaves the directory exactly as it was.

The directory's ``MARKER`` file lists the files qdbusgen wrote; nothing else in the
directory is ever touched (``__pycache__``, a user's notes). A non-empty directory
without the marker is refused unless ``overwrite`` is set, and then only the files
qdbusgen writes are replaced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Written into every generated package; its presence proves qdbusgen owns the directory.
MARKER = ".qdbusgen-generated"
MARKER_HEADER = (
    "This directory is written by qdbusgen. The files listed below are its own: they are"
    " rewritten when they change and removed when no longer generated.\n"
)
#: The marker of earlier versions (no list: the whole directory was replaced on every run).
_LEGACY_MARKER = "This directory is written by qdbusgen; it is replaced whole on every run.\n"


class OutputError(Exception):
    """The output directory cannot be written (foreign content, permissions, ...)."""


@dataclass(frozen=True, slots=True)
class WriteReport:
    """What one write changed (relative paths)."""

    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


def is_ours(directory: Path) -> bool:
    return (directory / MARKER).is_file()


def marker_text(files: Mapping[str, str]) -> str:
    return MARKER_HEADER + "".join(f"{rel}\n" for rel in sorted(files))


def owned_files(directory: Path) -> set[str]:
    """The files qdbusgen wrote into ``directory`` (relative paths; empty when not ours)."""
    try:
        text = (directory / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    if text == _LEGACY_MARKER:
        return {
            p.relative_to(directory).as_posix()
            for p in directory.rglob("*")
            if p.is_file() and p.name != MARKER and "__pycache__" not in p.parts
        }
    lines = text.splitlines()[1:]
    return {
        line for line in lines if line and not line.startswith("/") and ".." not in line.split("/")
    }


def write_tree(
    directory: Path, files: Mapping[str, str], *, overwrite: bool = False
) -> WriteReport:
    """Make ``directory`` hold exactly ``files`` (relative path -> text) among the files
    qdbusgen owns there; see the module docstring."""
    directory = directory.resolve() if directory.exists() else directory.absolute()
    if not directory.exists():
        return _write_new(directory, files)
    if not directory.is_dir():
        raise OutputError(f"{directory} exists and is not a directory")
    if any(directory.iterdir()) and not is_ours(directory) and not overwrite:
        raise OutputError(
            f"{directory} is not empty and was not written by qdbusgen; "
            "choose another directory or pass --overwrite"
        )
    return _update(directory, files)


def _encode(text: str) -> bytes:
    return text.encode("utf-8")


def _write_new(directory: Path, files: Mapping[str, str]) -> WriteReport:
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot create {parent}: {exc.strerror or exc}") from None
    try:
        for relative in sorted(files):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_encode(files[relative]))
        (staging / MARKER).write_bytes(_encode(marker_text(files)))
        os.chmod(staging, 0o755)
        os.rename(staging, directory)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write {directory}: {exc.strerror or exc}") from None
    return WriteReport(written=tuple(sorted(files)))


def _update(directory: Path, files: Mapping[str, str]) -> WriteReport:
    owned = owned_files(directory)
    wanted = {rel: _encode(text) for rel, text in files.items()}
    wanted[MARKER] = _encode(marker_text(files))
    changed: list[str] = []
    unchanged: list[str] = []
    for rel in sorted(wanted):
        target = directory / rel
        if target.is_dir() and not target.is_symlink():
            raise OutputError(f"cannot write {target}: it is a directory")
        try:
            same = target.is_file() and target.read_bytes() == wanted[rel]
        except OSError:
            same = False
        (unchanged if same else changed).append(rel)
    stale = sorted(owned - set(files))
    temps: dict[str, Path] = {}
    try:
        for rel in changed:  # phase 1: every new content in full, beside its target
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            temps[rel] = Path(name)
            with os.fdopen(fd, "wb") as fh:
                fh.write(wanted[rel])
            os.chmod(name, 0o644)
    except OSError as exc:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {directory}: {exc.strerror or exc}") from None
    try:
        # phase 2: renames (the marker last, so it never lists a file not yet there)
        for rel in sorted(temps, key=lambda r: r == MARKER):
            os.replace(temps.pop(rel), directory / rel)
        for rel in stale:
            path = directory / rel
            path.unlink(missing_ok=True)
            _prune_empty(path.parent, directory)
    except OSError as exc:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise OutputError(f"cannot update {directory}: {exc.strerror or exc}") from None
    return WriteReport(
        written=tuple(r for r in changed if r != MARKER),
        removed=tuple(stale),
        unchanged=tuple(r for r in unchanged if r != MARKER),
    )


def write_file(path: Path, text: str) -> bool:
    """Write one file atomically (temporary file, then rename); not at all when its content
    is already ``text`` (mtime kept). True when written."""
    data = _encode(text)
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(name, 0o644)
            os.replace(name, path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return True


def _prune_empty(directory: Path, top: Path) -> None:
    while directory != top and top in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
