"""Where the templates and the runtime support module live (source tree or installed wheel)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

RUNTIME_FILE = "_runtime.py"
_PACKAGE = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """``templates/`` of the source tree (also an editable install), or the copy a wheel
    installs as ``qdbusgen/templates``."""
    for candidate in (_PACKAGE.parent / "templates", _PACKAGE / "templates"):
        if (candidate / "module.py.jinja").is_file():
            return candidate
    raise FileNotFoundError(
        f"qdbusgen's templates are missing (looked beside and inside {_PACKAGE})"
    )


def own_files() -> list[Path]:
    """qdbusgen's own modules and templates: what generated output depends on besides the
    XML (a build system's dependency list, e.g. ``qdbusgen generate --depfile``)."""
    found = {p for p in _PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    found.update(p for p in templates_dir().iterdir() if p.is_file() and p.suffix != ".pyc")
    return sorted(found)


def runtime_path() -> Path:
    return templates_dir() / RUNTIME_FILE


def load_runtime(name: str) -> ModuleType:
    """The runtime module imported straight from its file as ``name`` (each name is an
    independent copy, as in two generated packages); imported once per name."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, runtime_path())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def runtime_source() -> str:
    """The runtime support module every generated package relies on."""
    return runtime_path().read_text(encoding="utf-8")


def cache_dir() -> Path | None:
    """qdbusgen's cache directory (None when ``QDBUSGEN_NO_CACHE`` is set).

    ``QDBUSGEN_CACHE_DIR`` overrides the default ``$XDG_CACHE_HOME/qdbusgen``.
    """
    if os.environ.get("QDBUSGEN_NO_CACHE"):
        return None
    configured = os.environ.get("QDBUSGEN_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "qdbusgen"


def cache_file(kind: str, key: str, suffix: str = ".json") -> Path | None:
    """Where the cached result for ``key`` lives (content-addressed by its SHA-256)."""
    directory = cache_dir()
    if directory is None:
        return None
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return directory / kind / digest[:2] / f"{digest}{suffix}"


def write_cache_file(path: Path, text: str) -> None:
    """Write atomically; a cache that cannot be written only makes the next run slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        pass
