"""Type checkers run with the interpreter that runs the tests, never whatever is first on PATH.

mypy runs as ``sys.executable -m mypy``; pyright (a Node program installed by the ``pyright``
wheel next to this interpreter) is told ``--pythonpath sys.executable``, because on its own it
resolves imports with the first ``python`` on PATH — on a machine whose PATH python lacks
dbus-fast, every generated module would fail with "unknown import symbol".
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest


def pyright_executable() -> str:
    exe = Path(sys.executable).parent / "pyright"
    if not exe.exists():
        pytest.fail(f"pyright is not installed next to {sys.executable} (pip install -e '.[test]')")
    return str(exe)


def run_pyright(
    args: Sequence[str], cwd: Path, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [pyright_executable(), "--pythonpath", sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_mypy(
    args: Sequence[str], cwd: Path, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
