"""qdbusgen.naming: D-Bus names to Python names, collisions, overrides, type annotations."""

from __future__ import annotations

import ast
import builtins
import importlib.util
import keyword
import os
import subprocess
import sys
from typing import Any
from pathlib import Path

import pytest

from qdbusgen import naming
from qdbusgen.diagnostics import Diagnostic, Severity
from qdbusgen.model import Interface
from qdbusgen.resources import runtime_source
from qdbusgen.naming import (
    OVERRIDE_HINT,
    ARG_RESERVED,
    BUILTINS,
    KEYWORDS,
    MEMBER_RESERVED,
    OBJECT_ATTRIBUTES,
    RUNTIME_EXPORTS,
    RUNTIME_MEMBERS,
    SOFT_KEYWORDS,
    InterfaceNames,
    Names,
    build_names,
    common_interface_prefix,
    describe,
    pascal_case,
    python_type,
    runtime_names_from_source,
    safe_name,
    snake_case,
)
from qdbusgen.parser import parse_file
from qdbusgen.signature import parse_single

ROOT = Path(__file__).resolve().parent.parent
QEMU_INTERFACES = ROOT / "interfaces"


def load(tmp_path: Path, body: str, name: str = "t.xml") -> tuple[list[Interface], str]:
    path = tmp_path / name
    path.write_text(f"<node>\n{body}\n</node>\n", encoding="utf-8")
    result = parse_file(path)
    return list(result.document.interfaces), str(path)


def names_for(tmp_path: Path, body: str, **kw: Any) -> tuple[Names, list[Diagnostic], str]:
    interfaces, path = load(tmp_path, body)
    names, diags = build_names(interfaces, **kw)
    return names, diags, path


def only(names: Names) -> InterfaceNames:
    assert len(names.interfaces) == 1
    return names.interfaces[0]


def rules(diags: list[Diagnostic]) -> list[str]:
    return [d.rule for d in diags]


# --------------------------------------------------------------------------- case conversion


@pytest.mark.parametrize(
    ("dbus", "python"),
    [
        ("ConsoleIDs", "console_ids"),
        ("SetUIInfo", "set_ui_info"),
        ("GetVMState", "get_vm_state"),
        ("UUID", "uuid"),
        ("ScanoutDMABUF", "scanout_dmabuf"),
        ("ScanoutDMABUF2", "scanout_dmabuf2"),
        ("UpdateDMABUF", "update_dmabuf"),
        ("GetNameOwner", "get_name_owner"),
        ("RegisterListener", "register_listener"),
        ("FEOpened", "fe_opened"),
        ("NSamples", "n_samples"),
        ("IsAbsolute", "is_absolute"),
        ("D3d11", "d3d11"),
        ("ScanoutTexture2d", "scanout_texture2d"),
        ("ListQueuedOwners", "list_queued_owners"),
        ("GetAll", "get_all"),
        ("already_snake", "already_snake"),
        ("my-prop", "my_prop"),
        ("HTTPServer2Port", "http_server2_port"),
        ("x", "x"),
        # more
        ("VMState1", "vm_state1"),
        ("Get_Devices", "get_devices"),
        ("GetDevices", "get_devices"),
        ("_private", "private"),
        ("trailing_", "trailing"),
        ("a__b", "a_b"),
        ("org.qemu.Display1", "org_qemu_display1"),
        ("GetURLs", "get_urls"),
        ("DBusName", "dbus_name"),
        ("EchoUInt16", "echo_uint16"),
        ("EchoInt16", "echo_int16"),
        ("GetUInt", "get_uint"),
        ("UInteger", "u_integer"),
        ("org.freedesktop.DBus", "org_freedesktop_dbus"),
        ("set_ui_info", "set_ui_info"),
        ("Größe", "gr_e"),
        ("", ""),
        ("---", ""),
    ],
)
def test_snake_case(dbus: str, python: str) -> None:
    assert snake_case(dbus) == python
    assert snake_case(python) == python  # idempotent


@pytest.mark.parametrize(
    ("dbus", "python"),
    [
        ("Listener.Unix.Map", "ListenerUnixMap"),
        ("Listener.Win32.Map", "ListenerWin32Map"),
        ("Listener.Win32.D3d11", "ListenerWin32D3d11"),
        ("Listener.Unix.ScanoutDMABUF2", "ListenerUnixScanoutDMABUF2"),
        ("VMState1", "VMState1"),
        ("VM", "VM"),
        ("ConsoleIDs", "ConsoleIDs"),
        ("SetUIInfo", "SetUIInfo"),
        ("already_snake", "AlreadySnake"),
        ("my-prop", "MyProp"),
        ("x", "X"),
        ("dbus", "Dbus"),
        ("DBus", "DBus"),
        ("DBusName", "DBusName"),
    ],
)
def test_pascal_case(dbus: str, python: str) -> None:
    assert pascal_case(dbus) == python


