"""Property test: any valid interface, with hostile names and text, either generates a
package that compiles and keeps every string intact, or is refused with a name-collision
diagnostic. Never a crash, a template bug or code that does not parse."""

from __future__ import annotations

import ast
import keyword
import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hyp import examples
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from qdbusgen.diagnostics import Severity
from qdbusgen.config import GenerateOptions
from qdbusgen.generate import render_files

from test_signature import type_trees

# Names that stress the naming table: keywords, soft keywords, builtins, runtime members,
# dunders, leading underscores, digits, case variants that fold together.
TRICKY = sorted(
    set(keyword.kwlist)
    | {
        "match",
        "case",
        "type",
        "_",
        "self",
        "cls",
        "id",
        "list",
        "str",
        "int",
        "bytes",
        "export",
        "new",
        "bus",
        "path",
        "INTERFACE",
        "__init__",
        "_call",
        "__class__",
        "count",
        "index",
        "Get",
        "get",
        "GetFoo",
        "Foo",
        "foo",
        "FOO",
        "x1",
        "X1",
        "Emit",
        "on",
        "stream",
        "notify",
    }
)
IDENT = st.one_of(
    st.sampled_from(TRICKY),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
)
# XML 1.0 text: no NUL, no other C0 controls but tab/newline/CR, no surrogates, no U+FFFE/U+FFFF.
XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if c not in (9, 10, 13))
        + "\ufffe\uffff",
    ),
    max_size=60,
)


@st.composite
def interfaces(draw: st.DrawFn) -> tuple[str, list[str]]:
    """XML for one interface, and the documentation strings placed in it."""
    docs: list[str] = []

    def doc() -> str:
        text = draw(XML_TEXT)
        docs.append(text)
        return f'<annotation name="org.gtk.GDBus.DocString" value={quoteattr(text)}/>'

    members = []
    for _ in range(draw(st.integers(0, 3))):
        args = []
        for _ in range(draw(st.integers(0, 3))):
            name = draw(st.one_of(st.none(), IDENT))
            direction = draw(st.sampled_from(["in", "out"]))
            named = f"name={quoteattr(name)} " if name is not None else ""
            args.append(
                f'<arg {named}type="{draw(type_trees(budget=8)).signature}" direction="{direction}">{doc()}</arg>'
            )
        no_reply = draw(st.booleans())
        ann = (
            '<annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>'
            if no_reply
            else ""
        )
        members.append(f'<method name="{draw(IDENT)}">{ann}{doc()}{"".join(args)}</method>')
    for _ in range(draw(st.integers(0, 2))):
        args = "".join(
            f'<arg name={quoteattr(draw(IDENT))} type="{draw(type_trees(budget=8)).signature}"/>'
            for _ in range(draw(st.integers(0, 2)))
        )
        members.append(f'<signal name="{draw(IDENT)}">{doc()}{args}</signal>')
    for _ in range(draw(st.integers(0, 3))):
        access = draw(st.sampled_from(["read", "write", "readwrite"]))
        emits = draw(st.sampled_from(["true", "invalidates", "const", "false"]))
        members.append(
            f'<property name="{draw(IDENT)}" type="{draw(type_trees(budget=8)).signature}" access="{access}">'
            f'<annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="{emits}"/>{doc()}</property>'
        )
    iface = f"com.example.{draw(IDENT)}.{draw(IDENT)}"
    xml = f"<node><interface name={quoteattr(iface)}>{doc()}{''.join(members)}</interface></node>"
    return xml, docs


@pytest.fixture(scope="module")
def cache_off() -> None:
    os.environ["QDBUSGEN_NO_CACHE"] = (
        "1"  # thousands of one-off inputs: don't fill the user's cache
    )
    yield
    os.environ.pop("QDBUSGEN_NO_CACHE", None)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(interfaces())
# Found on another machine: a NoReply method's out-arg documentation was dropped (the
# introspection XML keeps it only escaped, so the text needs a character XML escapes).
@example(
    (
        '<node><interface name="com.example.A.B"><method name="Fire">'
        '<annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>'
        '<arg name="res" type="s" direction="out">'
        '<annotation name="org.gtk.GDBus.DocString" value="out &lt;doc&gt;"/></arg>'
        "</method></interface></node>",
        ["out <doc>"],
    )
)
def test_any_valid_interface_generates_or_is_refused_cleanly(
    tmp_path: Path, cache_off: None, case: tuple[str, list[str]]
) -> None:
    xml, docs = case
    path = tmp_path / "fuzz.xml"
    path.write_text(xml, encoding="utf-8")
    result = render_files([str(path)], GenerateOptions(package="fuzzpkg", force=True))
    event("generated" if result.ok else "refused")
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        assert errors and all(d.rule.startswith(("NAME-E", "DBUS-E")) for d in errors), [
            d.format() for d in errors
        ]
        return
    texts = []
    for name, text in result.files.items():
        if name.endswith(".py"):
            tree = ast.parse(text, filename=name)  # valid Python
            compile(tree, name, "exec")
            texts.extend(
                node.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            )
    # every documentation string arrives intact (normalised like the parser does)
    from qdbusgen.docs import clean_text

    joined = "\n".join(texts)
    for text in docs:
        cleaned = " ".join(clean_text(text).split())
        if cleaned:
            assert cleaned in " ".join(joined.split()), cleaned
