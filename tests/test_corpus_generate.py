"""Every corpus file the generator accepts yields a package that passes mypy --strict and pyright.

All packages import the installed runtime (qdbusgen_runtime), which the type checkers read
once; the runtime itself is checked in tests/test_project_typing.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qdbusgen.diagnostics import Severity
from qdbusgen.config import GenerateOptions
from qdbusgen.generate import render_files
from qdbusgen.writer import write_tree

from conftest import CORPUS, require_shared
from tools import run_pyright


def _package_name(path: Path) -> str:
    stem = re.sub(r"[^0-9A-Za-z]+", "_", f"{path.parent.name}_{path.stem}").strip("_").lower()
    return f"c_{stem}"


@pytest.fixture(scope="module")
def corpus_packages(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[str], dict[str, list[str]]]:
    corpus = require_shared(CORPUS)
    root = tmp_path_factory.mktemp("corpus_gen")
    accepted: list[str] = []
    refused: dict[str, list[str]] = {}
    for xml in sorted(corpus.rglob("*.xml")):
        name = _package_name(xml)
        result = render_files([str(xml)], GenerateOptions(package=name))
        if result.ok:
            write_tree(root / name, result.files)
            accepted.append(name)
        else:
            refused[str(xml)] = [
                d.format() for d in result.diagnostics if d.severity is Severity.ERROR
            ]
    return root, accepted, refused


def test_most_of_the_corpus_is_accepted_and_refusals_say_why(
    corpus_packages: tuple[Path, list[str], dict[str, list[str]]],
) -> None:
    _root, accepted, refused = corpus_packages
    # 52 of 292 files are refused: spec errors listed in tests/test_corpus.py (Qt overloads
    # DBUS-E014/E015, <node name=""> in 31 oFono files DBUS-E005, <doc> elements, signal
    # args with direction="in", an invalid '{sv}', one file that is not XML) and Python
    # name collisions the spec allows (NAME-E*).
    assert (
        len(accepted) >= 240
    ), f"only {len(accepted)} accepted; refused: {json.dumps(refused, indent=1)[:4000]}"
    for path, errors in refused.items():
        assert errors, f"{path} was refused without an error diagnostic"
        # a spec error, or a name collision (e.g. kmplot's two in args both named "eq")
        assert any(re.search(r"\[(DBUS|XML|NAME)-E\d+\]$", e) for e in errors), (path, errors)


def test_generated_corpus_passes_mypy_strict(
    corpus_packages: tuple[Path, list[str], dict[str, list[str]]],
) -> None:
    root, accepted, _ = corpus_packages
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *accepted],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-8000:]


def test_generated_corpus_passes_pyright(
    corpus_packages: tuple[Path, list[str], dict[str, list[str]]],
) -> None:
    root, accepted, _ = corpus_packages
    (root / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11", "include": accepted})
    )
    proc = run_pyright([], cwd=root)
    assert proc.returncode == 0, proc.stdout[-8000:]