@pytest.mark.parametrize(
    ("name", "reserved", "safe"),
    [
        ("class", ARG_RESERVED, "class_"),
        ("type", MEMBER_RESERVED, "type_"),
        ("match", MEMBER_RESERVED, "match_"),
        ("case", ARG_RESERVED, "case_"),
        ("print", ARG_RESERVED, "print_"),
        ("None", MEMBER_RESERVED, "None_"),
        ("self", ARG_RESERVED, "self_"),
        ("count", ARG_RESERVED, "count_"),
        ("index", ARG_RESERVED, "index_"),
        ("id", ARG_RESERVED, "id_"),
        ("2d", ARG_RESERVED, "n2d"),
        ("width", ARG_RESERVED, "width"),
    ],
)
def test_safe_name(name: str, reserved: frozenset[str], safe: str) -> None:
    assert safe_name(name, reserved) == safe


def test_fixed_reserved_lists_cover_running_python() -> None:
    # The lists are fixed in the source (output must not depend on the interpreter);
    # this fails on a new Python that adds a keyword or builtin, so the list gets updated.
    assert set(keyword.kwlist) <= KEYWORDS
    assert set(keyword.softkwlist) <= SOFT_KEYWORDS
    assert {n for n in dir(builtins) if not n.startswith("_")} <= BUILTINS
    assert set(dir(object)) <= OBJECT_ATTRIBUTES | {"__getstate__"}
    assert {
        "int",
        "bool",
        "float",
        "str",
        "bytes",
        "list",
        "dict",
        "tuple",
        "object",
        "type",
        "print",
    } <= BUILTINS
    assert {"None", "True", "False"} <= KEYWORDS


