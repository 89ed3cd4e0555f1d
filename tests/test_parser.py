"""The parser: documentation dialects, effective values, QEMU conditionals, namespaces,
tool annotations, root <interface>, and exact line:column locations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hyp import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from qdbusgen.diagnostics import Diagnostic, InputError, Severity
from qdbusgen.model import (
    Access,
    Direction,
    Document,
    EmitsChanged,
    Interface,
    Method,
    Property,
    Signal,
)
from qdbusgen.parser import parse_bytes, parse_file
from qdbusgen.validate import validate

SHARED = Path(__file__).resolve().parents[2] / "shared"
QEMU_DISPLAY = SHARED / "upstream" / "qemu" / "ui" / "dbus-display1.xml"

DOC_HTTP = "http://www.freedesktop.org/dbus/1.0/doc.dtd"
DOC_HTTPS = "https://www.freedesktop.org/dbus/1.0/doc.dtd"
TP = "http://telepathy.freedesktop.org/wiki/DbusSpec#extensions-v0"


def parse(text: str, defines: dict[str, str] | None = None) -> Document:
    return parse_bytes(text.encode("utf-8"), "t.xml", defines=defines).document


def diagnostics(text: str) -> list[Diagnostic]:
    result = parse_bytes(text.encode("utf-8"), "t.xml")
    return [*result.diagnostics, *validate(result.document, result.diagnostics)]


def iface(doc: Document, name: str) -> Interface:
    found = [i for i in doc.interfaces if i.name == name]
    assert len(found) == 1, [i.name for i in doc.interfaces]
    return found[0]


def method(i: Interface, name: str) -> Method:
    (m,) = [m for m in i.methods if m.name == name]
    return m


def signal(i: Interface, name: str) -> Signal:
    (s,) = [s for s in i.signals if s.name == name]
    return s


def prop(i: Interface, name: str) -> Property:
    (p,) = [p for p in i.properties if p.name == name]
    return p


# --------------------------------------------------------------------------- documentation dialects

GTKDOC = """<?xml version="1.0"?>
<node>
  <!--
      com.example.Gtk:
      @short_description: The short one.
      @since: 1.2

      The Gtk interface.

      It has two paragraphs.
  -->
  <interface name="com.example.Gtk">
    <!--
        Frobnicate:
        @count: how many times
          (continued on a second line).
        @label: the label.

        Frobnicates the widget.

        Since: 1.4
        Deprecated: Use Frob2 instead.
    -->
    <method name="Frobnicate">
      <arg name="count" type="u" direction="in"/>
      <arg name="label" type="s" direction="out"/>
    </method>
    <!-- An ordinary comment, not documentation. -->
    <method name="Plain">
      <arg name="x" type="u" direction="in"/>
    </method>
    <!--
       Changed:
       @what: what changed.

       Emitted on change.
    -->
    <signal name="Changed"><arg name="what" type="s"/></signal>
    <!--
       Level: The level, in percent.
       @since: 2.0
    -->
    <property name="Level" type="u" access="read"/>
    <!--
       Misplaced:

       Names no element below, so it documents nothing.
    -->
    <method name="Other"/>
  </interface>
</node>
"""


def test_gtkdoc_comments() -> None:
    i = iface(parse(GTKDOC), "com.example.Gtk")
    assert i.doc.text == "The Gtk interface.\n\nIt has two paragraphs."
    assert i.doc.summary == "The short one."
    assert i.doc.sources == ("gtk-doc",)
    assert i.since == "1.2"
    frob = method(i, "Frobnicate")
    assert frob.doc.text == "Frobnicates the widget."
    assert frob.since == "1.4"
    assert frob.deprecated and frob.doc.deprecated == "Use Frob2 instead."
    count, label = frob.args
    assert count.doc.text == "how many times (continued on a second line)."
    assert label.doc.text == "the label."
    plain = method(i, "Plain")
    assert not plain.doc and not plain.args[0].doc
    assert plain.since == "1.2"  # inherited from the interface
    changed = signal(i, "Changed")
    assert changed.doc.text == "Emitted on change."
    assert changed.args[0].doc.text == "what changed."
    level = prop(i, "Level")
    assert level.doc.text == "The level, in percent."
    assert level.since == "2.0"
    assert not method(i, "Other").doc


def test_gtkdoc_empty_deprecated_line_still_deprecates() -> None:
    i = iface(
        parse(
            '<node><interface name="a.B"><!--\n  Old:\n  Deprecated:\n--><method name="Old"/></interface></node>'
        ),
        "a.B",
    )
    assert method(i, "Old").deprecated


GDBUS_ANNOTATIONS = """<node>
  <interface name="com.example.Ann">
    <annotation name="org.gtk.GDBus.DocString" value="The interface.  Second sentence."/>
    <annotation name="org.gtk.GDBus.DocString.Short" value="Short interface."/>
    <annotation name="org.gtk.GDBus.Since" value="3.0"/>
    <method name="Do">
      <annotation name="org.gtk.GDBus.DocString" value="Does it."/>
      <arg name="what" type="s" direction="in">
        <annotation name="org.gtk.GDBus.DocString" value="What to do."/>
      </arg>
      <arg name="undocumented" type="s" direction="in"/>
    </method>
    <signal name="Done">
      <arg name="result" type="i">
        <annotation name="org.gtk.GDBus.DocString" value="The result."/>
      </arg>
    </signal>
    <property name="State" type="s" access="read">
      <annotation name="org.gtk.GDBus.DocString.Short" value="Only a short doc."/>
      <annotation name="org.gtk.GDBus.Since" value="3.2"/>
    </property>
  </interface>
