"""The project configuration: ``[tool.qdbusgen]`` in pyproject.toml, found from the inputs.

This module is the one place that finds and reads pyproject.toml files. Two questions:

* **Which configuration applies to an input file?** The nearest pyproject.toml above the
  file that has a ``[tool.qdbusgen]`` table (as ruff does with ``[tool.ruff]``); a file
  with none above it gets the defaults. Every input is configured by its own project:
  files from several projects in one run are grouped by project, and each group gets
  its project's ``[tool.qdbusgen.lint]``. An explicit ``--config FILE`` applies to every
  input. (:class:`Projects`)
* **What does ``qdbusgen generate`` with no arguments generate?** The targets of the
  nearest pyproject.toml with a ``[tool.qdbusgen]`` table from the current directory up
  (:func:`load_project`), either the one-target form::

      [tool.qdbusgen]
      inputs = ["xml/*.xml"]              # paths or globs, relative to this file
      output = "src/example_bus"          # the package directory
      package = "example_bus"             # default: the output directory's name
      client = true                       # generate proxies
      server = true                       # generate server base classes
      defines = { HOST_OS = "linux" }     # for <?if $(env.NAME) == value?>
      interface_prefix = "org.example."   # stripped from class names
      vendor_runtime = false              # true: copy the runtime into the package

  or several ``[[tool.qdbusgen.target]]`` tables with the same keys. The inputs of a
  target are linted with the ``[tool.qdbusgen.lint]`` of the file that declares it.

An unknown key is a :class:`~qdbusgen.lint.config.ConfigError` naming the key and the
file. The known keys are :data:`TARGET_KEYS` and :data:`SUBTABLES`; the subtables other
than ``target`` are validated by their owners (``lint``: :mod:`qdbusgen.lint.config`).
"""

from __future__ import annotations

import glob
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .lint.config import ConfigError, LintConfig, config_from_mapping

if TYPE_CHECKING:
    from .overrides import Override

PYPROJECT = "pyproject.toml"

#: Keys of one target: directly in ``[tool.qdbusgen]`` or in each ``[[tool.qdbusgen.target]]``.
TARGET_KEYS = frozenset(
    {
        "inputs",
        "output",
        "package",
        "client",
        "server",
        "defines",
        "interface_prefix",
        "vendor_runtime",
    }
)
#: Subtables of ``[tool.qdbusgen]``. Add a new one here (and validate its content where it
#: is used); anything else in ``[tool.qdbusgen]`` is an error.
SUBTABLES = frozenset({"lint", "diff", "overrides", "target"})


@dataclass(frozen=True, slots=True)
class GenerateOptions:
    """Everything that decides what a generated package looks like, apart from its inputs.

    Built from ``[tool.qdbusgen]``, the command line or a build hook, and passed as one
    object down to rendering.
    """

    #: Python package name; None: the output directory's name.
    package: str | None = None
    client: bool = True
    server: bool = True
    #: Values for conditional processing instructions, on top of the platform defaults.
    defines: tuple[tuple[str, str], ...] = ()
    interface_prefix: str | None = None
    #: Copy the runtime into the package (``_runtime/``) instead of importing
    #: ``qdbusgen_runtime``.
    vendor_runtime: bool = False
    #: Generate despite validity/lint errors.
    force: bool = False
    #: Show guideline findings on third-party interfaces too (no consumer mode).
    all_findings: bool = False
    #: Annotations, names and signatures added to the inputs (:mod:`qdbusgen.overrides`).
    overrides: tuple["Override", ...] = ()
    #: Add the typed ObjectManager client; None: when an input declares the interface.
    object_manager: bool | None = None

    def define_map(self) -> dict[str, str]:
        """The platform defaults (``HOST_OS``) updated with :attr:`defines`."""
        from .parser import default_defines

        values = default_defines()
        values.update(self.defines)
        return values

    def package_for(self, output: Path) -> str:
        return self.package or output.name


