"""Where the templates and the runtime support module live (source tree or installed wheel)."""

from __future__ import annotations

from pathlib import Path

RUNTIME_FILE = "_runtime.py"
_PACKAGE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """``templates/`` of the source tree (also an editable install), or the copy a wheel
    installs as ``qdbusgen/templates``."""
    for candidate in (_PACKAGE.parent / "templates", _PACKAGE / "templates"):
        if (candidate / "module.py.jinja").is_file():
            return candidate
    raise FileNotFoundError(f"qdbusgen's templates are missing (looked beside and inside {_PACKAGE})")


def runtime_path() -> Path:
    return templates_dir() / RUNTIME_FILE


def runtime_source() -> str:
    """The runtime support module every generated package relies on."""
    return runtime_path().read_text(encoding="utf-8")
