"""qdbusgen's own code passes mypy --strict (as the code it generates does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_qdbusgen_passes_mypy_strict() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "qdbusgen",
            "runtime/src/qdbusgen_runtime",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:]


def test_project_code_is_black_formatted() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "black",
            "--check",
            "--quiet",
            "qdbusgen",
            "runtime",
            "tests",
            "scripts",
            "benchmarks",
            "examples",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (
        "run `black qdbusgen runtime tests scripts benchmarks examples`:\n" + proc.stderr
    )
