"""generated_examples/ is exactly what the generator writes now, and it type-checks strictly."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "regen_examples", ROOT / "scripts" / "regen_examples.py"
)
assert spec is not None and spec.loader is not None
regen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regen)

from qdbusgen import naming, render  # noqa: E402
from qdbusgen.generate import diff_tree  # noqa: E402
from qdbusgen.resources import runtime_source  # noqa: E402

from tools import run_pyright  # noqa: E402


@pytest.mark.parametrize("name", sorted(regen.EXAMPLES))
def test_golden_matches_generator(name: str) -> None:
    result = regen.render_example(name)
    assert result.ok, [d.format() for d in result.diagnostics]
    diff = diff_tree(ROOT / "generated_examples" / name, result.files)
    assert not diff, (
        "generated_examples/ is stale; review and run `python scripts/regen_examples.py`:\n"
        + "".join(diff[:200])
    )


def test_shipped_runtime_names_are_fresh() -> None:
    # a stale table is only slower (the names are read from the runtime again), but it is
    # what makes a cold run fast: regenerate it with the goldens
    assert (
        naming.SHIPPED_RUNTIME_NAMES.read_text(encoding="utf-8") == regen.runtime_names_text()
    ), "qdbusgen/runtime_names.json is stale; run `python scripts/regen_examples.py`"
    assert naming._load_runtime() == naming.runtime_names_from_source(runtime_source())


def test_shipped_compiled_templates_are_fresh_and_used() -> None:
    shipped = {p.name: p.read_text(encoding="utf-8") for p in regen.COMPILED_DIR.glob("t_*.py")}
    assert (
        shipped == render.compiled_templates()
    ), "qdbusgen/compiled_templates/ is stale; run `python scripts/regen_examples.py`"
    env = render.environment()
    for name in render.TEMPLATE_NAMES:
        # loaded from its shipped module, not compiled from templates/
        filename = env.get_template(name).filename
        assert filename is not None and Path(filename).parent == regen.COMPILED_DIR, name


def test_stale_shipped_files_only_cost_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a template whose compiled module is missing is compiled from templates/ as before
    monkeypatch.setattr(render, "template_key", lambda env, name, source: "t_stale")
    env = render.environment.__wrapped__()
    template = env.get_template("package_init.py.jinja")
    assert template.filename is not None and Path(template.filename).parent.name == "templates"
    # a reserved-name table with another key is ignored: the names come from the runtime
    stale = tmp_path / "runtime_names.json"
    stale.write_text('{"key": "other", "members": [], "exports": []}', encoding="utf-8")
    monkeypatch.setattr(naming, "SHIPPED_RUNTIME_NAMES", stale)
    monkeypatch.setenv("QDBUSGEN_NO_CACHE", "1")
    assert naming._load_runtime() == naming.runtime_names_from_source(runtime_source())


def test_goldens_pass_mypy_strict() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *sorted(regen.EXAMPLES)],
        cwd=ROOT / "generated_examples",
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout


def test_goldens_pass_pyright(tmp_path: Path) -> None:
    config = tmp_path / "pyrightconfig.json"
    config.write_text(
        '{"typeCheckingMode": "strict", "pythonVersion": "3.11", "include": ['
        + ", ".join(f'"{ROOT / "generated_examples" / n}"' for n in sorted(regen.EXAMPLES))
        + "]}"
    )
    out = run_pyright(["-p", str(config)], cwd=ROOT / "generated_examples")
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert "0 errors" in out.stdout
