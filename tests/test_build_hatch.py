"""The hatchling build hook: an isolated ``pip wheel`` of examples/hatch_project carries the
generated package; the wheel works in a fresh venv and type-checks with mypy --strict."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from build_support import ROOT, pip_env, qdbusgen_wheel

__all__ = ["qdbusgen_wheel"]  # the session fixture, imported for pytest

EXAMPLE = ROOT / "examples" / "hatch_project"
XML = "xml/com.example.Frobnicator1.xml"

USER_MODULE = """\
from __future__ import annotations

import frob_app
from frob_bus import Frobnicator1FrobbedSignal, Frobnicator1Proxy


async def use(proxy: Frobnicator1Proxy) -> int:
    frobbed: int = await proxy.frob(3)
    level: int = await proxy.get_level()
    return frobbed + level + await frob_app.frob_remote("unix:path=/nonexistent", 1)


def payload(signal: Frobnicator1FrobbedSignal) -> int:
    return signal.frobbed


async def wrong(proxy: Frobnicator1Proxy) -> str:
    return await proxy.frob("hard")  # two errors mypy must report
"""


def copy_example(tmp_path: Path) -> Path:
    project = tmp_path / "hatch_project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("src/frob_bus", "__pycache__"))
    shutil.rmtree(project / "src" / "frob_bus", ignore_errors=True)
    return project


def qdbusgen(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qdbusgen", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_isolated_pip_wheel_carries_the_generated_package(
    tmp_path: Path, qdbusgen_wheel: Path
) -> None:
    project = copy_example(tmp_path)
    dist = tmp_path / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(project)],
        capture_output=True,
        text=True,
        env=pip_env(qdbusgen_wheel),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = dist.glob("frob_example-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "frob_bus/__init__.py",
        "frob_bus/frobnicator1.py",
        "frob_bus/py.typed",
        "frob_app/__init__.py",
    } <= names
    assert not any(n.endswith(".qdbusgen-generated") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        env=pip_env(qdbusgen_wheel),
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    imported = subprocess.run(
        [
            str(python),
            "-c",
            "import frob_bus, frob_app; print(frob_bus.__file__); "
            "print(frob_app.Frobnicator().INTERFACE)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    assert str(venv) in imported.stdout and "com.example.Frobnicator1" in imported.stdout

    user = tmp_path / "user" / "use_frob.py"
    user.parent.mkdir()
    user.write_text(USER_MODULE, encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    mypy += ["--python-executable", str(python), str(user)]
    checked = subprocess.run(mypy, cwd=user.parent, capture_output=True, text=True, check=False)
    errors = [ln for ln in checked.stdout.splitlines() if ": error:" in ln]
    wrong = (
        USER_MODULE.splitlines().index(
            '    return await proxy.frob("hard")  # two errors mypy must report'
        )
        + 1
    )
    # everything type-checks except the two deliberate errors in wrong()
    assert checked.returncode == 1 and len(errors) == 2, checked.stdout
    assert all(ln.startswith(f"use_frob.py:{wrong}: error:") for ln in errors), checked.stdout
    assert "[arg-type]" in checked.stdout and "[return-value]" in checked.stdout


def test_sdist_and_errors_through_hatchling(tmp_path: Path) -> None:
    """hatchling in this venv (not isolated): the sdist carries the generated package and the
    marker; bad XML fails the build with a positioned diagnostic and no traceback."""
    project = copy_example(tmp_path)
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "hatchling", "build", "-d", str(dist)]
    proc = subprocess.run(build + ["-t", "sdist"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (sdist,) = dist.glob("frob_example-*.tar.gz")
    import tarfile

    names = set(tarfile.open(sdist).getnames())
    assert "does not list qdbusgen-runtime" not in proc.stderr  # the example declares it
    assert {
        "frob_example-1.0/src/frob_bus/frobnicator1.py",
        "frob_example-1.0/src/frob_bus/.qdbusgen-generated",
        f"frob_example-1.0/{XML}",
    } <= names
    xml = project / XML
    xml.write_text(
        xml.read_text().replace('type="u" direction="in"', 'type="a{vs}" direction="in"')
    )
    proc = subprocess.run(build + ["-t", "wheel"], cwd=project, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"{XML}:18:" in output and "error:" in output and "DBUS-E" in output, output
    assert "Traceback" not in output, output


def test_the_hook_warns_when_the_project_does_not_depend_on_the_runtime(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert '"qdbusgen-runtime>=1.2,<2", ' in text
    pyproject.write_text(text.replace('"qdbusgen-runtime>=1.2,<2", ', ""))
    build = [
        sys.executable,
        "-m",
        "hatchling",
        "build",
        "-d",
        str(tmp_path / "dist"),
        "-t",
        "wheel",
    ]
    proc = subprocess.run(build, cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "qdbusgen: warning: src/frob_bus imports qdbusgen_runtime, but [project] dependencies "
        "does not list qdbusgen-runtime"
    ) in proc.stdout + proc.stderr
    # a target carrying its own copy needs no such dependency
    text = pyproject.read_text().replace(
        'output = "src/frob_bus"\n', 'output = "src/frob_bus"\nvendor_runtime = true\n'
    )
    pyproject.write_text(text)
    proc = subprocess.run(build, cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0 and "does not list" not in proc.stdout + proc.stderr


def test_generate_and_check_with_no_arguments_in_the_example(tmp_path: Path) -> None:
    project = copy_example(tmp_path)
    out = project / "src" / "frob_bus"
    proc = qdbusgen(project, "generate")
    assert proc.returncode == 0, proc.stderr
    assert (out / "frobnicator1.py").is_file()
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    time.sleep(0.01)
    proc = qdbusgen(project, "generate")
    assert proc.returncode == 0 and "wrote 0 files" in proc.stderr, proc.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before, "no file rewritten"
    assert qdbusgen(project, "check").returncode == 0
    xml = project / XML
    xml.write_text(xml.read_text().replace('name="Frob"', 'name="Twiddle"'))
    proc = qdbusgen(project, "check")
    assert proc.returncode == 1 and "async def twiddle" in proc.stdout, proc.stdout + proc.stderr