</node>
"""


def test_gdbus_docstring_annotations() -> None:
    i = iface(parse(GDBUS_ANNOTATIONS), "com.example.Ann")
    assert i.doc.text == "The interface.  Second sentence."
    assert i.doc.summary == "Short interface."
    assert i.doc.sources == ("gdbus-annotation",)
    assert i.since == "3.0"
    do = method(i, "Do")
    assert do.doc.text == "Does it."
    assert do.since == "3.0"
    assert do.args[0].doc.text == "What to do."
    assert not do.args[1].doc
    assert signal(i, "Done").args[0].doc.text == "The result."
    state = prop(i, "State")
    assert state.doc.text == "Only a short doc."
    assert state.since == "3.2"


@pytest.mark.parametrize("uri", [DOC_HTTP, DOC_HTTPS])
def test_doc_doc_both_namespace_uris(uri: str) -> None:
    text = f"""<node name="/" xmlns:doc="{uri}">
  <interface name="com.example.DocDoc">
    <doc:doc><doc:summary>The summary.</doc:summary>
      <doc:description><doc:para>First para, with <doc:ref type="method" to="X">a ref</doc:ref>.</doc:para>
        <doc:para>Second para.</doc:para></doc:description></doc:doc>
    <method name="Find">
      <arg name="id" direction="in" type="x">
        <doc:doc><doc:summary>The uid to look up</doc:summary></doc:doc>
      </arg>
      <arg name="user" direction="out" type="o"/>
      <doc:doc>
        <doc:description><doc:para>Finds a user.</doc:para></doc:description>
        <doc:errors><doc:error name="com.example.Error.Failed">if it fails</doc:error></doc:errors>
      </doc:doc>
    </method>
    <property name="Name" type="s" access="read">
      <doc:doc><doc:description><doc:para>The name.</doc:para></doc:description></doc:doc>
    </property>
  </interface>
</node>
"""
    i = iface(parse(text), "com.example.DocDoc")
    assert i.doc.summary == "The summary."
    assert i.doc.text == "The summary.\n\nFirst para, with a ref.\n\nSecond para."
    assert i.doc.sources == ("doc:doc",)
    find = method(i, "Find")
    assert find.doc.text == "Finds a user.\n\nif it fails"
    assert find.args[0].doc.text == "The uid to look up"
    assert find.args[0].doc.summary == "The uid to look up"
    assert not find.args[1].doc
    assert prop(i, "Name").doc.text == "The name."
    assert diagnostics(text) == []  # namespaced doc elements are not D-Bus elements


TP_DOC = f"""<node name="/Track" xmlns:tp="{TP}">
  <interface name="org.mpris.MediaPlayer2.TrackList">
    <tp:docstring xmlns="http://www.w3.org/1999/xhtml">
      <p>Provides access to a short list of tracks.</p>
      <p>Example: the <a href="http://example.org/">Rhythmbox</a> play queue.</p>
    </tp:docstring>
    <tp:mapping name="Metadata_Map"><tp:docstring>Not for any D-Bus element.</tp:docstring></tp:mapping>
    <method name="GoTo" tp:name-for-bindings="Go_To">
      <arg direction="in" name="TrackId" type="o">
        <tp:docstring xmlns="http://www.w3.org/1999/xhtml"><p>Identifier of the track to skip to.</p></tp:docstring>
      </arg>
      <tp:docstring xmlns="http://www.w3.org/1999/xhtml"><p>Skip to the specified TrackId.</p></tp:docstring>
    </method>
  </interface>