@dataclass(frozen=True, slots=True)
class Target:
    """One package to generate: its inputs, where it goes and how it looks."""

    #: Input paths or globs as written (relative to :attr:`base_dir` unless absolute).
    inputs: tuple[str, ...]
    output: Path
    options: GenerateOptions = field(default_factory=GenerateOptions)
    #: The lint configuration its inputs are checked with.
    lint: LintConfig = field(default_factory=LintConfig)
    #: The pyproject.toml that declares it (None: built in code).
    source: Path | None = None
    base_dir: Path = field(default_factory=Path)
    #: Where in the file: "[tool.qdbusgen]" or "[[tool.qdbusgen.target]] #N".
    where: str = "[tool.qdbusgen]"

    def files(self) -> list[str]:
        """The input files and directories the patterns match, sorted, as paths relative
        to the current directory when below it. A pattern that matches nothing is a
        :class:`ConfigError`."""
        out: set[str] = set()
        for pattern in self.inputs:
            full = pattern if os.path.isabs(pattern) else str(self.base_dir / pattern)
            if glob.has_magic(pattern):
                matches = glob.glob(full, recursive=True)
            else:
                matches = [full] if os.path.exists(full) else []
            if not matches:
                raise ConfigError(f"{self._here()}: inputs: {pattern!r} matches no file")
            out.update(display_path(m) for m in matches)
        return sorted(out)

    def with_options(self, **changes: Any) -> "Target":
        """This target with some options replaced (command-line overrides)."""
        from dataclasses import replace

        return replace(self, options=replace(self.options, **changes))

    def _here(self) -> str:
        return f"{self.source}: {self.where}" if self.source else self.where


@dataclass(frozen=True, slots=True)
class Project:
    """What one pyproject.toml says to qdbusgen (the defaults when there is none)."""

    path: Path | None
    lint: LintConfig
    targets: tuple[Target, ...]
    #: ``[tool.qdbusgen.diff]``, the configuration of ``qdbusgen diff``.
    diff: LintConfig = field(default_factory=LintConfig)
    #: The whole ``[tool.qdbusgen]`` table, for the owners of the other subtables.
    table: Mapping[str, Any] = field(default_factory=dict)


def display_path(path: str) -> str:
    """``path`` relative to the current directory when below it, else as given."""
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def qdbusgen_table(data: Mapping[str, Any], path: Path) -> Mapping[str, Any] | None:
    """``[tool.qdbusgen]`` of a parsed pyproject.toml, or None when it has none."""
    tool = data.get("tool")
    if not isinstance(tool, Mapping):
        return None
    table = tool.get("qdbusgen")
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: [tool.qdbusgen] must be a table")
    return table


