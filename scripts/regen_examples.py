#!/usr/bin/env python3
"""Regenerate generated_examples/ (the reviewed golden output) from interfaces/, and the
runtime's reserved-name table and the compiled templates shipped with qdbusgen
(qdbusgen/runtime_names.json, qdbusgen/compiled_templates/).

    python scripts/regen_examples.py          # rewrite the goldens
    python scripts/regen_examples.py --check  # exit 1 with a diff when they are stale

tests/test_generated_examples.py runs the same table and fails on any difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qdbusgen import naming, render  # noqa: E402
from qdbusgen.config import GenerateOptions  # noqa: E402
from qdbusgen.generate import GenerateResult, diff_tree, render_files  # noqa: E402
from qdbusgen.resources import runtime_source  # noqa: E402
from qdbusgen.writer import write_tree  # noqa: E402

EXAMPLES_DIR = ROOT / "generated_examples"
COMPILED_DIR = ROOT / "qdbusgen" / "compiled_templates"
DISPLAY = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "interfaces").glob("org.qemu.Display1.*.xml")
)

#: package name -> (input files relative to the repository root, --define values)
EXAMPLES: dict[str, tuple[list[str], dict[str, str]]] = {
    "qemu_vmstate": (["interfaces/org.qemu.VMState1.xml"], {"HOST_OS": "linux"}),
    "qemu_display": (DISPLAY, {"HOST_OS": "linux"}),
    "qemu_display_windows": (DISPLAY, {"HOST_OS": "windows"}),
}


def render_example(name: str) -> GenerateResult:
    files, defines = EXAMPLES[name]
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)  # inputs are named relative to the root, as a user would on the command line
    try:
        return render_files(
            files, GenerateOptions(package=name, defines=tuple(sorted(defines.items())))
        )
    finally:
        os.chdir(cwd)


def runtime_names_text() -> str:
    """What qdbusgen/runtime_names.json must hold for the runtime and naming code as they are."""
    return naming.shipped_runtime_names(runtime_source())


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = False
    names_file = naming.SHIPPED_RUNTIME_NAMES
    names = runtime_names_text()
    if check:
        if not names_file.is_file() or names_file.read_text(encoding="utf-8") != names:
            print(f"{names_file.relative_to(ROOT)} is stale")
            stale = True
    elif not names_file.is_file() or names_file.read_text(encoding="utf-8") != names:
        names_file.write_text(names, encoding="utf-8")
        print(f"wrote {names_file.relative_to(ROOT)}")
    compiled = render.compiled_templates()
    shipped = {p.name: p.read_text(encoding="utf-8") for p in COMPILED_DIR.glob("t_*.py")}
    if shipped != compiled:
        if check:
            print(f"{COMPILED_DIR.relative_to(ROOT)} is stale")
            stale = True
        else:
            for stale_name in set(shipped) - set(compiled):
                (COMPILED_DIR / stale_name).unlink()
            for file_name, code in compiled.items():
                (COMPILED_DIR / file_name).write_text(code, encoding="utf-8")
            print(f"wrote {COMPILED_DIR.relative_to(ROOT)} ({len(compiled)} templates)")
    for name in EXAMPLES:
        result = render_example(name)
        if not result.ok:
            for d in result.diagnostics:
                print(d.format(), file=sys.stderr)
            return 2
        target = EXAMPLES_DIR / name
        if check:
            diff = diff_tree(target, result.files)
            if diff:
                sys.stdout.writelines(diff)
                stale = True
        else:
            write_tree(target, result.files)
            print(f"wrote {target.relative_to(ROOT)} ({len(result.files)} files)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
