"""Generated packages and the runtime distribution (qdbusgen-runtime, runtime/ here).

By default a generated package imports the installed ``qdbusgen_runtime`` and checks its
version at import; ``--vendor-runtime`` copies the runtime into the package instead, for a
host without pip. Sharing of classes and registries between two packages is tested in
tests/test_e2e_bus.py.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from qdbusgen.cli import cli
from qdbusgen.resources import runtime_api, runtime_version

ROOT = Path(__file__).resolve().parent.parent
VMSTATE = ROOT / "interfaces" / "org.qemu.VMState1.xml"


def generate(out: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["generate", str(VMSTATE), "-o", str(out), "-q", *args])
    assert result.exit_code == 0, result.output


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_generated_modules_import_the_runtime_and_require_its_version(tmp_path: Path) -> None:
    generate(tmp_path / "pkg")
    module = (tmp_path / "pkg" / "vm_state1.py").read_text()
    assert "import qdbusgen_runtime as _rt\n" in module
    assert f'_rt.require_version("{runtime_api()}", __name__)\n' in module
    assert not (tmp_path / "pkg" / "_runtime").exists()
    assert runtime_version().startswith(runtime_api() + ".")


def test_a_package_for_a_newer_runtime_refuses_to_import_naming_both_versions(
    tmp_path: Path,
) -> None:
    generate(tmp_path / "pkg")
    module = tmp_path / "pkg" / "vm_state1.py"
    major, minor = runtime_api().split(".")
    newer = f"{major}.{int(minor) + 3}"
    module.write_text(module.read_text().replace(f'"{runtime_api()}"', f'"{newer}"'))
    proc = run_python("import pkg", tmp_path)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ImportError: pkg.vm_state1 was generated for qdbusgen-runtime {newer}")
    assert f"but qdbusgen-runtime {runtime_version()} is installed" in last
    assert f"'qdbusgen-runtime>={newer},<{int(major) + 1}'" in last


def test_a_package_refuses_a_runtime_of_another_major_version(tmp_path: Path) -> None:
    generate(tmp_path / "pkg")
    proc = run_python(
        """
        import qdbusgen_runtime
        qdbusgen_runtime.__version__ = "2.0.0"   # as if qdbusgen-runtime 2.0 were installed
        import pkg
        """,
        tmp_path,
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 1 and "qdbusgen-runtime 2.0.0 is installed" in last, proc.stderr
    assert f"generated for qdbusgen-runtime {runtime_api()}" in last


def test_vendored_runtime_round_trips_without_the_distribution(tmp_path: Path, bus: object) -> None:
    generate(tmp_path / "drop_in", "--vendor-runtime")
    package = tmp_path / "drop_in"
    assert sorted(p.name for p in (package / "_runtime").iterdir()) == sorted(
        p.name
        for p in Path(__import__("qdbusgen_runtime").__file__).parent.iterdir()
        if p.suffix == ".py" or p.name == "py.typed"
    )
    assert "qdbusgen_runtime" not in "".join(
        p.read_text() for p in package.glob("*.py")
    ), "a vendored package must not name the distribution"
    proc = run_python(
        f"""
        import asyncio, importlib.util, sys
        # the distribution is absent: off the path, and refused if anything asks for it
        sys.path = [p for p in sys.path if not p.endswith("runtime/src")]
        sys.modules["qdbusgen_runtime"] = None
        import drop_in

        class Helper(drop_in.VMState1Server):
            async def get_id(self) -> str:
                return "vendored"
            async def save(self) -> bytes:
                return b"state"
            async def load(self, data: bytes) -> None:
                self.loaded = data

        async def main() -> None:
            server = await drop_in.connect({getattr(bus, "address")!r})
            client = await drop_in.connect({getattr(bus, "address")!r})
            helper = Helper()
            helper.export(server, "/org/qemu/VMState1")
            proxy = drop_in.VMState1Proxy(client, server.unique_name, "/org/qemu/VMState1")
            assert await proxy.get_id() == "vendored"
            assert await proxy.save() == b"state"
            await proxy.load(b"back")
            assert helper.loaded == b"back"
            try:
                await proxy._call_iface("org.qemu.VMState1", "Nope", "", [], "")
            except drop_in.DBusError as e:
                print("error", e.name)
            print("runtime", drop_in.ProxyBase.__module__)
            server.disconnect(); client.disconnect()

        asyncio.run(asyncio.wait_for(main(), 20))
        print("imported", sorted(m for m in sys.modules if m.startswith("qdbusgen")))
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "error org.freedesktop.DBus.Error.UnknownMethod" in proc.stdout
    assert "runtime drop_in._runtime.client" in proc.stdout
    assert "imported ['qdbusgen_runtime']" in proc.stdout  # only the refused placeholder
