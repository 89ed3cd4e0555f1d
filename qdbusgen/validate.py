"""Group A of the rule catalog: validity against the D-Bus specification, on the model.

The parser already reported the structural rules (DBUS-E001..E004, W003, W004); this
module checks names, types, values, duplicates and the standard interfaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from .diagnostics import Diagnostic, diagnostic, where_related
from .model import (
    ANN_DEPRECATED,
    ANN_EMITS_CHANGED,
    ANN_GLIB_CSYMBOL,
    ANN_NO_REPLY,
    IFACE_INTROSPECTABLE,
    IFACE_LOCAL,
    IFACE_OBJECT_MANAGER,
    IFACE_PEER,
    IFACE_PROPERTIES,
    Annotation,
    Arg,
    Direction,
    Document,
    Interface,
    Location,
    Method,
    Node,
    Property,
    Signal,
)
from .signature import MAX_SIGNATURE_LENGTH, SignatureError, parse_single

INTERFACE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
MEMBER_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ABSOLUTE_PATH_RE = re.compile(r"/|(?:/[A-Za-z0-9_]+)+")
RELATIVE_PATH_RE = re.compile(r"[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)*")
WELL_KNOWN_BUS_NAME_RE = re.compile(r"[A-Za-z_-][A-Za-z0-9_-]*(?:\.[A-Za-z_-][A-Za-z0-9_-]*)+")
UNIQUE_BUS_NAME_RE = re.compile(r":[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")
MAX_NAME_BYTES = 255

LOCAL_INTERFACE = IFACE_LOCAL
LOCAL_PATH = "/org/freedesktop/DBus/Local"

#: Annotation name -> allowed values (None: any string) and the elements where it means something.
WELL_KNOWN_ANNOTATIONS: dict[str, tuple[frozenset[str] | None, frozenset[str] | None]] = {
    ANN_DEPRECATED: (frozenset({"true", "false"}), None),
    ANN_NO_REPLY: (frozenset({"true", "false"}), frozenset({"method"})),
    ANN_EMITS_CHANGED: (
        frozenset({"true", "invalidates", "const", "false"}),
        frozenset({"property", "interface"}),
    ),
    ANN_GLIB_CSYMBOL: (None, frozenset({"method", "interface"})),
}

#: The members of the standard interfaces (names: model.STANDARD_INTERFACES):
#: member -> (kind, in signature, out signature).
STANDARD_MEMBERS: dict[str, dict[str, tuple[str, str, str]]] = {
    IFACE_PEER: {
        "Ping": ("method", "", ""),
        "GetMachineId": ("method", "", "s"),
    },
    IFACE_INTROSPECTABLE: {
        "Introspect": ("method", "", "s"),
    },
    IFACE_PROPERTIES: {
        "Get": ("method", "ss", "v"),
        "Set": ("method", "ssv", ""),
        "GetAll": ("method", "s", "a{sv}"),
        "PropertiesChanged": ("signal", "", "sa{sv}as"),
    },
    IFACE_OBJECT_MANAGER: {
        "GetManagedObjects": ("method", "", "a{oa{sa{sv}}}"),
        "InterfacesAdded": ("signal", "", "oa{sa{sv}}"),
        "InterfacesRemoved": ("signal", "", "oas"),
    },
}


def check_interface_name(name: str) -> tuple[str, str] | None:
    """(rule, reason) when ``name`` is not a valid interface (or error) name."""
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return (
            "DBUS-E011",
            f"is {len(name.encode('utf-8'))} bytes long; at most {MAX_NAME_BYTES} are allowed",
        )
    if not INTERFACE_NAME_RE.fullmatch(name):
        return ("DBUS-E010", _interface_name_reason(name))
    return None


def _interface_name_reason(name: str) -> str:
    if not name:
        return "is empty"
    parts = name.split(".")
    if len(parts) < 2:
        return "needs at least two dot-separated elements"
    for part in parts:
        if not part:
            return "has an empty element"
        if part[0].isdigit():
            return f"has an element starting with a digit ({part!r})"
        bad = next((c for c in part if not (c.isascii() and (c.isalnum() or c == "_"))), None)
        if bad is not None:
            return f"contains {bad!r}; only ASCII letters, digits and '_' are allowed"
    return "is not a valid interface name"


def check_bus_name(name: str) -> str | None:
    """DBUS-E070: the reason ``name`` is not a valid bus name, or None. For names given to the tool."""
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"bus name is longer than {MAX_NAME_BYTES} bytes"
    if name.startswith(":"):
        return (
            None
            if UNIQUE_BUS_NAME_RE.fullmatch(name)
            else f"{name!r} is not a valid unique bus name"
        )
    if WELL_KNOWN_BUS_NAME_RE.fullmatch(name):
        return None
    return f"{name!r} is not a valid well-known bus name (dot-separated elements of [A-Za-z0-9_-], not starting with a digit, at least two)"


def check_error_name(name: str) -> str | None:
    """DBUS-E071: the reason ``name`` is not a valid error name, or None."""
    problem = check_interface_name(name)
    return None if problem is None else f"error name {name!r} {problem[1]}"


def validate(document: Document, parse_diagnostics: Sequence[Diagnostic] = ()) -> list[Diagnostic]:
    """All model-level group A diagnostics of one document, in document order."""
    missing = {
        (d.location.line, d.location.column)
        for d in parse_diagnostics
        if d.rule == "DBUS-E004" and d.location is not None and "'type'" in d.message
    }
    out: list[Diagnostic] = []
    _check_root(document, out)
    for node in document.root.walk():
        _check_node(node, document.root is node, out)
        for iface in node.interfaces:
            _check_interface(iface, missing, out)
    return out


def _check_root(document: Document, out: list[Diagnostic]) -> None:
    root = document.root
    if root.name is not None and not document.root_is_interface:
        if not ABSOLUTE_PATH_RE.fullmatch(root.name):
            out.append(
                diagnostic(
                    "DBUS-E005",
                    f"root <node> name {root.name!r} is not an absolute object path",
                    root.location,
                )
            )


def _check_node(node: Node, is_root: bool, out: list[Diagnostic]) -> None:
    if node.path == LOCAL_PATH:
        out.append(diagnostic("DBUS-E062", f"object path {LOCAL_PATH} is reserved", node.location))
    seen_nodes: dict[str, Location] = {}
    for child in node.nodes:
        if child.name is None:
            out.append(diagnostic("DBUS-E006", "child <node> has no name", child.location))
        elif not RELATIVE_PATH_RE.fullmatch(child.name):
            out.append(
                diagnostic(
                    "DBUS-E006",
                    f"child <node> name {child.name!r} is not a relative object path",
                    child.location,
                )
            )
        if child.name is not None:
            if child.name in seen_nodes:
                out.append(
                    diagnostic(
                        "DBUS-E007",
                        f"child node {child.name!r} is declared twice (first on {_line_of(seen_nodes[child.name])})",
                        child.location,
                        seen_nodes[child.name],
                    )
                )
            else:
                seen_nodes[child.name] = child.location
    seen_ifaces: dict[str, Location] = {}
    for iface in node.interfaces:
        if iface.name in seen_ifaces:
            out.append(
                diagnostic(
                    "DBUS-E008",
                    f"interface {iface.name!r} is declared twice on this node (first on {_line_of(seen_ifaces[iface.name])})",
                    iface.location,
                    seen_ifaces[iface.name],
                )
            )
        else:
            seen_ifaces[iface.name] = iface.location
    _check_annotations(node.annotations, "node", out)


def _check_name_length(kind: str, name: str, location: Location, out: list[Diagnostic]) -> bool:
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        out.append(
            diagnostic(
                "DBUS-E011",
                f"{kind} name is {size} bytes long; at most {MAX_NAME_BYTES} are allowed",
                location,
            )
        )
        return False
    return True


def _check_interface(
    iface: Interface, missing_type: set[tuple[int, int]], out: list[Diagnostic]
) -> None:
    problem = check_interface_name(iface.name)
    if problem is not None:
        out.append(
            diagnostic(
                problem[0],
                f"interface name {iface.name!r} {problem[1]}",
                iface.location,
            )
        )
    if iface.name == LOCAL_INTERFACE:
        out.append(
            diagnostic(
                "DBUS-E061",
                f"interface {LOCAL_INTERFACE} is reserved for library-internal messages",
                iface.location,
            )
        )
    _check_annotations(iface.annotations, "interface", out)
    _check_duplicates("method", "DBUS-E014", iface.methods, out)
    _check_duplicates("signal", "DBUS-E015", iface.signals, out)
    _check_duplicates("property", "DBUS-E016", iface.properties, out)
    _check_shared_names(iface, out)
    for method in iface.methods:
        _check_member_name("method", method.name, method.location, out)
        _check_annotations(method.annotations, "method", out)
        _check_args(method, "method", missing_type, out)
        for label, args in (("in", method.in_args), ("out", method.out_args)):
            _check_combined_length(
                f"method {method.name!r} {label}-signature", args, method.location, out
            )
        if method.no_reply and method.out_args:
            out.append(
                diagnostic(
                    "DBUS-W011",
                    f"method {method.name!r} is marked NoReply but declares {len(method.out_args)} out arg(s), which callers never receive",
                    method.location,
                )
            )
    for signal in iface.signals:
        _check_member_name("signal", signal.name, signal.location, out)
        _check_annotations(signal.annotations, "signal", out)
        _check_args(signal, "signal", missing_type, out)
        _check_combined_length(
            f"signal {signal.name!r} signature", signal.args, signal.location, out
        )
    for prop in iface.properties:
        _check_property(prop, missing_type, out)
    _check_standard(iface, out)


def _check_member_name(kind: str, name: str, location: Location, out: list[Diagnostic]) -> None:
    if not _check_name_length(kind, name, location, out):
        return
    if not MEMBER_NAME_RE.fullmatch(name):
        out.append(
            diagnostic(
                "DBUS-E013",
                f"{kind} name {name!r} is invalid: it must be ASCII letters, digits and '_', not starting with a digit",
                location,
            )
        )


def _line_of(location: Location) -> str:
    """Where a related element of the same file is, for a message: the path itself is only in
    the diagnostic's ``related`` field (messages stay free of absolute paths)."""
    return where_related(location, location)


