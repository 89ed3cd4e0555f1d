"""Generated code in black's fixed mode: already laid out, or formatted with black in-process.

The renderer lays the code out as black's fixed mode does (``qdbusgen/layout.py``), and
:func:`is_final` decides cheaply whether a module is certainly in that final form: it was
laid out by the renderer (a :class:`~qdbusgen.layout.Layout` came with it, and nothing in
it is uncertain), no line is longer than 100 columns except the long docstring, comment
and string lines black keeps, and it has no trailing whitespace and no run of blank lines
black would shorten. Such a module is returned as it is and black is not even imported.
Anything else (a template line someone added that black would still change, a rare shape
the layout does not settle) goes through black as before: it costs time, never
correctness. The tests hold black as the oracle: every golden, corpus and generated
module must come out of black unchanged.

The user's ``[tool.black]`` is never read: output must not depend on the machine or
the project it is generated in. Black is pinned to one major version in pyproject.toml;
bumping it means regenerating ``generated_examples/``.

Black is most of the cost of a generation run (about 2.5 ms per KiB of code), so its
results are cached on disk, keyed by black's version, the mode and the exact input
text: the same input always gives the same output, so a hit returns exactly what
black would. ``QDBUSGEN_CACHE_DIR`` moves the cache (default
``$XDG_CACHE_HOME/qdbusgen``); ``QDBUSGEN_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import ModuleType

from .layout import LINE_LENGTH, Layout
from .resources import cache_file, write_cache_file


class TemplateBug(RuntimeError):
    """The templates produced code black cannot parse: a qdbusgen bug, never the input's fault."""


@cache
def _black() -> tuple[ModuleType, object]:
    import black  # imported on first use: a fully cached run never pays for it

    mode = black.Mode(
        target_versions={black.mode.TargetVersion.PY311},
        line_length=LINE_LENGTH,
        string_normalization=True,
        is_pyi=False,
        magic_trailing_comma=True,
        preview=False,
    )
    return black, mode


def _black_version() -> str:
    from importlib.metadata import version

    return version("black")


@cache
def _key_prefix() -> str:
    # black's version and this module's code (which holds the mode) key every entry
    return f"black {_black_version()}\n" + Path(__file__).read_text(encoding="utf-8") + "\0"


def _cache_path(source: str) -> Path | None:
    return cache_file("black", _key_prefix() + source, ".py")


def _read_cache(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def is_final(source: str, layout: Layout | None) -> bool:
    """``source`` is certainly black's output already (see the module docstring)."""
    if layout is None or layout.uncertain:
        return False
    if " \n" in source or not source.endswith("\n"):
        return False  # trailing whitespace, or no final newline
    if "\n\n\n\n" in source or "\n\n\n " in source:
        return False  # blank lines black would fold: 3 anywhere, 2 inside a block
    allowed = layout.allowed
    for line in source.split("\n"):
        # (black never splits a comment line)
        if len(line) > LINE_LENGTH and line not in allowed and not line.lstrip().startswith("#"):
            return False
    return True


def format_python(source: str, name: str, layout: Layout | None = None) -> str:
    """``source`` in black's fixed mode: as it is when :func:`is_final`, else through black
    (or its on-disk cache)."""
    if is_final(source, layout):
        return source
    return black_format(source, name)


def black_format(source: str, name: str) -> str:
    """``source`` through black (or its on-disk cache), whatever its layout."""
    path = _cache_path(source)
    cached = _read_cache(path)
    if cached is not None:
        return cached
    black, mode = _black()
    try:
        formatted: str = black.format_str(source, mode=mode)
    except black.parsing.InvalidInput as exc:
        numbered = "\n".join(f"{i + 1:5}: {line}" for i, line in enumerate(source.splitlines()))
        raise TemplateBug(f"generated {name} is not valid Python ({exc}):\n{numbered}") from None
    if path is not None:
        write_cache_file(path, formatted)
    return formatted