</node>
"""


def test_tp_docstring_with_xhtml() -> None:
    i = iface(parse(TP_DOC), "org.mpris.MediaPlayer2.TrackList")
    assert i.doc.text == (
        "Provides access to a short list of tracks.\n\nExample: the Rhythmbox play queue."
    )
    assert i.doc.summary == "Provides access to a short list of tracks."
    assert i.doc.sources == ("tp:docstring",)
    goto = method(i, "GoTo")
    assert goto.doc.text == "Skip to the specified TrackId."
    assert goto.args[0].doc.text == "Identifier of the track to skip to."
    assert diagnostics(TP_DOC) == []


PLAIN_DOC = """<node name="/">
  <interface name="org.ukui.Biometric">
    <method name="CheckAppApiVersion">
      <doc>
        <line>Check application API Version</line>
        <line>result等于0，兼容</line>
      </doc>
      <arg name="major" type="i" direction="in"/>
      <arg name="info" type="av" direction="out">
        <doc>
          (v)info = (is)struct{
            int drv_ID;
          }
        </doc>
      </arg>
    </method>
  </interface>
</node>
"""


def test_plain_doc_line_elements_are_e002_but_still_documentation() -> None:
    i = iface(parse(PLAIN_DOC), "org.ukui.Biometric")
    m = method(i, "CheckAppApiVersion")
    assert m.doc.text == "Check application API Version\nresult等于0，兼容"
    assert m.doc.sources == ("doc",)
    assert not m.args[0].doc
    assert m.args[1].doc.text == "(v)info = (is)struct{\n  int drv_ID;\n}"
    found = [
        (d.rule, d.severity, d.location.line, d.location.column)
        for d in diagnostics(PLAIN_DOC)
        if d.location
    ]
    assert found == [
        ("DBUS-E002", Severity.ERROR, 4, 7),
        ("DBUS-E002", Severity.ERROR, 10, 9),
    ]


def test_dialects_combine_on_one_element() -> None:
    text = f"""<node xmlns:doc="{DOC_HTTP}">
  <interface name="com.example.Mixed">
    <!--
       Both:
       @x: from gtk-doc.
       Text from gtk-doc.
    -->
    <method name="Both">
      <annotation name="org.gtk.GDBus.DocString" value="Text from the annotation."/>
      <arg name="x" type="s" direction="in">
        <doc:doc><doc:summary>from doc:doc</doc:summary></doc:doc>
      </arg>
    </method>
  </interface>
</node>"""
    m = method(iface(parse(text), "com.example.Mixed"), "Both")
    assert m.doc.text == "Text from gtk-doc.\n\nText from the annotation."
    assert m.doc.sources == ("gtk-doc", "gdbus-annotation")
    assert m.args[0].doc.text == "from gtk-doc.\n\nfrom doc:doc"


# --------------------------------------------------------------------------- effective values

EFFECTIVE = """<node>
  <interface name="com.example.Eff">
    <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    <annotation name="org.gtk.GDBus.Since" value="1.0"/>
    <method name="M">
      <arg name="a" type="s"/>
      <arg name="b" type="s" direction="in"/>
      <arg name="c" type="s" direction="out"/>
    </method>
    <method name="Fire">
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="true"/>
      <annotation name="org.freedesktop.DBus.Deprecated" value="true"/>
      <annotation name="org.gtk.GDBus.Since" value="1.5"/>
    </method>
    <method name="NotFire">
      <annotation name="org.freedesktop.DBus.Method.NoReply" value="false"/>
      <annotation name="org.freedesktop.DBus.Deprecated" value="false"/>
    </method>
    <signal name="S">
      <arg name="x" type="s"/>
      <arg name="y" type="s" direction="out"/>
    </signal>
    <property name="Inherits" type="u" access="read"/>
    <property name="Const" type="u" access="readwrite">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <property name="False" type="u" access="write">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"/>
      <annotation name="org.freedesktop.DBus.Deprecated" value="true"/>
    </property>
  </interface>
  <interface name="com.example.Default">
    <property name="P" type="u" access="read"/>
    <property name="Q" type="u" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
    </property>
  </interface>
