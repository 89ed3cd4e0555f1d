"""The renderer lays code out as black's fixed mode does; black stays the oracle.

Every golden module, every corpus module and Hypothesis-generated interfaces must come out
of black unchanged; the layout helpers agree with black on both sides of the 100-column
boundary; a module the layout cannot vouch for goes through black; and a normal
``generate`` run does not import black at all.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hyp import examples
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qdbusgen import format as fmt
from qdbusgen import layout as L
from qdbusgen import render
from qdbusgen.config import GenerateOptions
from qdbusgen.generate import render_files
from qdbusgen.pysource import pystr

from conftest import CORPUS, require_shared
from test_generate_fuzz import XML_TEXT, interfaces

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "regen_examples", ROOT / "scripts" / "regen_examples.py"
)
assert _spec is not None and _spec.loader is not None
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)


def black(source: str) -> str:
    return fmt.black_format(source, "m.py")


class Recorder:
    """Every module format_python sees, with its layout and whether it took the fast path."""

    def __init__(self) -> None:
        self.modules: list[tuple[str, str, bool]] = []

    def __call__(self, source: str, name: str, layout: L.Layout | None = None) -> str:
        self.modules.append((name, source, fmt.is_final(source, layout)))
        return fmt.format_python(source, name, layout)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    rec = Recorder()
    monkeypatch.setattr(render, "format_python", rec)
    monkeypatch.setenv("QDBUSGEN_NO_CACHE", "1")
    yield rec


# --------------------------------------------------------------------------- the packages


@pytest.mark.parametrize("example", sorted(regen.EXAMPLES))
def test_every_golden_module_is_final_and_black_leaves_it(recorder: Recorder, example: str) -> None:
    assert regen.render_example(example).ok
    assert recorder.modules
    for name, source, final in recorder.modules:
        assert final, f"{name} of {example} needed black"
        assert black(source) == source, name


@pytest.mark.slow
def test_every_corpus_module_comes_out_of_black_unchanged(recorder: Recorder) -> None:
    corpus = require_shared(CORPUS)
    for xml in sorted(corpus.rglob("*.xml")):
        result = render_files([str(xml)], GenerateOptions(package="c_pkg"))
        if result.ok:
            # what generate returns is black's output, whichever path produced it
            for name, text in result.files.items():
                if name.endswith(".py"):
                    assert black(text) == text, f"{xml}: {name}"
    final = sum(1 for _, _, f in recorder.modules if f)
    # the fallback is for rare shapes (annotations longer than a line), not the common case
    assert final >= 0.95 * len(recorder.modules), (final, len(recorder.modules))


LONG_IDENT = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{12,45}", fullmatch=True)
SIGNATURES = st.sampled_from(["s", "i", "ay", "a{sv}", "(ii)", "as", "h", "a(sa{sv})", "b"])


@st.composite
def wide_interfaces(draw: st.DrawFn) -> str:
    """Interfaces with long names and many args, so every construct crosses 100 columns."""
    members = []
    for _ in range(draw(st.integers(1, 3))):
        args = "".join(
            f'<arg name="{draw(LONG_IDENT)}_{i}" type="{draw(SIGNATURES)}" direction="{draw(st.sampled_from(["in", "out"]))}"/>'
            for i in range(draw(st.integers(0, 5)))
        )
        ann = (
            '<annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>'
            if draw(st.booleans())
            else ""
        )
        deprecated = (
            f'<annotation name="org.freedesktop.DBus.Deprecated" value="true"/>'
            f'<annotation name="org.gtk.GDBus.DocString" value={quoteattr(draw(XML_TEXT))}/>'
            if draw(st.booleans())
            else ""
        )
        members.append(f'<method name="{draw(LONG_IDENT)}">{ann}{deprecated}{args}</method>')
    for _ in range(draw(st.integers(0, 2))):
        args = "".join(
            f'<arg name="{draw(LONG_IDENT)}_{i}" type="{draw(SIGNATURES)}"/>'
            for i in range(draw(st.integers(0, 4)))
        )
        members.append(f'<signal name="{draw(LONG_IDENT)}">{args}</signal>')
    for _ in range(draw(st.integers(0, 2))):
        emits = draw(st.sampled_from(["true", "invalidates", "const"]))
        members.append(
            f'<property name="{draw(LONG_IDENT)}" type="{draw(SIGNATURES)}" access="readwrite">'
            f'<annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="{emits}"/></property>'
        )
    name = f"com.example.{draw(LONG_IDENT)}"
    return f'<node><interface name="{name}">{"".join(members)}</interface></node>'


def _generate_and_check(tmp_path: Path, recorder: Recorder, xml: str) -> None:
    # what generate returns is black's output, whichever path produced each module
    recorder.modules.clear()  # (the fixture lives across the examples)
    path = tmp_path / "h.xml"
    path.write_text(xml, encoding="utf-8")
    result = render_files([str(path)], GenerateOptions(package="hpkg", force=True))
    event("final" if all(f for _, _, f in recorder.modules) else "black ran")
    if result.ok:
        for name, text in result.files.items():
            if name.endswith(".py"):
                assert black(text) == text, name


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=interfaces())
def test_hostile_interfaces_come_out_of_black_unchanged(
    tmp_path: Path, recorder: Recorder, case: tuple[str, list[str]]
) -> None:
    _generate_and_check(tmp_path, recorder, case[0])


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(xml=wide_interfaces())
def test_wide_interfaces_come_out_of_black_unchanged(
    tmp_path: Path, recorder: Recorder, xml: str
) -> None:
    _generate_and_check(tmp_path, recorder, xml)


# --------------------------------------------------------------------------- the helpers

CLASS = "class A:\n    async def f(self) -> None:\n        "


def _in_method(code: str) -> str:
    return CLASS + code + "\n"


@pytest.mark.parametrize("width", range(70, 132, 3))
def test_statements_wrap_as_black_wraps_them(width: int) -> None:
    name = "n" * width
    cases = [
        L.Call("await self._call", (pystr(name[:40]), '"s"', L.Call("", ("a", "b"), "[]"), '""')),
        L.Call("_reply = await self._call", (pystr(name), '"ss"', L.Call("", (), "[]"), '"s"')),
        L.Call("return _t.cast", (pystr(name), L.Call("await self._get_property", ('"P"', '"s"')))),
        L.Call("return _t.cast", (pystr(name), "_reply[0]")),
        L.Call("raise _rt.not_implemented", (pystr(name),)),
        L.Call(
            "return await self._watch_properties",
            (
                L.Call(
                    "lambda _changed, _invalidated: callback",
                    (L.Call("_t.cast", (pystr(name[: width // 2]), "_changed")), "_invalidated"),
                ),
            ),
        ),
        L.Call(
            "self._emit_signal",
            (pystr(name[:30]), '"as"', L.Call("", tuple(["x" * 20] * (width // 20)), "[]")),
        ),
    ]
    for node in cases:
        layout = L.Layout()
        source = _in_method(L.statement(2, node, layout))
        if fmt.is_final(source, layout):
            assert black(source) == source, source


@pytest.mark.parametrize("width", range(60, 132, 3))
def test_defs_mappings_and_literals_wrap_as_black_wraps_them(width: int) -> None:
    name = "m" * width
    layout = L.Layout()
    params = ["self", *(f"arg{i}: dict[str, int]" for i in range(width // 25))]
    pieces = [
        "class A:\n",
        "    "
        + L.function(1, f"async def {name[:width - 20]}", params, "list[str]", layout)
        + "\n",
        "        pass\n\n",
        "    " + L.function(1, f"def {name}", ["self"], "None", layout) + "\n",
        "        pass\n\n",
        "    "
        + L.mapping(
            1,
            "_X: _t.ClassVar[_t.Mapping[str, int]]",
            [L.Call(f'"{name[:20]}": _rt.Spec', (pystr(name[:w]), "x=True")) for w in (10, width)],
            layout,
        )
        + "\n",
        "    " + L.mapping(1, "_Y: _t.ClassVar[dict[str, int]]", [], layout) + "\n",
        "    " + L.assign_literal(1, "_Z: _t.ClassVar[str]", pystr(name), layout) + "\n",
    ]
    source = "".join(pieces)
    if fmt.is_final(source, layout):
        assert black(source) == source, source


@given(text=st.text(max_size=300), depth=st.integers(0, 3))
@settings(max_examples=examples(300), deadline=None)
def test_docstrings_are_laid_out_as_black_lays_them_out(text: str, depth: int) -> None:
    layout = L.Layout()
    indent = "    " * depth
    head = "".join("    " * d + f"class C{d}:\n" for d in range(depth))
    source = f"{head}{indent}{L.docstring_at(text, depth, layout)}\n"
    if not layout.uncertain:
        assert black(source) == source


@given(value=st.text(max_size=40))
@settings(max_examples=examples(300), deadline=None)
def test_string_literals_have_blacks_quotes(value: str) -> None:
    literal = pystr(value)
    assert eval(literal) == value  # noqa: S307 - our own literal
    assert black(f"x = {literal}\n") == f"x = {literal}\n"


# --------------------------------------------------------------------------- the fallback


def test_a_module_the_layout_cannot_vouch_for_goes_through_black() -> None:
    long_call = "x = f(" + ", ".join(["argument"] * 12) + ")\n"
    assert not fmt.is_final(long_call, L.Layout())  # a template line longer than 100 columns
    assert fmt.format_python(long_call, "m.py", L.Layout()) == black(long_call)
    single = "x = 'a'\n"  # a short line is trusted as written: only a layout that is certain
    assert fmt.is_final(single, L.Layout())
    uncertain = L.Layout(uncertain=True)
    assert fmt.format_python(single, "m.py", uncertain) == 'x = "a"\n'
    assert fmt.format_python(single, "m.py") == 'x = "a"\n'  # no layout at all: black
    assert not fmt.is_final("x = 1  \n", L.Layout())  # trailing whitespace
    assert not fmt.is_final("x = 1\n\n\n\ny = 2\n", L.Layout())  # too many blank lines
    inside = "class A:\n    x = 1\n\n\n    y = 2\n"
    assert not fmt.is_final(inside, L.Layout())  # two blank lines inside a class
    assert fmt.format_python(inside, "m.py", L.Layout()) == black(inside)


def test_a_docstring_placed_without_its_depth_sends_the_module_to_black() -> None:
    env = render.environment()
    template = env.from_string('class A:\n    {{ "doc\\nmore" | docstring }}\n')
    layout = L.Layout()
    text = template.render(layout=layout)
    assert layout.uncertain
    assert fmt.format_python(text, "m.py", layout) == black(text)


def test_non_ascii_code_lines_are_left_to_black() -> None:
    # black measures display width (1 or 2 columns a character): only a line whose width is
    # within the bounds on either side of 100 columns is settled here
    layout = L.Layout()
    L.statement(1, L.Call("@_te.deprecated", (pystr("\u4e2d" * 10),)), layout)
    L.statement(1, L.Call("@_te.deprecated", (pystr("\u4e2d" * 120),)), layout)
    assert not layout.uncertain
    L.statement(1, L.Call("@_te.deprecated", (pystr("\u4e2d" * 70),)), layout)
    assert layout.uncertain


# --------------------------------------------------------------------------- imports


def _modules_after(argv: list[str], tmp_path: Path) -> set[str]:
    code = (
        "import json, sys\n"
        "from qdbusgen.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("QDBUSGEN_")}
    env["QDBUSGEN_NO_CACHE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_generate_does_not_import_black(tmp_path: Path) -> None:
    out = tmp_path / "qemu_display"
    modules = _modules_after(
        ["generate", *regen.DISPLAY, "--define", "HOST_OS=linux", "-o", str(out)], tmp_path
    )
    assert (out / "__init__.py").is_file()
    assert not _top(modules) & {"black", "blib2to3"}, sorted(modules)
    # the runtime is read as files (reserved names, version), never imported: it would
    # import dbus-fast, which generating code does not use (issue 14)
    assert not _top(modules) & {"dbus_fast", "qdbusgen_runtime"}, sorted(modules)
    assert "jinja2" in _top(modules)  # (the probe sees what generate uses)


def test_lint_imports_neither_the_renderer_nor_black(tmp_path: Path) -> None:
    modules = _modules_after(["lint", "interfaces/org.qemu.VMState1.xml"], tmp_path)
    assert not _top(modules) & {"black", "blib2to3", "jinja2"}, sorted(modules)
    assert "qdbusgen.render" not in modules
