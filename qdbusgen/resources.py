"""Where the templates (source tree or installed wheel) and the runtime distribution live."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
from pathlib import Path

#: The runtime distribution (``runtime/`` in the source tree) and its import name.
RUNTIME_DISTRIBUTION = "qdbusgen-runtime"
RUNTIME_PACKAGE = "qdbusgen_runtime"
#: Where ``--vendor-runtime`` puts a copy of it inside a generated package.
VENDORED_RUNTIME = "_runtime"
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
    """qdbusgen's own modules and templates, and the runtime's modules: what generated output
    depends on besides the XML (a build system's dependency list, e.g. ``qdbusgen generate
    --depfile``)."""
    found = {p for p in _PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    found.update(p for p in templates_dir().iterdir() if p.is_file() and p.suffix != ".pyc")
    found.update(runtime_dir() / name for name in runtime_files())
    return sorted(found)


def runtime_dir() -> Path:
    """The directory of the installed ``qdbusgen_runtime`` package, found without importing it
    (importing it would import dbus-fast, which generating code does not need)."""
    spec = importlib.util.find_spec(RUNTIME_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "qdbusgen-runtime is not installed (pip install qdbusgen-runtime; in a source "
            "checkout: pip install -e ./runtime)"
        )
    return Path(spec.origin).parent


def runtime_files() -> dict[str, str]:
    """The runtime package's files (name -> text), in name order: what ``--vendor-runtime``
    copies into a generated package."""
    directory = runtime_dir()
    names = sorted(p.name for p in directory.iterdir() if p.suffix == ".py" or p.name == "py.typed")
    return {name: (directory / name).read_text(encoding="utf-8") for name in names}


def runtime_source() -> str:
    """Every runtime module's text, in name order, as one string (the naming stage reads the
    runtime's class members and ``__all__`` from it, and keys its shipped table by it)."""
    return "".join(text for name, text in runtime_files().items() if name.endswith(".py"))


def runtime_version() -> str:
    """The installed runtime's version (``_version.py``), read without importing it."""
    text = (runtime_dir() / "_version.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if found is None:  # pragma: no cover - the runtime's own file
        raise RuntimeError(f"{runtime_dir()}/_version.py: no __version__")
    return found.group(1)


def runtime_api() -> str:
    """``MAJOR.MINOR`` of the installed runtime: what generated code requires at import."""
    return ".".join(runtime_version().split(".")[:2])


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