def test_reserved_lists_are_literals_in_source() -> None:
    # "computed from the running interpreter" would show up as dir(builtins)/keyword.kwlist calls.
    source = Path(naming.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dir":
            pytest.fail("naming.py calls dir()")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert node.value.id not in ("keyword", "builtins"), ast.unparse(node)


# --------------------------------------------------------------------------- runtime names


def test_runtime_names_from_synthetic_source() -> None:
    source = """
__all__ = ["ProxyBase", "ServerBase", "connect"]

class _Common:
    shared: int = 0
    def helper(self) -> None:
        self.cached = 1
        self._private = 2

class ProxyBase(_Common):
    __slots__ = ("slot_a", "slot_b")
    INTERFACE = ""
    def __init__(self) -> None:
        self.timeout = 3
    async def new(cls): ...
    if True:
        def conditional(self): ...

class ServerBase(ServiceInterface):
    def export(self): ...
    @property
    def prop(self): ...

class Unrelated:
    def not_reserved(self): ...
"""
    names = runtime_names_from_source(source)
    assert names.complete
    assert names.exports == {"ProxyBase", "ServerBase", "connect"}
    public = {n for n in names.members if not n.startswith("_")}
    assert public == {
        "shared",
        "helper",
        "cached",
        "slot_a",
        "slot_b",
        "INTERFACE",
        "timeout",
        "new",
        "conditional",
        "export",
        "prop",
        # dbus_fast.service.ServiceInterface
        "name",
        "introspect",
        "emit_properties_changed",
    }
    assert "not_reserved" not in names.members


def test_runtime_names_incomplete_source() -> None:
    assert not runtime_names_from_source(
        "class ProxyBase(SomethingElse): pass\nclass ServerBase: pass\n"
    ).complete
    assert not runtime_names_from_source(
        "__all__ = []\nclass ProxyBase: pass\n"
    ).complete  # no ServerBase
    assert not runtime_names_from_source(
        "class ProxyBase: pass\nclass ServerBase: pass\n"
    ).complete  # no __all__


def test_runtime_reserved_names_match_runtime_package() -> None:
    parsed = runtime_names_from_source(runtime_source())
    assert (
        parsed.complete
    ), "qdbusgen_runtime: a base class or __all__ could not be read; fix naming.py"
    assert RUNTIME_MEMBERS == parsed.members
    assert RUNTIME_EXPORTS == parsed.exports
    # Against the real classes: every attribute (inherited ones included, instance attributes
    # of a constructed object too) is reserved.
    import qdbusgen_runtime

    for cls in (qdbusgen_runtime.ProxyBase, qdbusgen_runtime.ServerBase):
        found = {n for n in dir(cls) if not n.startswith("__")}
        assert found <= RUNTIME_MEMBERS | OBJECT_ATTRIBUTES, (cls, sorted(found - RUNTIME_MEMBERS))
    server = qdbusgen_runtime.ServerBase()
    assert set(vars(server)) <= RUNTIME_MEMBERS
    assert RUNTIME_EXPORTS == set(qdbusgen_runtime.__all__)


def test_runtime_members_get_suffix(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Thing">
             <method name="Export"/><method name="New"/><method name="Unexport"/>
             <method name="Close"/>
           </interface>""",
    )
    # each renaming is reported (an info): a user would not guess it
    assert [(d.rule, d.severity) for d in diags] == [("NAME-I007", Severity.INFO)] * 4
    assert [m.name for m in only(names).methods] == ["export_", "new_", "unexport_", "close_"]


# --------------------------------------------------------------------------- whole interfaces


def test_vmstate_alone(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.qemu.VMState1">
             <property name="Id" type="s" access="read"/>
             <method name="Load"><arg name="data" type="ay" direction="in"/></method>
             <method name="Save"><arg name="data" type="ay" direction="out"/></method>
           </interface>""",
    )
    assert diags == []
    i = only(names)
    assert (i.base, i.module, i.proxy_class, i.server_class) == (
        "VMState1",
        "vm_state1",
        "VMState1Proxy",
        "VMState1Server",
    )
    assert i.constant == "VM_STATE1_INTERFACE"
    assert i.changed_class == "VMState1PropertiesChanged" and i.watch_name == "watch_properties"
    load_, save = i.methods
    assert load_.name == "load" and [a.name for a in load_.in_args] == ["data"]
    assert (
        load_.in_args[0].send_type == "bytes | bytearray" and load_.in_args[0].recv_type == "bytes"
    )
    assert (load_.client_return, load_.server_return, load_.result_class) == ("None", "None", None)
    assert (save.client_return, save.server_return, save.result_class) == (
        "bytes",
        "bytes | bytearray",
        None,
    )
    (prop,) = i.properties
    assert (prop.getter, prop.setter, prop.notifier) == ("get_id", None, "notify_id")
    assert prop.readable and not prop.writable
    assert i.exports == (
        "VM_STATE1_INTERFACE",
        "VMState1Properties",
        "VMState1PropertiesChanged",
        "VMState1Proxy",
        "VMState1Server",
    )


def test_qemu_display_family(tmp_path: Path) -> None:
    body = "\n".join(
        f'<interface name="org.qemu.Display1.{n}"><method name="Ping"/></interface>'
        for n in (
            "VM",
            "Console",
            "Listener",
            "Listener.Unix.Map",
            "Listener.Win32.Map",
            "Listener.Win32.D3d11",
        )
    )
    names, diags, _ = names_for(tmp_path, body)
    assert diags == []
    assert names.interface_prefix == "org.qemu.Display1"
    assert [i.base for i in names.interfaces] == [
        "VM",
        "Console",
        "Listener",
        "ListenerUnixMap",
        "ListenerWin32Map",
        "ListenerWin32D3d11",
    ]
    assert names.modules == (
        "vm",
        "console",
        "listener",
        "listener_unix_map",
        "listener_win32_map",
        "listener_win32_d3d11",
    )
    assert names.interface("org.qemu.Display1.VM").proxy_class == "VMProxy"


def test_explicit_interface_prefix(tmp_path: Path) -> None:
    body = (
        """<interface name="org.qemu.Display1.VM"/><interface name="org.qemu.Display1.Console"/>"""
    )
    names, diags, _ = names_for(tmp_path, body, interface_prefix="org.qemu")
    assert diags == []
    assert [i.base for i in names.interfaces] == ["Display1VM", "Display1Console"]
    names, _, _ = names_for(tmp_path, body, interface_prefix="")
    assert [i.base for i in names.interfaces] == ["OrgQemuDisplay1VM", "OrgQemuDisplay1Console"]
    names, _, _ = names_for(tmp_path, body, interface_prefix="com.other")
    assert names.interfaces[0].base == "OrgQemuDisplay1VM"


def test_common_interface_prefix() -> None:
    assert common_interface_prefix(["org.qemu.VMState1"]) == "org.qemu"
    assert common_interface_prefix(["org.qemu.VMState1", "org.qemu.Display1.VM"]) == "org.qemu"
    assert (
        common_interface_prefix(["org.qemu.Display1.VM", "org.qemu.Display1.Listener.Unix.Map"])
        == "org.qemu.Display1"
    )
    assert common_interface_prefix(["org.a.X", "com.b.Y"]) == ""
    assert common_interface_prefix([]) == ""


def test_real_qemu_interfaces_have_no_naming_errors() -> None:
    files = sorted(QEMU_INTERFACES.glob("*.xml"))
    if not files:
        pytest.skip("interfaces/ is empty")
    interfaces = [i for f in files for i in parse_file(f).document.interfaces]
    names, diags = build_names(interfaces)
    assert diags == []
    by = {i.dbus_name: i for i in names.interfaces}
    console = by["org.qemu.Display1.Console"]
    assert [m.name for m in console.methods] == ["register_listener", "set_ui_info"]
    assert [a.name for a in console.methods[1].in_args] == [
        "width_mm",
        "height_mm",
        "xoff",
        "yoff",
        "width",
        "height",
    ]
    assert "get_type" in [p.getter for p in console.properties]
    assert [p.getter for p in by["org.qemu.Display1.VM"].properties][:3] == [
        "get_name",
        "get_uuid",
        "get_console_ids",
    ]
    out = by["org.qemu.Display1.AudioOutListener"]
    assert out.methods[0].in_args[0].name == "id_"  # builtin id
    audio = by["org.qemu.Display1.Audio"]
    n_samples = [p for p in audio.properties if p.dbus_name == "NSamples"][0]
    assert (
        n_samples.getter == "get_n_samples" and n_samples.notifier is None
    )  # EmitsChangedSignal=const
    _check_all_names_are_clean(names)


def _check_all_names_are_clean(names: Names) -> None:
    for i in names.interfaces:
        members = [m.name for m in i.methods]
        members += [
            n for p in i.properties for n in (p.getter, p.setter, p.notifier) if n is not None
        ]
        members += [n for s in i.signals for n in (s.on_name, s.stream_name, s.emit_name)]
        args = [a.name for m in i.methods for a in m.in_args + m.out_args]
        args += [a.name for s in i.signals for a in s.args]
        for n in [*members, *args, *i.exports, i.module]:
            assert n.isidentifier() and n.isascii() and not n.startswith("_"), n
            assert n not in KEYWORDS and n not in SOFT_KEYWORDS and n not in BUILTINS, n
        for n in members:
            assert n not in RUNTIME_MEMBERS, n
        for n in args:
            assert n not in ARG_RESERVED, n
        for t in [a.recv_type for m in i.methods for a in m.in_args + m.out_args] + [
            m.client_return for m in i.methods
        ]:
            ast.parse(t, mode="eval")


# --------------------------------------------------------------------------- properties and signals


def test_property_accessors(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Props">
             <property name="ReadOnly" type="u" access="read"/>
             <property name="WriteOnly" type="as" access="write"/>
             <property name="Both" type="a{sv}" access="readwrite"/>
             <property name="Invalidates" type="s" access="read">
               <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
             </property>
             <property name="Constant" type="s" access="read">
               <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
             </property>
             <property name="Silent" type="s" access="readwrite">
               <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="false"/>
             </property>
           </interface>""",
    )
    assert diags == []
    got = {p.dbus_name: (p.getter, p.setter, p.notifier) for p in only(names).properties}
    assert got == {
        "ReadOnly": ("get_read_only", None, "notify_read_only"),
        "WriteOnly": (None, "set_write_only", None),
        "Both": ("get_both", "set_both", "notify_both"),
        "Invalidates": ("get_invalidates", None, "notify_invalidates"),
        "Constant": ("get_constant", None, None),
        "Silent": ("get_silent", "set_silent", None),
    }
    both = only(names).properties[2]
    assert (
        both.recv_type == "dict[str, _rt.Variant]"
        and both.send_type == "_t.Mapping[str, _rt.Variant]"
    )


def test_no_watcher_without_changing_properties(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.A"><method name="WatchProperties"/>
             <property name="C" type="s" access="read">
               <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
             </property></interface>
           <interface name="org.example.B"><method name="WatchProperties"/>
             <property name="P" type="s" access="read"/></interface>""",
    )
    # B's method steps aside for the watcher, and that is reported (an info)
    assert [(d.rule, d.severity) for d in diags] == [("NAME-I007", Severity.INFO)]
    assert "'watch_properties_'" in diags[0].message
    a, b = names.interfaces
    assert (a.changed_class, a.watch_name, a.methods[0].name) == (None, None, "watch_properties")
    assert (b.changed_class, b.watch_name, b.methods[0].name) == (
        "BPropertiesChanged",
        "watch_properties",
        "watch_properties_",
    )


def test_signals(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Devices">
             <signal name="DeviceAdded"><arg name="path" type="o"/><arg name="props" type="a{sv}"/></signal>
             <signal name="Reset"/>
           </interface>""",
    )
    assert diags == []
    added, reset = only(names).signals
    assert (added.on_name, added.stream_name, added.emit_name) == (
        "on_device_added",
        "stream_device_added",
        "emit_device_added",
    )
    assert added.tuple_class == "DevicesDeviceAddedSignal"
    assert [(a.name, a.recv_type, a.send_type) for a in added.args] == [
        ("path", "_rt.ObjectPath", "_rt.ObjectPath"),
        ("props", "dict[str, _rt.Variant]", "_t.Mapping[str, _rt.Variant]"),
    ]
    assert reset.tuple_class == "DevicesResetSignal" and reset.args == ()
    assert only(names).exports == (
        "DEVICES_INTERFACE",
        "DevicesDeviceAddedSignal",
        "DevicesResetSignal",
        "DevicesProxy",
        "DevicesServer",
    )


def test_results_and_unnamed_args(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.qemu.Display1.Console">
             <method name="SetUIInfo">
               <arg type="q" direction="in"/><arg name="height_mm" type="q" direction="in"/>
               <arg type="s" direction="out"/><arg name="count" type="(ia{sv})" direction="out"/>
               <arg name="index" type="aay" direction="out"/>
             </method>
           </interface>""",
    )
    # the renamed result fields are reported (an info), not renamed silently
    assert [(d.rule, d.severity, d.location.line if d.location else 0) for d in diags] == [
        ("NAME-I006", Severity.INFO, 5),
        ("NAME-I006", Severity.INFO, 6),
    ]
    assert "ConsoleSetUIInfoResult.count_" in diags[0].message
    assert "tuple.index" in diags[1].message
    (m,) = only(names).methods
    assert [a.name for a in m.in_args] == ["arg0", "height_mm"]
    assert [(a.name, a.position) for a in m.out_args] == [("arg0", 0), ("count_", 1), ("index_", 2)]
    assert m.result_class == "ConsoleSetUIInfoResult"
    assert m.client_return == "ConsoleSetUIInfoResult"
    assert (
        m.server_return
        == "tuple[str, tuple[int, _t.Mapping[str, _rt.Variant]], _t.Sequence[bytes | bytearray]]"
    )


# --------------------------------------------------------------------------- overrides


def test_overrides(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Over">
             <annotation name="org.gtk.GDBus.C.Name" value="OverriddenThing"/>
             <method name="Both">
               <annotation name="org.gtk.GDBus.C.Name" value="FromC"/>
               <annotation name="org.qdbusgen.Python.Name" value="from_python"/>
               <arg name="a" type="s" direction="out"/><arg name="b" type="s" direction="out"/>
             </method>
             <method name="OnlyC">
               <annotation name="org.gtk.GDBus.C.Name" value="SetUIThing"/>
               <arg name="x" type="s" direction="in">
                 <annotation name="org.qdbusgen.Python.Name" value="renamed_x"/>
               </arg>
               <arg name="y" type="s" direction="in">
                 <annotation name="org.gtk.GDBus.C.Name" value="ignored_on_args"/>
               </arg>
             </method>
             <property name="Type" type="s" access="read">
               <annotation name="org.qdbusgen.Python.Name" value="kind"/>
             </property>
             <signal name="Changed"><annotation name="org.gtk.GDBus.C.Name" value="WasChanged"/></signal>
           </interface>""",
    )
    assert diags == []
    i = only(names)
    assert (
        i.base == "OverriddenThing"
        and i.proxy_class == "OverriddenThingProxy"
        and i.module == "overridden_thing"
    )
    both, only_c = i.methods
    assert both.name == "from_python" and both.result_class == "OverriddenThingFromPythonResult"
    assert only_c.name == "set_ui_thing" and only_c.pascal == "SetUIThing"
    assert [a.name for a in only_c.in_args] == ["renamed_x", "y"]
    assert i.properties[0].getter == "get_kind"
    sig = i.signals[0]
    assert (sig.on_name, sig.emit_name, sig.tuple_class) == (
        "on_was_changed",
        "emit_was_changed",
        "OverriddenThingWasChangedSignal",
    )


def test_interface_python_name_override(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Long.Name">
             <annotation name="org.qdbusgen.Python.Name" value="Short"/>
             <annotation name="org.gtk.GDBus.C.Name" value="Ignored"/>
           </interface>""",
    )
    assert diags == []
    assert only(names).base == "Short" and only(names).module == "short"


@pytest.mark.parametrize(
    ("where", "value", "reason", "used"),
    [
        ("method", "class", "it is a Python keyword", "do_it"),
        ("method", "match", "it is a Python soft keyword", "do_it"),
        ("method", "list", "it is a Python builtin", "do_it"),
        ("method", "export", "the runtime base classes use it", "do_it"),
        ("method", "_hidden", "it starts with '_'", "do_it"),
        ("method", "not-valid", "it is not a Python identifier", "do_it"),
        ("method", "größe", "it is not ASCII", "do_it"),
        ("method", "ThingProxy", "shadow the generated module-level name 'ThingProxy'", "do_it"),
        ("arg", "self", "it is the method's 'self'", "value"),
        ("arg", "from", "it is a Python keyword", "value"),
        ("arg", "", "it is empty", "value"),
    ],
)
def test_bad_python_name_override(
    tmp_path: Path, where: str, value: str, reason: str, used: str
) -> None:
    ann = f'<annotation name="org.qdbusgen.Python.Name" value="{value}"/>'
    method_ann, arg_ann = (ann, "") if where == "method" else ("", ann)
    names, diags, path = names_for(
        tmp_path,
        f"""<interface name="org.example.Thing">
              <method name="DoIt">{method_ann}
                <arg name="value" type="s">{arg_ann}</arg>
              </method>
            </interface>""",
    )
    (d,) = diags
    assert d.rule == "NAME-E004" and d.severity is Severity.ERROR
    assert reason in d.message and f"using {used!r}" in d.message
    assert "org.qdbusgen.Python.Name" in d.message
    # location: the annotation itself (method on line 3, arg on line 4); related: the element
    assert d.location is not None and d.location.line == (3 if where == "method" else 4)
    assert d.related is not None and d.related.file == path
    m = only(names).methods[0]
    assert (m.name, m.in_args[0].name) == ("do_it", "value")


def test_bad_c_name_override(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Thing">
             <method name="DoIt"><annotation name="org.gtk.GDBus.C.Name" value="---"/></method>
           </interface>""",
    )
    assert rules(diags) == ["NAME-E004"]
    assert only(names).methods[0].name == "do_it"


def test_python_name_fallback_to_c_name(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Thing">
             <method name="DoIt">
               <annotation name="org.gtk.GDBus.C.Name" value="DoItInC"/>
               <annotation name="org.qdbusgen.Python.Name" value="type"/>
             </method>
           </interface>""",
    )
    assert rules(diags) == ["NAME-E004"]
    assert "using 'do_it_in_c'" in diags[0].message
    assert only(names).methods[0].name == "do_it_in_c"


def test_nothing_usable_in_a_name(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Thing">
             <property name="日本" type="s" access="read"/>
             <method name="M"><arg name="日本" type="s"/></method>
           </interface>""",
    )
    assert rules(diags) == ["NAME-E005"]  # the property; an arg just becomes arg<N>
    assert only(names).methods[0].in_args[0].name == "arg0"


# --------------------------------------------------------------------------- collisions


def test_collision_method_vs_property_accessor(tmp_path: Path) -> None:
    names, diags, path = names_for(
        tmp_path,
        """<interface name="org.example.Manager">
             <method name="GetDevices"><arg name="d" type="as" direction="out"/></method>
             <property name="Devices" type="as" access="read"/>
           </interface>""",
    )
    (d,) = diags
    assert d.rule == "NAME-E001" and d.severity is Severity.ERROR
    assert d.message == (
        "method 'GetDevices' and property 'Devices' both become 'get_devices' "
        f"on ManagerProxy and ManagerServer (first at line 3, column 14); {OVERRIDE_HINT}"
    )
    assert "org.qdbusgen.Python.Name" in OVERRIDE_HINT
    assert d.location is not None and (d.location.line, d.location.column) == (4, 14)
    assert d.related is not None and (d.related.line, d.related.column) == (3, 14)
    assert d.format().startswith(f"{path}:4:14: error: method 'GetDevices' and property 'Devices'")


def test_collision_qt_overloads(tmp_path: Path) -> None:
    _, diags, path = names_for(
        tmp_path,
        """<interface name="org.example.Qt">
             <method name="Foo"><arg name="a" type="s"/><arg name="x" type="s" direction="out"/><arg name="y" type="s" direction="out"/></method>
             <method name="Foo"><arg name="a" type="i"/><arg name="x" type="s" direction="out"/><arg name="y" type="s" direction="out"/></method>
           </interface>""",
    )
    # One diagnostic: the clashing QtFooResult classes are the same pair and are not repeated.
    (d,) = diags
    assert d.rule == "NAME-E001"
    assert (
        d.message
        == f"method 'Foo' and method 'Foo' both become 'foo' on QtProxy and QtServer (first at line 3, column 14); {OVERRIDE_HINT}"
    )


@pytest.mark.parametrize(
    ("a", "b"), [("Foo", "foo"), ("Get_Devices", "GetDevices"), ("SetUIInfo", "SetUiInfo")]
)
def test_collision_case_folding(tmp_path: Path, a: str, b: str) -> None:
    _, diags, _ = names_for(
        tmp_path,
        f'<interface name="org.example.X"><method name="{a}"/><method name="{b}"/></interface>',
    )
    (d,) = diags
    assert d.rule == "NAME-E001"
    assert (
        f"method '{a}' and method '{b}' both become '{snake_case(a)}' on XProxy and XServer"
        in d.message
    )


def test_property_type_and_method_type(tmp_path: Path) -> None:
    # No clash: the method becomes type_ (builtin), the property's accessor get_type.
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.X">
             <property name="Type" type="s" access="read"/><method name="type"/>
           </interface>""",
    )
    assert diags == []
    assert only(names).methods[0].name == "type_" and only(names).properties[0].getter == "get_type"
    # ... but a GetType method does clash with the property's getter.
    _, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.X">
             <property name="Type" type="s" access="read"/><method name="GetType"/>
           </interface>""",
    )
    assert rules(diags) == ["NAME-E001"]
    assert "property 'Type' and method 'GetType' both become 'get_type'" in diags[0].message


def test_collision_proxy_only_and_server_only(tmp_path: Path) -> None:
    _, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.X">
             <signal name="Changed"/><method name="OnChanged"/><method name="EmitChanged"/>
             <property name="P" type="s" access="read"/><method name="NotifyP"/>
           </interface>""",
    )
    messages = sorted(d.message.split(" (first")[0] for d in diags)
    assert messages == [
        "property 'P' and method 'NotifyP' both become 'notify_p' on XServer",
        "signal 'Changed' and method 'OnChanged' both become 'on_changed' on XProxy",
    ]
    assert set(rules(diags)) == {"NAME-E001"}