</node>
"""


def test_effective_values() -> None:
    doc = parse(EFFECTIVE)
    i = iface(doc, "com.example.Eff")
    assert i.emits_changed is EmitsChanged.INVALIDATES
    m = method(i, "M")
    assert [a.direction for a in m.args] == [Direction.IN, Direction.IN, Direction.OUT]
    assert [a.direction_attr for a in m.args] == [None, "in", "out"]
    assert m.in_signature == "ss" and m.out_signature == "s"
    assert not m.no_reply and not m.deprecated and m.since == "1.0"
    fire = method(i, "Fire")
    assert fire.no_reply and fire.deprecated and fire.since == "1.5"
    not_fire = method(i, "NotFire")
    assert not not_fire.no_reply and not not_fire.deprecated
    s = signal(i, "S")
    assert [a.direction for a in s.args] == [Direction.OUT, Direction.OUT]
    assert [a.direction_attr for a in s.args] == [None, "out"]
    assert s.since == "1.0"
    assert prop(i, "Inherits").emits_changed is EmitsChanged.INVALIDATES
    assert prop(i, "Const").emits_changed is EmitsChanged.CONST
    assert prop(i, "Const").access is Access.READWRITE
    f = prop(i, "False")
    assert f.emits_changed is EmitsChanged.FALSE and f.deprecated and f.access is Access.WRITE
    assert not f.access.readable and f.access.writable
    assert prop(i, "Inherits").since == "1.0"
    d = iface(doc, "com.example.Default")
    assert d.emits_changed is EmitsChanged.TRUE
    assert prop(d, "P").emits_changed is EmitsChanged.TRUE
    assert prop(d, "Q").emits_changed is EmitsChanged.INVALIDATES
    assert d.since is None and prop(d, "P").since is None


def test_invalid_annotation_values_fall_back_to_the_inherited_value() -> None:
    text = """<node><interface name="a.B">
  <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
  <property name="P" type="u" access="read">
    <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="always"/>
  </property>
  <method name="M"><annotation name="org.freedesktop.DBus.Method.NoReply" value="TRUE"/></method>
</interface></node>"""
    i = iface(parse(text), "a.B")
    assert prop(i, "P").emits_changed is EmitsChanged.CONST
    assert not method(i, "M").no_reply


def test_tolerant_signal_resolved_by_the_parser_and_by_overrides() -> None:
    from qdbusgen.overrides import apply_overrides, from_command_line

    text = """<node><interface name="a.B">
  <signal name="T"><annotation name="org.qdbusgen.Signal.Tolerant" value="true"/></signal>
  <signal name="F"><annotation name="org.qdbusgen.Signal.Tolerant" value="false"/></signal>
  <signal name="N"/>
</interface></node>"""
    doc = parse(text)
    i = iface(doc, "a.B")
    assert [signal(i, n).tolerant for n in "TFN"] == [True, False, False]
    fix = from_command_line([("a.B::N", "org.qdbusgen.Signal.Tolerant", "true")])
    (changed,), problems = apply_overrides([doc], fix)
    assert not problems and signal(iface(changed, "a.B"), "N").tolerant


def test_arg_types_and_invalid_types() -> None:
    text = """<node><interface name="a.B">
  <method name="M"><arg name="ok" type="a{sv}" direction="in"/><arg name="bad" type="{sv}" direction="in"/></method>
  <property name="P" type="(ii" access="read"/>
