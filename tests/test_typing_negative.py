"""mypy --strict rejects misuse of generated stubs, and accepts correct use.

tests/typing_negative/misuse.py misuses the golden packages in generated_examples/
(qemu_vmstate, qemu_display): wrong argument types, wrong handler return and
parameter types, unknown members, wrong NamedTuple fields, wrong callback types
for the PropertiesChanged watcher (the only signal those interfaces have). Its
exact mypy output, line numbers included, is tests/typing_negative/expected.txt.
tests/typing_negative/usage_ok.py uses the same stubs correctly and must be clean.

After an intended change of the generated code or of misuse.py, regenerate with::

    cd tests/typing_negative && MYPYPATH=../../generated_examples \\
        python3 -m mypy --config-file mypy.ini --strict --no-incremental misuse.py > expected.txt
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "typing_negative"


def run_mypy(target: str, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MYPYPATH": str(ROOT / "generated_examples"),
        "MYPY_FORCE_COLOR": "0",
        "TERM": "dumb",
    }
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "mypy.ini",
            "--strict",
            "--cache-dir",
            str(cache_dir),
            target,
        ],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


@pytest.fixture(scope="module")
def misuse_output(mypy_cache: Path) -> str:
    out = run_mypy("misuse.py", mypy_cache)
    assert out.returncode == 1, (
        out.stdout + out.stderr
    )  # 1: type errors found (2 would be a crash/usage error)
    return out.stdout


def test_misuse_output_is_exactly_expected(misuse_output: str) -> None:
    expected = (HERE / "expected.txt").read_text(encoding="utf-8")
    assert misuse_output == expected, (
        "mypy output changed; see the module docstring to regenerate:\n" + misuse_output
    )


def test_every_marked_line_and_only_those_is_an_error(misuse_output: str) -> None:
    marked = {
        n
        for n, line in enumerate((HERE / "misuse.py").read_text(encoding="utf-8").splitlines(), 1)
        if "  # E: " in line
    }
    errors = {
        int(m.group(1)) for m in re.finditer(r"^misuse\.py:(\d+): error: ", misuse_output, re.M)
    }
    assert errors == marked


def test_correct_usage_passes_strict(mypy_cache: Path) -> None:
    out = run_mypy("usage_ok.py", mypy_cache)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "Success: no issues found in 1 source file"


def test_a_bare_string_is_not_accepted_for_an_array_of_strings(tmp_path: Path) -> None:
    """`as` args are typed `list[str] | tuple[str, ...]`: a `str` is a `Sequence[str]` and
    dbus-fast would send it as a list of one-character strings."""
    (tmp_path / "bare.py").write_text(
        "from qemu_display import ClipboardProxy\n\n"
        "async def f(p: ClipboardProxy) -> None:\n"
        "    await p.grab(0, 1, ['text/plain'])\n"
        "    await p.grab(0, 1, ('text/plain',))\n"
        "    await p.grab(0, 1, 'text/plain')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(tmp_path / "bare.py")],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT / "generated_examples")},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "bare.py:6:" in errors[0] and '"grab"' in errors[0], proc.stdout
