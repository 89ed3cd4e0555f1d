"""The wheel is complete: installed without the source tree, it generates the same package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from build_support import ROOT, qdbusgen_wheel

__all__ = ["qdbusgen_wheel"]  # the session fixture (one wheel for every build test)


def test_installed_wheel_generates_identical_output(tmp_path: Path, qdbusgen_wheel: Path) -> None:
    wheel = qdbusgen_wheel
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    out = tmp_path / "out" / "qemu_vmstate"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import qdbusgen, sys; print(qdbusgen.__file__); from qdbusgen.cli import main; main()",
            "generate",
            str(ROOT / "interfaces" / "org.qemu.VMState1.xml"),
            "-o",
            str(out),
            "-q",
        ],
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(target),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "QDBUSGEN_NO_CACHE": "1",
        },
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(target)), "the installed copy ran, not the source tree"
    golden = ROOT / "generated_examples" / "qemu_vmstate"
    for path in sorted(golden.iterdir()):
        if path.is_file():
            assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    # The rule catalogue's examples are package data: --explain shows them from the wheel.
    explain = subprocess.run(
        [sys.executable, "-c", "from qdbusgen.cli import main; main()"]
        + ["lint", "--explain", "COMPAT-B001"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert explain.returncode == 0, explain.stderr
    assert '<interface name="com.example.Sample1">' in explain.stdout