</interface></node>"""
    i = iface(parse(text), "a.B")
    ok, bad = method(i, "M").args
    assert ok.type is not None and ok.type.signature == "a{sv}"
    assert bad.type is None and bad.signature == "{sv}"
    assert prop(i, "P").type is None


# --------------------------------------------------------------------------- QEMU conditionals


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference data is not beside this checkout")
    return path


@pytest.fixture(scope="module")
def qemu_linux() -> Document:
    result = parse_file(require(QEMU_DISPLAY), defines={"HOST_OS": "linux"})
    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    return result.document


@pytest.fixture(scope="module")
def qemu_windows() -> Document:
    result = parse_file(require(QEMU_DISPLAY), defines={"HOST_OS": "windows"})
    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    return result.document


def test_qemu_register_listener_per_host(qemu_linux: Document, qemu_windows: Document) -> None:
    linux = method(iface(qemu_linux, "org.qemu.Display1.Console"), "RegisterListener")
    windows = method(iface(qemu_windows, "org.qemu.Display1.Console"), "RegisterListener")
    assert [(a.name, a.signature) for a in linux.args] == [("listener", "h")]
    assert [(a.name, a.signature) for a in windows.args] == [("listener", "ay")]
    assert [a.name for a in windows.args[0].annotations] == ["org.gtk.GDBus.C.ForceGVariant"]
    assert linux.args[0].annotations == ()
    # both keep the gtk-doc text and the @listener description
    for m in (linux, windows):
        assert m.doc.text.startswith("Register a console listener")
        assert m.args[0].doc.text == "a Unix socket FD, for peer-to-peer D-Bus communication."


def test_qemu_platform_interfaces(qemu_linux: Document, qemu_windows: Document) -> None:
    linux = {i.name for i in qemu_linux.interfaces}
    windows = {i.name for i in qemu_windows.interfaces}
    assert "org.qemu.Display1.Listener.Unix.Map" in linux
    assert "org.qemu.Display1.Listener.Unix.Map" not in windows
    assert "org.qemu.Display1.Listener.Win32.Map" in windows
    assert "org.qemu.Display1.Listener.Win32.Map" not in linux
    assert "org.qemu.Display1.Listener.Unix.ScanoutDMABUF2" in linux
    assert "org.qemu.Display1.Listener.Unix.ScanoutDMABUF2" not in windows
    listener_linux = {m.name for m in iface(qemu_linux, "org.qemu.Display1.Listener").methods}
    listener_windows = {m.name for m in iface(qemu_windows, "org.qemu.Display1.Listener").methods}
    assert {"ScanoutDMABUF", "UpdateDMABUF"} <= listener_linux
    assert not {"ScanoutDMABUF", "UpdateDMABUF"} & listener_windows
    assert listener_linux - listener_windows == {"ScanoutDMABUF", "UpdateDMABUF"}
    audio_linux = method(iface(qemu_linux, "org.qemu.Display1.Audio"), "RegisterOutListener")
    audio_windows = method(iface(qemu_windows, "org.qemu.Display1.Audio"), "RegisterOutListener")
    assert audio_linux.in_signature == "h" and audio_windows.in_signature == "ay"
    chardev_linux = method(iface(qemu_linux, "org.qemu.Display1.Chardev"), "Register")
    chardev_windows = method(iface(qemu_windows, "org.qemu.Display1.Chardev"), "Register")
    assert chardev_linux.in_signature == "h" and chardev_windows.in_signature == "ay"


def _gtkdoc_blocks(text: str) -> list[tuple[int, str, dict[str, str], str]]:
    """(line of ``-->``, symbol, {param: text}, body) of every gtk-doc comment, read with
    plain regexes (independently of qdbusgen.docs)."""
    blocks = []
    for m in re.finditer(r"<!--(.*?)-->", text, re.S):
        end_line = text.count("\n", 0, m.end()) + 1
        lines = [ln.strip() for ln in m.group(1).strip().splitlines()]
        head = re.fullmatch(r"([\w.]+):(?: .*)?", lines[0]) if lines else None
        if head is None:
            continue
        params = {}
        rest = lines[1:]
        while rest and (pm := re.fullmatch(r"@(\w+): (.*)", rest[0])):
            params[pm.group(1)] = pm.group(2)
            rest = rest[1:]
        blocks.append((end_line, head.group(1), params, " ".join(" ".join(rest).split())))
    return blocks


@pytest.mark.parametrize("host", ["linux", "windows"])
def test_qemu_every_documented_member_has_its_doc(
    host: str, qemu_linux: Document, qemu_windows: Document
) -> None:
    document = qemu_linux if host == "linux" else qemu_windows
    blocks = _gtkdoc_blocks(QEMU_DISPLAY.read_text(encoding="utf-8"))
    assert len(blocks) > 80
    members: list[Interface | Method | Signal | Property] = []
    for i in document.interfaces:
        members.append(i)
        members.extend((*i.methods, *i.signals, *i.properties))
    documented_args = undocumented_args = 0
    for member in members:
        # the comment closest above the element must name it (every element in this file
        # is documented), and its text and per-arg descriptions must be on the model
        before = [b for b in blocks if b[0] < member.location.line]
        assert before, member.name
        _, symbol, params, body = before[-1]
        assert symbol == member.name
        assert member.doc, member.name
        assert " ".join(member.doc.text.split()).startswith(" ".join(body.split()[:6])), member.name
        for arg in getattr(member, "args", ()):
            if arg.name in params:
                assert arg.doc.text == params[arg.name], (member.name, arg.name)
                documented_args += 1
            else:
                assert not arg.doc, (member.name, arg.name)
                undocumented_args += 1
    assert documented_args > 100
    # upstream gaps: SetEnabled's "enabled" (twice); on Windows Chardev.Register's arg is
    # called "listener" but documented as @stream
    assert undocumented_args == (2 if host == "linux" else 3)


def test_qemu_without_defines_uses_the_running_platform() -> None:
    result = parse_file(require(QEMU_DISPLAY))
    assert dict(result.document.defines)["HOST_OS"] in ("linux", "windows", "darwin")


# --------------------------------------------------------------------------- conditional errors

COND_OK = """<node>
  <interface name="a.B">
    <?if $(env.HOST_OS) == windows?>
    <method name="Win"/>
    <?elseif $(env.HOST_OS) == darwin?>
    <method name="Mac"/>
    <?else?>
    <method name="Other"/>
      <?if $(env.HOST_OS) != linux?>
      <method name="NotLinux"/>
      <?endif?>
    <?endif?>
    <?ifdef FEATURE?><method name="Feature"/><?endif?>
    <?ifndef FEATURE?><method name="NoFeature"/><?endif?>
    <?if $(env.HOST_OS) == 'quoted value'?><method name="Quoted"/><?endif?>
  </interface>