XSIDES = """<interface name="org.example.X">
             <signal name="Changed"/><method name="OnChanged"/>
             <property name="P" type="s" access="read"/><method name="NotifyP"/>
           </interface>"""


def test_collisions_only_on_the_generated_side(tmp_path: Path) -> None:
    # The proxy-only clash (on_changed) is gone without a client, the server-only
    # clash (notify_p) without a server.
    _, diags, _ = names_for(tmp_path, XSIDES, client=False)
    assert [d.message.split(" (first")[0] for d in diags] == [
        "property 'P' and method 'NotifyP' both become 'notify_p' on XServer"
    ]
    _, diags, _ = names_for(tmp_path, XSIDES, server=False)
    assert [d.message.split(" (first")[0] for d in diags] == [
        "signal 'Changed' and method 'OnChanged' both become 'on_changed' on XProxy"
    ]


def test_emitter_steps_aside_for_a_method(tmp_path: Path) -> None:
    # gdbus-codegen's own test interface has EmitChanged next to a signal Changed: the
    # method keeps emit_changed (proxy and server), the emitter becomes emit_changed_signal.
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.X">
             <signal name="Changed"/><method name="EmitChanged"/>
           </interface>""",
    )
    assert diags == []
    iface = only(names)
    assert iface.methods[0].name == "emit_changed"
    assert iface.signals[0].emit_name == "emit_changed_signal"
    # without the method the emitter is the usual one
    names, diags, _ = names_for(
        tmp_path, '<interface name="org.example.X"><signal name="Changed"/></interface>'
    )
    assert diags == [] and only(names).signals[0].emit_name == "emit_changed"


def test_collision_interfaces_fold_to_same_class(tmp_path: Path) -> None:
    names, diags, path = names_for(
        tmp_path,
        """<interface name="org.example.Foo_Bar"><signal name="S"/></interface>
           <interface name="org.example.FooBar"><signal name="S"/></interface>""",
    )
    (d,) = diags  # one per pair: proxy, server, constant, module and signal class merged
    assert d.rule == "NAME-E003"
    assert d.message == (
        "interface 'org.example.Foo_Bar' and interface 'org.example.FooBar' both become "
        "class 'FooBarProxy', class 'FooBarServer', constant 'FOO_BAR_INTERFACE' and module 'foo_bar' "
        f"(first at line 2, column 1); {OVERRIDE_HINT}"
    )
    assert d.location is not None and d.location.line == 3


def test_collision_modules_only(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.VMState"/><interface name="org.example.VmState"/>""",
    )
    assert [i.proxy_class for i in names.interfaces] == ["VMStateProxy", "VmStateProxy"]
    (d,) = diags
    assert d.rule == "NAME-E003"
    assert "both become constant 'VM_STATE_INTERFACE' and module 'vm_state'" in d.message


