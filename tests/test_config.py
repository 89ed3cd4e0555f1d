"""[tool.qdbusgen]: targets in pyproject.toml, generate/check with no arguments, overrides."""

from __future__ import annotations

import shutil
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qdbusgen.cli import cli
from qdbusgen.config import SUBTABLES, ConfigError, load_project

ROOT = Path(__file__).resolve().parent.parent
INTERFACES = ROOT / "interfaces"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def project(tmp_path: Path, toml: str, *xml: str) -> Path:
    (tmp_path / "xml").mkdir(exist_ok=True)
    for name in xml:
        shutil.copy(INTERFACES / name, tmp_path / "xml" / name)
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
    return tmp_path


def mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in directory.iterdir() if p.is_file()}


def test_generate_and_check_with_no_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path,
        """
        [project]
        name = "x"
        [tool.qdbusgen]
        inputs = ["xml/*.xml"]
        output = "src/vmstate_bus"
        [tool.qdbusgen.lint]
        owned_prefixes = ["org.qemu"]
        """,
        "org.qemu.VMState1.xml",
    )
    (root / "sub").mkdir()
    monkeypatch.chdir(root / "sub")  # found by walking up
    result = run("generate")
    assert result.exit_code == 0, result.output
    out = root / "src" / "vmstate_bus"
    assert (out / "vm_state1.py").is_file() and "wrote 3 files" in result.stderr
    before = mtimes(out)
    time.sleep(0.01)
    result = run("generate")
    assert (
        result.exit_code == 0
        and "wrote 0 files" in result.stderr
        and "3 unchanged" in result.stderr
    )
    assert mtimes(out) == before
    assert run("check").exit_code == 0
    xml = root / "xml" / "org.qemu.VMState1.xml"
    xml.write_text(xml.read_text().replace('name="Load"', 'name="Reload"'))
    result = run("check")
    assert result.exit_code == 1 and "+++ b/vm_state1.py" in result.stdout
    assert "async def reload" in result.stdout


def test_several_targets_and_command_line_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path,
        """
        [[tool.qdbusgen.target]]
        inputs = ["xml/org.qemu.VMState1.xml"]
        output = "out/vm"
        server = false
        [[tool.qdbusgen.target]]
        inputs = ["xml/org.qemu.Display1.Listener.xml", "xml/org.qemu.Display1.Listener.*.xml"]
        output = "out/display"
        package = "qemu_display"
        defines = { HOST_OS = "windows" }
        [tool.qdbusgen.diff]
        ignore = ["COMPAT-F001"]
        [tool.qdbusgen.overrides]
        """,
        "org.qemu.VMState1.xml",
        "org.qemu.Display1.Listener.xml",
        "org.qemu.Display1.Listener.Unix.Map.xml",
        "org.qemu.Display1.Listener.Win32.Map.xml",
    )
    monkeypatch.chdir(root)
    assert run("generate", "-q").exit_code == 0
    assert "VMState1Server" not in (root / "out" / "vm" / "vm_state1.py").read_text()
    display = root / "out" / "display"
    assert (display / "listener_win32_map.py").exists()
    assert not (display / "listener_unix_map.py").exists()
    # -D on the command line wins over the table: the Windows module goes, the Unix one comes
    assert run("generate", "-q", "-D", "HOST_OS=linux", "--server").exit_code == 0
    assert (display / "listener_unix_map.py").exists()
    assert not (display / "listener_win32_map.py").exists()
    assert "VMState1Server" in (root / "out" / "vm" / "vm_state1.py").read_text()
    result = run("generate", "-o", "elsewhere")
    assert result.exit_code == 2 and "ambiguous" in result.stderr
    result = run("generate", "xml/org.qemu.VMState1.xml")
    assert result.exit_code == 2 and "-o/--output is required" in result.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[tool.qdbusgen]\ninputs = ["a.xml"]\noutput = "o"\nouptut = "p"\n', "ouptut"),
        ('[tool.qdbusgen]\ninputs = ["*.xml"]\n', "missing output"),
        ('[[tool.qdbusgen.target]]\ninputs = ["a.xml"]\noutput = "o"\nclient = "yes"\n', "client"),
        ('[tool.qdbusgen]\ninputs = ["nothing/*.xml"]\noutput = "o"\n', "matches no file"),
        ("[tool.qdbusgen.lint]\nselekt = []\n", "selekt"),
        ('[tool.qdbusgen]\nlint = "no"\n', "lint must be a table"),
    ],
)
def test_bad_configuration_names_key_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("generate")
    assert result.exit_code == 2, result.output
    assert message in result.stderr and str(tmp_path / "pyproject.toml") in result.stderr
    assert result.stderr.startswith("qdbusgen: error: ") and "Traceback" not in result.stderr


def test_no_configuration_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("generate")
    assert result.exit_code == 2 and "no input files" in result.stderr


def test_known_subtables_are_the_shared_list() -> None:
    assert {"lint", "diff", "overrides", "target"} <= SUBTABLES
    with pytest.raises(ConfigError, match="does not exist"):
        load_project("/nonexistent/pyproject.toml")


def test_depfile_and_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    xml = str(INTERFACES / "org.qemu.VMState1.xml")
    result = run(
        "generate", xml, "-o", "pkg", "--stamp", "b/pkg.stamp", "--depfile", "b/pkg.d", "-q"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "pkg.stamp").exists()
    deps = (tmp_path / "b" / "pkg.d").read_text()
    assert deps.startswith("b/pkg.stamp: ") and xml in deps
    assert (
        str(ROOT / "runtime" / "src" / "qdbusgen_runtime" / "_bus.py") in deps
        and "qdbusgen/render.py" in deps
    )
