"""Shared by the build tests: qdbusgen's and qdbusgen-runtime's wheels, built once per session
from this checkout, in one directory.

An isolated build (``pip wheel`` of a project with ``qdbusgen`` in ``build-system.requires``)
installs qdbusgen into a fresh environment from an index; nothing is uploaded, so the
tests point pip at these wheels with ``PIP_FIND_LINKS`` (:func:`pip_env`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


_built: list[Path] = []


@pytest.fixture(scope="session")
def qdbusgen_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built once per session (each module that imports this fixture gets its
    own fixture definition, so the wheel itself is cached here)."""
    if _built:
        return _built[0]
    wheels = tmp_path_factory.mktemp("qdbusgen-wheel")
    for project in (ROOT / "runtime", ROOT):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "-w",
                str(wheels),
                str(project),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
    (wheel,) = wheels.glob("qdbusgen-*.whl")
    _built.append(wheel)
    return wheel


def pip_env(wheel: Path, **extra: str) -> dict[str, str]:
    """The environment for a pip that must find qdbusgen and qdbusgen-runtime in ``wheel``'s
    directory first."""
    env = dict(os.environ)
    links = [str(wheel.parent), *os.environ.get("PIP_FIND_LINKS", "").split()]
    env["PIP_FIND_LINKS"] = " ".join(links)
    env.update(extra)
    return env
