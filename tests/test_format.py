"""The black step: fixed mode, cached results identical to black's own, bugs reported clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from qdbusgen import format as fmt

SOURCE = "def f( a,b ):\n  return {'x':a,'y':b}\n"
EXPECTED = 'def f(a, b):\n    return {"x": a, "y": b}\n'


def test_cache_returns_exactly_what_black_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDBUSGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("QDBUSGEN_NO_CACHE", raising=False)
    assert fmt.format_python(SOURCE, "m.py") == EXPECTED
    assert len(list(tmp_path.rglob("*.py"))) == 1

    def no_black() -> None:
        raise AssertionError("a cache hit must not run black")

    monkeypatch.setattr(fmt, "_black", no_black)
    assert fmt.format_python(SOURCE, "m.py") == EXPECTED


def test_cache_can_be_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDBUSGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("QDBUSGEN_NO_CACHE", "1")
    assert fmt.format_python(SOURCE, "m.py") == EXPECTED
    assert not list(tmp_path.rglob("*.py"))


def test_unwritable_cache_is_only_slower(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("QDBUSGEN_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("QDBUSGEN_NO_CACHE", raising=False)
    assert fmt.format_python(SOURCE, "m.py") == EXPECTED


def test_invalid_generated_code_is_a_template_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDBUSGEN_NO_CACHE", "1")
    with pytest.raises(fmt.TemplateBug, match="generated broken.py is not valid Python"):
        fmt.format_python("def (:\n", "broken.py")