def test_collision_result_classes_across_interfaces(tmp_path: Path) -> None:
    two_out = '<arg name="a" type="s" direction="out"/><arg name="b" type="s" direction="out"/>'
    _, diags, _ = names_for(
        tmp_path,
        f"""<interface name="org.example.A"><method name="BC">{two_out}</method></interface>
            <interface name="org.example.AB"><method name="C">{two_out}</method></interface>""",
    )
    (d,) = diags
    assert d.rule == "NAME-E003"
    assert (
        "method 'org.example.A.BC' and method 'org.example.AB.C' both become class 'ABCResult'"
        in d.message
    )


def test_collision_args(tmp_path: Path) -> None:
    _, diags, path = names_for(
        tmp_path,
        """<interface name="org.example.Mail">
             <method name="Send"><arg name="from" type="s"/><arg name="from_" type="s"/></method>
           </interface>""",
    )
    (d,) = diags
    assert d.rule == "NAME-E002"
    assert d.message == (
        "arg 'from' and arg 'from_' both become parameter 'from_' of MailProxy.send and MailServer.send "
        f"(first at line 3, column 34); {OVERRIDE_HINT}"
    )


def test_collision_out_args_and_signal_args(tmp_path: Path) -> None:
    _, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.X">
             <method name="M"><arg name="Value" type="s" direction="out"/><arg name="value" type="s" direction="out"/></method>
             <method name="One"><arg name="v" type="s" direction="out"/></method>
             <signal name="S"><arg name="a-b" type="s"/><arg name="a_b" type="s"/></signal>
             <method name="Unnamed"><arg type="s"/><arg name="arg0" type="s"/></method>
           </interface>""",
    )
    messages = [d.message.split(" (first")[0] for d in diags]
    assert messages == [
        "arg 'Value' and arg 'value' both become field 'value' of XMResult",
        "arg 'a-b' and arg 'a_b' both become parameter 'a_b' of XServer.emit_s and field 'a_b' of XSSignal",
        "unnamed arg #0 and arg 'arg0' both become parameter 'arg0' of XProxy.unnamed and XServer.unnamed",
    ]
    assert set(rules(diags)) == {"NAME-E002"}


def test_same_interface_twice(tmp_path: Path) -> None:
    iface = '<interface name="org.example.Same"><method name="M"/></interface>'
    names, diags, _ = names_for(
        tmp_path, f"<node name='a'>{iface}</node><node name='b'>{iface}</node>"
    )
    assert diags == [] and len(names.interfaces) == 1
    names, diags, _ = names_for(
        tmp_path,
        f"<node name='a'>{iface}</node><node name='b'><interface name='org.example.Same'><method name='N'/></interface></node>",
    )
    assert (
        rules(diags) == ["NAME-E003"]
        and "declared twice with different members" in diags[0].message
    )
    assert [m.name for m in only(names).methods] == ["m"]


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("sig", "received", "sent"),
    [
        ("y", "int", "int"),
        ("n", "int", "int"),
        ("q", "int", "int"),
        ("i", "int", "int"),
        ("u", "int", "int"),
        ("x", "int", "int"),
        ("t", "int", "int"),
        ("b", "bool", "bool"),
        ("d", "float", "float"),
        ("s", "str", "str"),
        ("o", "_rt.ObjectPath", "_rt.ObjectPath"),
        ("g", "_rt.Signature", "_rt.Signature"),
        ("h", "_rt.UnixFD", "_rt.UnixFD"),
        ("v", "_rt.Variant", "_rt.Variant"),
        ("ay", "bytes", "bytes | bytearray"),
        ("as", "list[str]", "list[str] | tuple[str, ...]"),  # not Sequence[str]: a str is one
        ("aas", "list[list[str]]", "_t.Sequence[list[str] | tuple[str, ...]]"),
        ("ao", "list[_rt.ObjectPath]", "_t.Sequence[_rt.ObjectPath]"),
        ("ah", "list[_rt.UnixFD]", "_t.Sequence[_rt.UnixFD]"),
        ("aay", "list[bytes]", "_t.Sequence[bytes | bytearray]"),
        ("a{sv}", "dict[str, _rt.Variant]", "_t.Mapping[str, _rt.Variant]"),
        (
            "a{oa{sa{sv}}}",
            "dict[_rt.ObjectPath, dict[str, dict[str, _rt.Variant]]]",
            "_t.Mapping[_rt.ObjectPath, _t.Mapping[str, _t.Mapping[str, _rt.Variant]]]",
        ),
        ("(si)", "tuple[str, int]", "tuple[str, int]"),
        ("a(say)", "list[tuple[str, bytes]]", "_t.Sequence[tuple[str, bytes | bytearray]]"),
        ("((i))", "tuple[tuple[int]]", "tuple[tuple[int]]"),
    ],
)
def test_python_type(sig: str, received: str, sent: str) -> None:
    t = parse_single(sig)
    assert python_type(t, sending=False) == received
    assert python_type(t, sending=True) == sent
    for text in (received, sent):
        ast.parse(text, mode="eval")
        assert "Any" not in text


def test_describe() -> None:
    assert describe(parse_single("a{sv}")) == "dict of string to variant"
    assert describe(None) == "invalid type"


# --------------------------------------------------------------------------- determinism


def _snapshot(names: Names, diags: list[Diagnostic]) -> str:
    lines = [d.format() for d in diags]
    for i in sorted(names.interfaces, key=lambda i: i.dbus_name):
        lines.append(
            repr((i.base, i.module, i.proxy_class, i.constant, i.changed_class, i.exports))
        )
        for m in i.methods:
            lines.append(
                repr(
                    (
                        m.name,
                        m.result_class,
                        [a.name for a in m.in_args + m.out_args],
                        m.client_return,
                    )
                )
            )
        for p in i.properties:
            lines.append(repr((p.getter, p.setter, p.notifier, p.send_type)))
        for s in i.signals:
            lines.append(
                repr(
                    (s.on_name, s.stream_name, s.emit_name, s.tuple_class, [a.name for a in s.args])
                )
            )
    return "\n".join(lines)


CLASHY = """
<interface name="org.example.Manager">
  <method name="GetDevices"><arg name="from" type="s"/><arg name="from_" type="s"/></method>
  <method name="Foo"/><method name="foo"/>
  <property name="Devices" type="as" access="readwrite"/>
  <signal name="Changed"><arg name="class" type="a{sv}"/></signal>