</node>"""


@pytest.mark.parametrize(
    "defines, names",
    [
        ({"HOST_OS": "linux"}, ["Other", "NoFeature"]),
        ({"HOST_OS": "windows"}, ["Win", "NoFeature"]),
        ({"HOST_OS": "darwin", "FEATURE": "1"}, ["Mac", "Feature"]),
        ({"HOST_OS": "freebsd"}, ["Other", "NotLinux", "NoFeature"]),
        ({"HOST_OS": "quoted value"}, ["Other", "NotLinux", "NoFeature", "Quoted"]),
    ],
)
def test_conditionals(defines: dict[str, str], names: list[str]) -> None:
    assert [m.name for m in iface(parse(COND_OK, defines), "a.B").methods] == names


@pytest.mark.parametrize(
    "body, line, column, words",
    [
        # unbalanced: <?if?> never closed
        ('\n  <?if $(env.HOST_OS) == linux?>\n  <interface name="a.B"/>\n', 2, 3, "not closed"),
        # closed outside its element
        # (the parent's children are checked first, so the stray <?endif?> is what is reported)
        (
            '\n  <interface name="a.B">\n    <?if $(env.HOST_OS) == linux?>\n  </interface>\n  <?endif?>\n',
            5,
            3,
            "without a matching",
        ),
        ("\n  <?else?>\n", 2, 3, "without a matching"),
        ("\n  <?endif?>\n", 2, 3, "without a matching"),
        ("\n  <?elseif $(env.HOST_OS) == x?>\n", 2, 3, "without a matching"),
        (
            "\n  <?if $(env.HOST_OS) == x?><?else?>\n  <?else?><?endif?>\n",
            3,
            3,
            "without a matching",
        ),
        ("\n    <?if HOST_OS = linux?><?endif?>\n", 2, 5, "unsupported condition"),
        ("\n  <?if $(env.HOST_OS) ~= linux?><?endif?>\n", 2, 3, "unsupported condition"),
        ("\n  <?if?><?endif?>\n", 2, 3, "unsupported condition"),
        ("\n  <?ifdef two words?><?endif?>\n", 2, 3, "one variable"),
        ("\n  <?if $(env.UNDEFINED_VAR) == x?><?endif?>\n", 2, 3, "UNDEFINED_VAR"),
        (
            '\n  <interface name="a.B">\n    <method name="M">\n      <?if $(var.NOPE) != 1?><arg type="s"/><?endif?>\n',
            4,
            7,
            "NOPE",
        ),
    ],
)
def test_conditional_errors_are_xml_e010_at_the_pi(
    body: str, line: int, column: int, words: str
) -> None:
    # close whatever the body opened so the XML itself stays well-formed
    text = "<node>" + body
    if '<interface name="a.B">' in body and "</interface>" not in body:
        text += "</method></interface>\n" if "<method" in body else "</interface>\n"
    text += "</node>\n"
    with pytest.raises(InputError) as info:
        parse_bytes(text.encode(), "c.xml", defines={"HOST_OS": "linux"})
    d = info.value.diagnostic
    assert d.rule == "XML-E010" and d.severity is Severity.ERROR
    assert d.location is not None and (d.location.file, d.location.line, d.location.column) == (
        "c.xml",
        line,
        column,
    )
    assert words in d.message
    assert "\n" not in d.format()


def test_conditions_in_inactive_branches_are_not_evaluated() -> None:
    text = """<node><interface name="a.B">
  <?if $(env.HOST_OS) == windows?>
    <?if $(env.UNDEFINED) == 1?><method name="X"/><?endif?>
  <?endif?>
  <method name="Y"/>
</interface></node>"""
    assert [m.name for m in iface(parse(text, {"HOST_OS": "linux"}), "a.B").methods] == ["Y"]


def test_other_processing_instructions_are_ignored() -> None:
    text = """<?xml version="1.0"?>
<?xml-stylesheet type="text/xsl" href="spec.xsl"?>
<node>
  <?foo bar baz?>
  <interface name="a.B">
    <?php echo "x"; ?>
    <method name="M"><?target?><arg type="s" direction="in"/></method>
  </interface>
