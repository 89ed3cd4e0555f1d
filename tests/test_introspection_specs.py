"""The runtime builds Introspect's ``<interface>`` from a generated server's specs: what it
returns must stay what the generator wrote as ``_INTROSPECTION_XML`` before.

``tests/data/introspection_before.json`` holds those strings, captured from the generator
as it was before the specs carried the arg names and annotations: every server class of
the golden packages and of a few corpus files that cover unnamed args, in and out args in
any order, and annotations on interfaces, members and args. The whole corpus is compared
with :func:`qdbusgen.introspect_xml.interface_xml`, the generator's own serialisation.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]

from qdbusgen.config import GenerateOptions
from qdbusgen.generate import render_files
from qdbusgen.introspect_xml import interface_xml
from qdbusgen.parser import parse_file
from qdbusgen.writer import write_tree

from conftest import CORPUS, require_shared

ROOT = Path(__file__).resolve().parent.parent
BEFORE: dict[str, str] = json.loads(
    (Path(__file__).parent / "data" / "introspection_before.json").read_text(encoding="utf-8")
)


def canonical(xml: str) -> bytes:
    """``xml`` as canonical XML (attribute order and quoting do not matter)."""
    return bytes(etree.tostring(etree.fromstring(xml), method="c14n"))


@pytest.fixture()
def importable(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path`` on sys.path for the test, its packages forgotten afterwards."""
    sys.path.insert(0, str(tmp_path))
    before = set(sys.modules)
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            if name.split(".")[0].startswith(("golden_", "c_")):
                del sys.modules[name]


def server_class(module: Any, name: str) -> Any:
    cls = getattr(module, name)
    assert "_SPECS" in vars(cls), f"{name} lists no specs"
    return cls


def test_golden_servers_introspect_as_before(importable: Path) -> None:
    goldens = {k: v for k, v in BEFORE.items() if k.startswith("generated_examples/")}
    assert len(goldens) == 28  # every server class of the three golden packages
    for key, before in sorted(goldens.items()):
        path, cls_name = key.split(":")
        package, module = Path(path).parts[1], Path(path).stem
        # a copy of the golden package under another name: nothing else imports it
        copy = importable / f"golden_{package}"
        if not copy.exists():
            copy.mkdir()
            for f in (ROOT / "generated_examples" / package).iterdir():
                if f.is_file():
                    (copy / f.name).write_bytes(f.read_bytes())
        mod = importlib.import_module(f"golden_{package}.{module}")
        cls = server_class(mod, cls_name)
        assert canonical(cls._INTROSPECTION_XML) == canonical(before), key
        assert cls._INTROSPECTION_XML == before, key  # byte for byte, too


def _generate(xml: Path, root: Path, name: str) -> bool:
    result = render_files([str(xml)], GenerateOptions(package=name))
    if result.ok:
        write_tree(root / name, result.files)
    return result.ok


def test_corpus_samples_introspect_as_before(importable: Path) -> None:
    corpus = require_shared(CORPUS)
    samples = {k: v for k, v in BEFORE.items() if k.startswith("corpus/")}
    assert len(samples) >= 7
    for i, (key, before) in enumerate(sorted(samples.items())):
        path, cls_name = key.split(":")
        name = f"c_sample{i}"
        assert _generate(corpus / path.removeprefix("corpus/"), importable, name), key
        found = [
            getattr(importlib.import_module(f"{name}.{f.stem}"), cls_name, None)
            for f in sorted((importable / name).glob("*.py"))
            if f.stem != "__init__"
        ]
        cls = next(c for c in found if c is not None)
        assert "_SPECS" in vars(cls), key
        assert canonical(cls._INTROSPECTION_XML) == canonical(before), key
        assert cls._INTROSPECTION_XML == before, key


def test_whole_corpus_introspects_as_the_generator_serialises(importable: Path) -> None:
    corpus = require_shared(CORPUS)
    checked = 0
    for i, xml in enumerate(sorted(corpus.rglob("*.xml"))):
        name = f"c_all{i}"
        if not _generate(xml, importable, name):
            continue
        expected = {
            iface.name: interface_xml(iface) for iface in parse_file(str(xml)).document.interfaces
        }
        for f in sorted((importable / name).glob("*.py")):
            if f.stem in ("__init__", "object_manager"):
                continue
            mod = importlib.import_module(f"{name}.{f.stem}")
            servers = [v for k, v in vars(mod).items() if k.endswith("Server") and k[0].isupper()]
            for cls in servers:
                assert canonical(cls._INTROSPECTION_XML) == canonical(
                    expected[cls.INTERFACE]
                ), f"{xml.relative_to(corpus)}: {cls.__name__}"
                checked += 1
    assert checked >= 250


AWKWARD_XML = """<node><interface name="com.example.Awkward1">
  <annotation name="com.example.Note" value="a &amp; b &lt;c&gt; &quot;d&quot; 'e'&#10;f&#9;g &#233;"/>
  <method name="Mixed">
    <arg name="first" type="s" direction="out"/>
    <arg name="second" type="i" direction="in">
      <annotation name="com.example.Arg" value="x&amp;y"/>
    </arg>
    <arg type="ay" direction="out"/>
    <arg name="" type="u" direction="in"/>
    <annotation name="org.freedesktop.DBus.Method.NoReply" value="false"/>
  </method>
  <signal name="Spaced">
    <arg name="two words" type="s"/>
    <arg type="v"/>
    <annotation name="com.example.Signal" value="&quot;quoted&quot;"/>
  </signal>
  <property name="Written" type="a{sv}" access="write">
    <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
  </property>
</interface></node>
"""


def test_awkward_names_and_values_introspect_as_the_generator_serialises(
    importable: Path,
) -> None:
    """Interleaved in and out args, unnamed and empty-named args, a name with a space (the
    spec then lists the names), annotation values with every character XML escapes."""
    xml = importable / "com.example.Awkward1.xml"
    xml.write_text(AWKWARD_XML, encoding="utf-8")
    assert _generate(xml, importable, "c_awkward")
    source = (importable / "c_awkward" / "awkward1.py").read_text(encoding="utf-8")
    assert 'directions="oioi"' in source and '["two words", None]' in source
    mod = importlib.import_module("c_awkward.awkward1")
    (iface,) = parse_file(str(xml)).document.interfaces
    assert mod.Awkward1Server._INTROSPECTION_XML == interface_xml(iface)
