"""The meson recipe in examples/meson builds with meson and ninja, regenerates when the XML
changes, does nothing when nothing changed, and depends on qdbusgen's own files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XML = "interfaces/org.qemu.VMState1.xml"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # find_program('qdbusgen') finds the one installed with the interpreter running the tests
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_meson_recipe_builds_and_rebuilds_only_on_change(tmp_path: Path) -> None:
    assert shutil.which("meson") and shutil.which("ninja"), "meson and ninja: see .ci/apt-packages"
    source = tmp_path / "src"
    shutil.copytree(ROOT / "examples" / "meson", source / "examples" / "meson")
    (source / "interfaces").mkdir()
    shutil.copy(ROOT / XML, source / XML)
    build = tmp_path / "build"
    setup = run("meson", "setup", str(build), str(source / "examples" / "meson"), cwd=tmp_path)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    first = run("ninja", "-C", str(build), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    package = build / "qemu_vmstate"
    assert (package / "vm_state1.py").is_file() and (package / "__init__.py").is_file()
    mtimes = {p.name: p.stat().st_mtime_ns for p in package.iterdir()}
    again = run("ninja", "-C", str(build), cwd=tmp_path)
    assert again.returncode == 0 and "no work to do" in again.stdout, again.stdout
    deps = run("ninja", "-C", str(build), "-t", "deps", "qemu_vmstate.stamp", cwd=tmp_path)
    for needed in (
        XML,
        "qdbusgen/render.py",
        "qdbusgen_runtime/_bus.py",
        "templates/module.py.jinja",
    ):
        assert needed in deps.stdout, deps.stdout
    xml = source / XML
    xml.write_text(xml.read_text().replace('name="Load"', 'name="Restore"'))
    rebuilt = run("ninja", "-C", str(build), cwd=tmp_path)
    assert rebuilt.returncode == 0 and "no work to do" not in rebuilt.stdout, rebuilt.stdout
    assert "async def restore" in (package / "vm_state1.py").read_text()
    after = {p.name: p.stat().st_mtime_ns for p in package.iterdir()}
    assert after["__init__.py"] == mtimes["__init__.py"], "unchanged files keep their mtime"
    assert after["vm_state1.py"] != mtimes["vm_state1.py"]