</node>"""
    doc = parse(text)
    assert [m.name for m in iface(doc, "a.B").methods] == ["M"]
    assert diagnostics(text) == []


# --------------------------------------------------------------------------- namespaces, tool annotations


def test_foreign_namespaces_are_skipped() -> None:
    text = """<node xmlns:x="urn:example:x" xmlns:doc="http://www.freedesktop.org/dbus/1.0/doc.dtd" x:version="2">
  <x:meta><interface name="hidden.Iface"/><method name="Hidden"/></x:meta>
  <interface name="a.B" x:owner="team">
    <x:extra><annotation name="x.y" value="z"/></x:extra>
    <method name="M" x:since="1">
      <x:arg name="fake" type="s"/>
      <arg name="a" type="s" direction="in" x:hint="h"/>
    </method>
    <y:thing xmlns:y="urn:y"><property name="P" type="s" access="read"/></y:thing>
  </interface>
  <z xmlns="urn:default-ns"><interface name="also.Hidden"/></z>
</node>"""
    doc = parse(text)
    assert [i.name for i in doc.interfaces] == ["a.B"]
    i = doc.interfaces[0]
    assert [m.name for m in i.methods] == ["M"]
    assert [a.name for a in i.methods[0].args] == ["a"]
    assert i.properties == () and i.annotations == ()
    assert diagnostics(text) == []


def test_tool_annotations_are_kept() -> None:
    text = """<node><interface name="a.B">
  <annotation name="org.gtk.GDBus.C.Name" value="Bee"/>
  <method name="M">
    <annotation name="org.qtproject.QtDBus.QtTypeName.In0" value="QVariantMap"/>
    <annotation name="org.gtk.GDBus.C.UnixFD" value="true"/>
    <arg name="m" type="a{sv}" direction="in">
      <annotation name="org.gtk.GDBus.C.ForceGVariant" value="true"/>
    </arg>
  </method>
  <property name="P" type="a{sv}" access="read">
    <annotation name="org.qtproject.QtDBus.QtTypeName" value="QVariantMap"/>
  </property>
</interface></node>"""
    i = iface(parse(text), "a.B")
    assert i.annotation("org.gtk.GDBus.C.Name") == "Bee"
    m = method(i, "M")
    assert [(a.name, a.value) for a in m.annotations] == [
        ("org.qtproject.QtDBus.QtTypeName.In0", "QVariantMap"),
        ("org.gtk.GDBus.C.UnixFD", "true"),
    ]
    assert [(a.name, a.value) for a in m.args[0].annotations] == [
        ("org.gtk.GDBus.C.ForceGVariant", "true")
    ]
    assert [(a.name, a.value) for a in prop(i, "P").annotations] == [
        ("org.qtproject.QtDBus.QtTypeName", "QVariantMap")
    ]
    assert m.annotations[0].location.line == 4 and m.annotations[0].location.column == 5
    assert diagnostics(text) == []


def test_root_interface_is_wrapped() -> None:
    text = """<!-- a comment first -->
<interface name="org.kde.StatusNotifierItem">
  <property name="Category" type="s" access="read"/>
  <signal name="NewTitle"/>
</interface>"""
    result = parse_bytes(text.encode(), "r.xml")
    doc = result.document
    assert doc.root_is_interface
    assert doc.root.name is None and doc.root.path is None
    (i,) = doc.interfaces
    assert i.name == "org.kde.StatusNotifierItem"
    assert (i.location.line, i.location.column) == (2, 1)
    assert [(d.rule, d.severity) for d in result.diagnostics] == [("DBUS-E001", Severity.WARNING)]
    assert result.diagnostics[0].location is not None
    assert (result.diagnostics[0].location.line, result.diagnostics[0].location.column) == (2, 1)


# --------------------------------------------------------------------------- locations

LOCATIONS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd" [
  <!ELEMENT node ANY>
]>
<!-- <node name="in a comment before the root"> -->
<node
    name="/com/example"
    >
  <!-- <interface name="in.a.Comment"> -->
  <interface name="com.example.Loc"><method name="Same"/>
\t<method
\t\tname="Tabbed">
      <arg name="ä" type="s" direction="in"/><arg name="second" type="s" direction="in"/>
    </method>
    <doc:doc xmlns:doc="http://www.freedesktop.org/dbus/1.0/doc.dtd"><doc:para><![CDATA[ <method name="InCdata"/> ]]></doc:para></doc:doc>
    <?if $(env.HOST_OS) == nowhere?><method name="Dropped"/><?endif?>
    <signal name="Sig">
      <annotation
         name="a.b"
         value="&lt;not a tag&gt;"/>
    </signal>
    <property name="Über" type="s" access="read"/><property name="Next" type="s" access="read"/>
  </interface>
  <node name="child"><node name="grand"/></node>
</node>
"""


