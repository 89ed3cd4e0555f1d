"""The hatchling build hook ``qdbusgen``: generate the ``[tool.qdbusgen]`` packages at build time.

A project lists ``qdbusgen`` in ``build-system.requires`` and adds an empty
``[tool.hatch.build.hooks.qdbusgen]`` table; before every build (sdist and wheel) each
target of its ``[tool.qdbusgen]`` is generated into the source tree exactly as
``qdbusgen generate`` with no arguments would (incrementally: unchanged files are not
rewritten) and its files are added to the build as artifacts, so they are included even
when the output directory is ignored by git (the sdist also keeps the directory's marker
file, so that a wheel built from the sdist regenerates it in place). Any finding that stops ``qdbusgen generate`` fails the build,
printed as ``file:line:col: severity: message [RULE]``.

A generated package imports the qdbusgen-runtime distribution (unless its target sets
``vendor_runtime = true``): the hook warns when the project's ``[project] dependencies``
do not list it, since the wheel would then install without what its code imports.

Registered through the ``hatch`` entry point group (see pyproject.toml); hatchling is
only imported by hatchling itself, so qdbusgen does not depend on it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl

from .config import PYPROJECT, ConfigError, load_project
from .diagnostics import Severity
from .generate import GenerateResult, render_target
from .resources import RUNTIME_DISTRIBUTION, RUNTIME_PACKAGE, runtime_api
from .writer import MARKER, OutputError, write_tree


class QdbusgenBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "qdbusgen"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        try:
            project = load_project(root / PYPROJECT)
        except ConfigError as exc:
            self._abort(f"qdbusgen: error: {exc}")
        if not project.targets:
            self._abort(
                f"qdbusgen: error: {root / PYPROJECT} has no target in [tool.qdbusgen] "
                "(inputs and output) for the qdbusgen build hook"
            )
        cwd = os.getcwd()
        os.chdir(root)  # input paths in diagnostics relative to the project, as on its command line
        try:
            rendered: list[tuple[Path, GenerateResult]] = []
            for target in project.targets:
                try:
                    result = render_target(target)
                except ConfigError as exc:
                    self._abort(f"qdbusgen: error: {exc}")
                shown = [d for d in result.diagnostics if d.severity >= Severity.WARNING]
                for d in shown:
                    self.app.display_error(d.format())
                if not result.ok:
                    errors = sum(1 for d in result.diagnostics if d.severity is Severity.ERROR)
                    self._abort(
                        f"qdbusgen: nothing generated for {target.output}: {errors} error(s)"
                    )
                rendered.append((target.output, result))
                if not target.options.vendor_runtime:
                    self._check_runtime_dependency(target.output, root)
            for output, result in rendered:
                try:
                    relative = _relative(output, root)
                    report = write_tree(output, result.files)
                except OutputError as exc:
                    self._abort(f"qdbusgen: error: {exc}")
                self.app.display_info(
                    f"qdbusgen: {relative}: {len(report.written)} written, "
                    f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
                )
                # the sdist keeps the marker (a wheel built from it regenerates in place)
                names = sorted(result.files) + ([MARKER] if self.target_name == "sdist" else [])
                build_data.setdefault("artifacts", []).extend(f"/{relative}/{n}" for n in names)
        finally:
            os.chdir(cwd)

    def _check_runtime_dependency(self, output: Path, root: Path) -> None:
        from packaging.requirements import InvalidRequirement, Requirement

        names = set()
        for text in self.metadata.core.dependencies:
            try:
                names.add(Requirement(text).name.lower().replace("_", "-"))
            except InvalidRequirement:  # hatchling reports it itself
                continue
        if RUNTIME_DISTRIBUTION not in names:
            self.app.display_warning(
                f"qdbusgen: warning: {_relative(output, root)} imports {RUNTIME_PACKAGE}, but "
                f"[project] dependencies does not list {RUNTIME_DISTRIBUTION}: add "
                f'"{RUNTIME_DISTRIBUTION}>={runtime_api()},<{int(runtime_api().split(".")[0]) + 1}" '
                "(or set vendor_runtime = true in the target to carry a copy)"
            )

    def _abort(self, message: str) -> NoReturn:
        self.app.abort(message)
        raise SystemExit(1)  # abort exits; this line is for type checkers


def _relative(output: Path, root: Path) -> str:
    try:
        return output.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise OutputError(
            f"{output} is outside the project {root}: a build hook can only package "
            "what is inside the project"
        ) from None


@hookimpl
def hatch_register_build_hook() -> type[QdbusgenBuildHook]:
    return QdbusgenBuildHook


__all__ = ["QdbusgenBuildHook", "hatch_register_build_hook"]