def _check_duplicates(
    kind: str, rule: str, members: Iterable[Method | Signal | Property], out: list[Diagnostic]
) -> None:
    seen: dict[str, Location] = {}
    for member in members:
        if member.name in seen:
            out.append(
                diagnostic(
                    rule,
                    f"{kind} {member.name!r} is declared twice in one interface (first on {_line_of(seen[member.name])})",
                    member.location,
                    seen[member.name],
                )
            )
        else:
            seen[member.name] = member.location


def _check_shared_names(iface: Interface, out: list[Diagnostic]) -> None:
    first: dict[str, tuple[str, Location]] = {}
    reported: set[tuple[str, str]] = set()
    members: list[tuple[str, Method | Signal | Property]] = [
        *(("method", m) for m in iface.methods),
        *(("signal", s) for s in iface.signals),
        *(("property", p) for p in iface.properties),
    ]
    members.sort(key=lambda km: (km[1].location.line, km[1].location.column))
    for kind, member in members:
        if member.name in first and first[member.name][0] != kind:
            other_kind, other_loc = first[member.name]
            key = (member.name, kind)
            if key not in reported:
                reported.add(key)
                out.append(
                    diagnostic(
                        "DBUS-W006",
                        f"{kind} {member.name!r} has the same name as {other_kind} {member.name!r} (on {_line_of(other_loc)})",
                        member.location,
                        other_loc,
                    )
                )
        elif member.name not in first:
            first[member.name] = (kind, member.location)