def test_locations_line_and_column() -> None:
    doc = parse(LOCATIONS, {"HOST_OS": "linux"})
    assert (doc.root.location.line, doc.root.location.column) == (7, 1)
    i = iface(doc, "com.example.Loc")
    assert (i.location.line, i.location.column) == (11, 3)
    assert [(m.name, m.location.line, m.location.column) for m in i.methods] == [
        ("Same", 11, 37),
        ("Tabbed", 12, 2),  # a tab is one column
    ]
    args = method(i, "Tabbed").args
    assert [(a.name, a.location.line, a.location.column) for a in args] == [
        ("ä", 14, 7),
        ("second", 14, 46),
    ]
    s = signal(i, "Sig")
    assert (s.location.line, s.location.column) == (18, 5)
    assert (s.annotations[0].location.line, s.annotations[0].location.column) == (19, 7)
    assert s.annotations[0].value == "<not a tag>"
    assert [(p.name, p.location.line, p.location.column) for p in i.properties] == [
        ("Über", 23, 5),
        ("Next", 23, 51),
    ]
    (child,) = doc.root.nodes
    assert (child.location.line, child.location.column) == (25, 3)
    assert (child.nodes[0].location.line, child.nodes[0].location.column) == (25, 22)
    assert child.path == "/com/example/child" and child.nodes[0].path == "/com/example/child/grand"
    assert all(loc.file == "t.xml" for loc in (i.location, s.location, child.location))


def test_locations_after_a_byte_order_mark_and_crlf() -> None:
    data = (
        b'\xef\xbb\xbf<node>\r\n  <interface name="a.B">\r\n\t<method name="M"/></interface></node>'
    )
    doc = parse_bytes(data, "bom.xml").document
    assert (doc.root.location.line, doc.root.location.column) == (1, 1)
    i = doc.interfaces[0]
    assert (i.location.line, i.location.column) == (2, 3)
    assert (i.methods[0].location.line, i.methods[0].location.column) == (3, 2)


def test_diagnostics_carry_multi_line_start_tag_positions() -> None:
    text = '<node>\n  <interface\n     name="a.B">\n    <method\n      name="Bad-Name"\n    />\n  </interface>\n</node>'
    found = [(d.rule, d.location.line, d.location.column) for d in diagnostics(text) if d.location]
    assert found == [("DBUS-E013", 4, 5)]


def test_parse_file_uses_the_display_name(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text('<node>\n <interface name="a.B"/>\n</node>')
    doc = parse_file(path, display="shown.xml").document
    assert doc.path == "shown.xml"
    assert doc.interfaces[0].location.file == "shown.xml"
    assert str(doc.interfaces[0].location) == "shown.xml:2:2"


def test_model_is_frozen() -> None:
    doc = parse('<node><interface name="a.B"><method name="M"/></interface></node>')
    with pytest.raises(AttributeError):
        doc.interfaces[0].name = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- locations, property-based

_GAPS = st.sampled_from(
    [
        "",
        " ",
        "\n",
        "\t",
        "\n\t\t",
        "  \n  ",
        "<!-- é <method name='Fake'/> -->",
        "<?pi x?>",
        "\r\n",
        "<x:y xmlns:x='urn:x'><method name='No'/></x:y>",
        "<![CDATA[<node>]]>",
    ]
)
_IN_TAG = st.sampled_from([" ", "\n", "\t", "\n      ", "  \r\n "])


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.tuples(_GAPS, _IN_TAG, st.lists(st.tuples(_GAPS, _IN_TAG), max_size=4)),
        min_size=1,
        max_size=4,
    ),
    _GAPS,
)
def test_locations_match_where_elements_were_written(
    interfaces: list[tuple[str, str, list[tuple[str, str]]]], tail: str
) -> None:
    parts: list[str] = ["<node>"]
    expected: list[tuple[str, str]] = []  # (name, marker) in document order
    length = len("<node>")
    positions: dict[str, int] = {}

    def emit(text: str, name: str | None = None) -> None:
        nonlocal length
        if name is not None:
            positions[name] = length
        parts.append(text)
        length += len(text)

    for n, (gap, ws, methods) in enumerate(interfaces):
        emit(gap)
        iname = f"com.example.É{n}" if n % 2 else f"com.example.I{n}"
        emit(f'<interface{ws}name="{iname}"{ws}>', iname)
        expected.append((iname, "interface"))
        for k, (mgap, mws) in enumerate(methods):
            emit(mgap)
            mname = f"M{n}_{k}"
            emit(f'<method{mws}name="{mname}"/>', mname)
        emit(tail + "</interface>")
    emit("</node>")
    text = "".join(parts)

    def line_col(offset: int) -> tuple[int, int]:
        before = text[:offset].replace("\r\n", "\n")
        return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1

    doc = parse(text)
    assert len(doc.interfaces) == len(interfaces)
    for i in doc.interfaces:
        assert (i.location.line, i.location.column) == line_col(positions[i.name])
        for m in i.methods:
            assert (m.location.line, m.location.column) == line_col(positions[m.name])