</interface>
<interface name="org.example.Other.Manager"><method name="X"/></interface>
<interface name="org.example.Other_Manager"><method name="X"/></interface>
"""


def test_reversed_input_gives_same_names_and_diagnostics(tmp_path: Path) -> None:
    interfaces, _ = load(tmp_path, CLASHY)
    forward = build_names(interfaces)
    backward = build_names(list(reversed(interfaces)))
    assert _snapshot(*forward) == _snapshot(*backward)
    assert forward[1] and all(d.severity is Severity.ERROR for d in forward[1])


def test_hash_seed_independent(tmp_path: Path) -> None:
    xml = tmp_path / "t.xml"
    xml.write_text(f"<node>{CLASHY}</node>", encoding="utf-8")
    script = (
        "import sys; sys.path.insert(0, sys.argv[2]); sys.path.insert(0, sys.argv[3])\n"
        "from qdbusgen.parser import parse_file\n"
        "from qdbusgen.naming import build_names\n"
        "from test_naming import _snapshot\n"
        "print(_snapshot(*build_names(parse_file(sys.argv[1]).document.interfaces)))\n"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-c", script, str(xml), str(ROOT), str(Path(__file__).parent)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_module_avoids_runtime_exports_and_digits(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="org.example.Connect"><method name="M"><arg name="2nd" type="s"/><arg name="_x" type="s"/></method></interface>
           <interface name="org.example.Type"/>""",
    )
    assert diags == []
    assert names.modules == (
        ("connect_", "type_") if "connect" in RUNTIME_EXPORTS else ("connect", "type_")
    )
    assert [a.name for a in names.interfaces[0].methods[0].in_args] == ["n2nd", "x"]


def test_write_only_property_gets_no_notifier(tmp_path: Path) -> None:
    names, diags, _ = names_for(
        tmp_path,
        """<interface name="com.example.Secret1">
  <property name="Token" type="s" access="write"/>
  <property name="Level" type="u" access="read"/>
  <property name="Mode" type="u" access="readwrite">
    <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="invalidates"/>
  </property>
</interface>""",
    )
    assert not diags
    props = {p.dbus_name: p for p in only(names).properties}
    assert props["Token"].notifier is None and props["Token"].getter is None
    assert props["Level"].notifier == "notify_level"
    assert props["Mode"].notifier == "notify_mode"