def _check_args(
    member: Method | Signal, kind: str, missing_type: set[tuple[int, int]], out: list[Diagnostic]
) -> None:
    seen: dict[tuple[str, Direction], Location] = {}
    for arg in member.args:
        _check_annotations(arg.annotations, "arg", out)
        if arg.direction_attr is not None and arg.direction_attr not in ("in", "out"):
            out.append(
                diagnostic(
                    "DBUS-E020",
                    f"arg direction {arg.direction_attr!r} is invalid (only 'in' or 'out')",
                    arg.location,
                )
            )
        if kind == "signal" and arg.direction_attr == "in":
            out.append(
                diagnostic(
                    "DBUS-E021",
                    f'signal {member.name!r} arg has direction="in"; signal args are always out',
                    arg.location,
                )
            )
        if kind == "signal" and arg.direction_attr == "out":
            out.append(
                diagnostic(
                    "DBUS-I002",
                    f'direction="out" on a signal arg of {member.name!r} is redundant',
                    arg.location,
                )
            )
        if kind == "method" and arg.direction_attr is None:
            out.append(
                diagnostic(
                    "DBUS-W001",
                    f"arg {arg.name or '(unnamed)'!r} of method {member.name!r} has no direction; it defaults to \"in\"",
                    arg.location,
                )
            )
        if arg.name is not None:
            if not MEMBER_NAME_RE.fullmatch(arg.name):
                out.append(
                    diagnostic(
                        "DBUS-W008",
                        f"arg name {arg.name!r} is not an identifier",
                        arg.location,
                    )
                )
            key = (arg.name, arg.direction)
            if key in seen:
                out.append(
                    diagnostic(
                        "DBUS-W007",
                        f"two {arg.direction.value} args of {kind} {member.name!r} are named {arg.name!r} (first on {_line_of(seen[key])})",
                        arg.location,
                        seen[key],
                    )
                )
            else:
                seen[key] = arg.location
        if (arg.location.line, arg.location.column) not in missing_type:
            _check_type(
                arg.signature, f"type of arg {arg.name or '(unnamed)'!r}", arg.location, out
            )


