"""Where the templates and the runtime support module live (source tree or installed wheel)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

RUNTIME_FILE = "_runtime.py"


def templates_dir() -> Path:
    """``templates/`` of the source tree, or the copy installed as ``qdbusgen.templates``."""
    here = Path(__file__).resolve().parent.parent / "templates"
    if (here / "module.py.jinja").is_file():
        return here
    return Path(str(resources.files("qdbusgen.templates")))


def runtime_path() -> Path:
    return templates_dir() / RUNTIME_FILE


def runtime_source() -> str:
    """The runtime support module every generated package relies on."""
    return runtime_path().read_text(encoding="utf-8")