def find_pyproject(start: str | Path | None = None) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.qdbusgen]`` table at or above ``start``
    (a directory, or a file: its directory; default: the current directory)."""
    here = Path(start if start is not None else os.getcwd()).absolute()
    if not here.is_dir():
        here = here.parent
    here = here.resolve()
    for directory in (here, *here.parents):
        candidate = directory / PYPROJECT
        if candidate.is_file() and qdbusgen_table(read_toml(candidate), candidate) is not None:
            return candidate
    return None


def load_project(path: str | Path | None) -> Project:
    """Read ``path`` (a pyproject.toml, or any TOML file given with ``--config``).

    ``None`` gives the defaults. A file that is not a pyproject.toml and has no
    ``[tool.qdbusgen]`` table is read as a bare lint table (the ``--config lint.toml``
    form). Raises :class:`ConfigError`.
    """
    if path is None:
        return Project(None, LintConfig(), ())
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"configuration file {str(path)!r} does not exist")
    data = read_toml(file)
    table = qdbusgen_table(data, file)
    base = file.resolve().parent
    if table is None:
        if file.name == PYPROJECT:
            return Project(file, LintConfig(source=str(file), base_dir=str(base)), ())
        lint = config_from_mapping(data, source=str(path), base_dir=str(base))
        return Project(file, lint, ())
    where = f"{file}: [tool.qdbusgen]"
    allowed = TARGET_KEYS | SUBTABLES
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    for name in SUBTABLES - {"target"}:
        if name in table and not isinstance(table[name], Mapping):
            raise ConfigError(f"{where}: {name} must be a table ([tool.qdbusgen.{name}])")
    lint = config_from_mapping(table.get("lint", {}), source=str(file), base_dir=str(base))
    targets: list[Target] = []
    top = {k: v for k, v in table.items() if k in TARGET_KEYS}
    if top:
        targets.append(_target(top, file, base, "[tool.qdbusgen]", lint))
    entries = table.get("target", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: target must be an array of tables ([[tool.qdbusgen.target]])")
    for n, entry in enumerate(entries, 1):
        here = f"[[tool.qdbusgen.target]] #{n}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{file}: {here} must be a table")
        targets.append(_target(entry, file, base, here, lint))
    diff = config_from_mapping(
        table.get("diff", {}), source=str(file), base_dir=str(base), section="diff"
    )
    return Project(file, lint, tuple(targets), diff, table)


def _target(
    table: Mapping[str, Any], file: Path, base: Path, where: str, lint: LintConfig
) -> Target:
    here = f"{file}: {where}"
    unknown = sorted(set(table) - TARGET_KEYS)
    if unknown:
        raise ConfigError(
            f"{here}: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(TARGET_KEYS))})"
        )
    for required in ("inputs", "output"):
        if required not in table:
            raise ConfigError(f"{here}: missing {required} (a target needs inputs and output)")
    inputs = table["inputs"]
    if isinstance(inputs, str):
        inputs = [inputs]
    if (
        not isinstance(inputs, list)
        or not inputs
        or not all(isinstance(i, str) and i for i in inputs)
    ):
        raise ConfigError(f"{here}: inputs must be a non-empty list of paths or globs")
    output = _string(table, "output", here)
    assert output is not None
    defines = table.get("defines", {})
    if not isinstance(defines, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in defines.items()
    ):
        raise ConfigError(f'{here}: defines must be a table of NAME = "value" strings')
    options = GenerateOptions(
        package=_string(table, "package", here),
        client=_flag(table, "client", here),
        server=_flag(table, "server", here),
        defines=tuple(sorted(defines.items())),
        interface_prefix=_string(table, "interface_prefix", here),
        vendor_runtime=_flag(table, "vendor_runtime", here, default=False),
    )
    out = Path(output)
    return Target(
        inputs=tuple(inputs),
        output=out if out.is_absolute() else base / out,
        options=options,
        lint=lint,
        source=file,
        base_dir=base,
        where=where,
    )


def _string(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigError(f"{where}: {key} must be a non-empty string")
    return value


def _flag(table: Mapping[str, Any], key: str, where: str, default: bool = True) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


class Projects:
    """Each input file's configuration: its project's (see the module docstring), reading
    every pyproject.toml once. ``explicit`` (``--config``) applies to every file;
    ``adjust`` puts command-line overrides on top of each project's lint settings."""

    def __init__(
        self,
        explicit: str | Path | None = None,
        adjust: Callable[[LintConfig], LintConfig] | None = None,
    ) -> None:
        self._adjust = adjust or (lambda c: c)
        self._explicit = self._adjust(load_project(explicit).lint) if explicit else None
        self._by_dir: dict[Path, Path | None] = {}
        self._lint: dict[Path | None, LintConfig] = {}

    @property
    def default(self) -> LintConfig:
        """The configuration of findings that belong to no input file."""
        return self._explicit if self._explicit is not None else self._adjust(LintConfig())

    def pyproject_for(self, path: str | Path) -> Path | None:
        directory = Path(path).absolute()
        if not directory.is_dir():
            directory = directory.parent
        if directory not in self._by_dir:
            self._by_dir[directory] = find_pyproject(directory)
        return self._by_dir[directory]

    def lint_for(self, path: str | Path) -> LintConfig:
        """The lint configuration for one input file."""
        if self._explicit is not None:
            return self._explicit
        project = self.pyproject_for(path)
        if project not in self._lint:
            self._lint[project] = self._adjust(load_project(project).lint)
        return self._lint[project]

    def check(self, paths: Iterable[str | Path]) -> None:
        """Read the configuration of every input now (a bad file fails before any work)."""
        for p in paths:
            self.lint_for(p)


__all__ = [
    "ConfigError",
    "GenerateOptions",
    "PYPROJECT",
    "Project",
    "Projects",
    "SUBTABLES",
    "TARGET_KEYS",
    "Target",
    "find_pyproject",
    "load_project",
]