def _check_property(
    prop: Property, missing_type: set[tuple[int, int]], out: list[Diagnostic]
) -> None:
    _check_annotations(prop.annotations, "property", out)
    if prop.name == "":
        out.append(diagnostic("DBUS-E017", "property name is empty", prop.location))
    elif _check_name_length(
        "property", prop.name, prop.location, out
    ) and not MEMBER_NAME_RE.fullmatch(prop.name):
        out.append(
            diagnostic(
                "DBUS-W005",
                f"property name {prop.name!r} is not a valid member name (ASCII letters, digits, '_')",
                prop.location,
            )
        )
    if prop.access_attr is not None and prop.access is None:
        out.append(
            diagnostic(
                "DBUS-E018",
                f"property access {prop.access_attr!r} is invalid (read, write or readwrite)",
                prop.location,
            )
        )
    if (prop.location.line, prop.location.column) not in missing_type:
        _check_type(prop.signature, f"type of property {prop.name!r}", prop.location, out)


def _check_type(signature: str, what: str, location: Location, out: list[Diagnostic]) -> None:
    try:
        parse_single(signature)
    except SignatureError as exc:
        out.append(
            diagnostic(
                exc.rule,
                f"{what} {signature!r}: {exc.reason} (at offset {exc.offset})",
                location,
            )
        )


def _check_combined_length(
    what: str, args: Sequence[Arg], location: Location, out: list[Diagnostic]
) -> None:
    if any(len(a.signature.encode("utf-8", "surrogatepass")) > MAX_SIGNATURE_LENGTH for a in args):
        return  # already reported on that arg; one too-long type is one problem
    size = sum(len(a.signature.encode("utf-8", "surrogatepass")) for a in args)
    if size > MAX_SIGNATURE_LENGTH:
        out.append(
            diagnostic(
                "DBUS-E040",
                f"{what} is {size} bytes; a message signature is at most {MAX_SIGNATURE_LENGTH}",
                location,
            )
        )


def _check_annotations(
    annotations: Sequence[Annotation], element: str, out: list[Diagnostic]
) -> None:
    seen: dict[str, Location] = {}
    for ann in annotations:
        if ann.name in seen:
            out.append(
                diagnostic(
                    "DBUS-W009",
                    f"annotation {ann.name!r} appears twice on one <{element}> (first on {_line_of(seen[ann.name])})",
                    ann.location,
                    seen[ann.name],
                )
            )
        else:
            seen[ann.name] = ann.location
        if not INTERFACE_NAME_RE.fullmatch(ann.name):
            out.append(
                diagnostic(
                    "DBUS-W012",
                    f"annotation name {ann.name!r} is not a dotted reverse-DNS name",
                    ann.location,
                )
            )
        known = WELL_KNOWN_ANNOTATIONS.get(ann.name)
        if known is None:
            continue
        values, places = known
        if values is not None and ann.value not in values:
            out.append(
                diagnostic(
                    "DBUS-E050",
                    f"annotation {ann.name} has value {ann.value!r}; allowed: {', '.join(sorted(values))}",
                    ann.location,
                )
            )
        if places is not None and element not in places:
            out.append(
                diagnostic(
                    "DBUS-W010",
                    f"annotation {ann.name} has no meaning on <{element}> (only on {' or '.join(f'<{p}>' for p in sorted(places))})",
                    ann.location,
                )
            )


def _check_standard(iface: Interface, out: list[Diagnostic]) -> None:
    table = STANDARD_MEMBERS.get(iface.name)
    if table is None:
        return
    for method in iface.methods:
        expected = table.get(method.name)
        actual = ("method", method.in_signature, method.out_signature)
        if expected is None or expected != actual:
            out.append(
                _standard_mismatch(
                    iface.name, "method", method.name, actual, expected, method.location
                )
            )
    for signal in iface.signals:
        expected = table.get(signal.name)
        actual = ("signal", "", signal.signature)
        if expected is None or expected != actual:
            out.append(
                _standard_mismatch(
                    iface.name, "signal", signal.name, actual, expected, signal.location
                )
            )
    for prop in iface.properties:
        out.append(
            diagnostic(
                "DBUS-E060",
                f"standard interface {iface.name} has no properties, but declares {prop.name!r}",
                prop.location,
            )
        )


def _standard_mismatch(
    iface: str,
    kind: str,
    name: str,
    actual: tuple[str, str, str],
    expected: tuple[str, str, str] | None,
    location: Location,
) -> Diagnostic:
    def show(sig: tuple[str, str, str]) -> str:
        return f"{sig[0]} {name}({sig[1]})" + (f" -> ({sig[2]})" if sig[0] == "method" else "")

    if expected is None:
        message = f"standard interface {iface} has no {kind} {name!r}"
    else:
        message = (
            f"standard interface {iface} defines {show(expected)}, but this declares {show(actual)}"
        )
    return diagnostic("DBUS-E060", message, location)


def iter_all_args(document: Document) -> Iterator[tuple[Interface, Method | Signal, Arg]]:
    for iface in document.interfaces:
        members: tuple[Method | Signal, ...] = (*iface.methods, *iface.signals)
        for member in members:
            for arg in member.args:
                yield iface, member, arg
