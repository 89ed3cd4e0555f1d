"""The immutable model of introspection XML.

Built once by :mod:`qdbusgen.parser`; every later stage (validation, lint, naming,
rendering) only reads it. Every element carries its :class:`Location`. Effective
values (arg direction, EmitsChangedSignal inheritance, Deprecated, NoReply, Since)
are resolved by the parser, so no consumer re-derives them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from .signature import DBusType

if TYPE_CHECKING:
    from .source import SourceIndex


@dataclass(frozen=True, slots=True, order=True)
class Location:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Direction(enum.Enum):
    IN = "in"
    OUT = "out"


class Access(enum.Enum):
    READ = "read"
    WRITE = "write"
    READWRITE = "readwrite"

    @property
    def readable(self) -> bool:
        return self is not Access.WRITE

    @property
    def writable(self) -> bool:
        return self is not Access.READ


class EmitsChanged(enum.Enum):
    TRUE = "true"
    INVALIDATES = "invalidates"
    CONST = "const"
    FALSE = "false"


ANN_DEPRECATED = "org.freedesktop.DBus.Deprecated"
ANN_NO_REPLY = "org.freedesktop.DBus.Method.NoReply"
ANN_EMITS_CHANGED = "org.freedesktop.DBus.Property.EmitsChangedSignal"
ANN_GLIB_CSYMBOL = "org.freedesktop.DBus.GLib.CSymbol"
ANN_GDBUS_SINCE = "org.gtk.GDBus.Since"
ANN_GDBUS_DOCSTRING = "org.gtk.GDBus.DocString"
ANN_GDBUS_DOCSTRING_SHORT = "org.gtk.GDBus.DocString.Short"
ANN_GDBUS_C_NAME = "org.gtk.GDBus.C.Name"
#: The namespace of the D-Bus specification and the bus daemon: interfaces in it are
#: exempt from the guideline rules (see :func:`is_standard_interface`).
STANDARD_NAMESPACE = "org.freedesktop.DBus"
#: The bus driver's own interface (generated like any other).
IFACE_BUS = STANDARD_NAMESPACE
IFACE_PEER = "org.freedesktop.DBus.Peer"
IFACE_INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
IFACE_PROPERTIES = "org.freedesktop.DBus.Properties"
IFACE_OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"
#: Reserved for messages a D-Bus library makes up itself (Disconnected); never on the bus.
IFACE_LOCAL = "org.freedesktop.DBus.Local"
#: Every standard interface the specification or the bus daemon defines -> True when the
#: generated runtime (templates/_runtime.py) implements it on every object, so that it is
#: never generated from input files (the bus driver's own org.freedesktop.DBus interface
#: is generated like any other). The runtime's own names are checked against this table
#: (tests/test_source.py).
STANDARD_INTERFACES: Mapping[str, bool] = MappingProxyType(
    {
        IFACE_BUS: False,
        IFACE_PEER: True,
        IFACE_INTROSPECTABLE: True,
        IFACE_PROPERTIES: True,
        IFACE_OBJECT_MANAGER: True,
        "org.freedesktop.DBus.Monitoring": False,
        "org.freedesktop.DBus.Debug.Stats": False,
        IFACE_LOCAL: True,
    }
)
#: The standard interfaces the runtime provides (never generated from input files).
RUNTIME_PROVIDED = frozenset(name for name, runtime in STANDARD_INTERFACES.items() if runtime)


def is_standard_interface(name: str) -> bool:
    """org.freedesktop.DBus and org.freedesktop.DBus.*: exempt from the guideline rules."""
    return name == STANDARD_NAMESPACE or name.startswith(STANDARD_NAMESPACE + ".")


#: qdbusgen's own override of the generated Python name.
ANN_PYTHON_NAME = "org.qdbusgen.Python.Name"
#: qdbusgen's opt-in for a signal whose body may extend its declared signature.
ANN_TOLERANT_SIGNAL = "org.qdbusgen.Signal.Tolerant"


@dataclass(frozen=True, slots=True)
class Doc:
    """Documentation attached to one element, in whichever dialect the file used.

    ``text`` is plain text fit for a docstring (paragraphs separated by blank lines).
    """

    text: str = ""
    summary: str = ""
    since: str | None = None
    deprecated: str | None = None
    #: Which dialect(s) it came from: "gtk-doc", "gdbus-annotation", "doc:doc", "tp:docstring", "doc".
    sources: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.text or self.summary)


NO_DOC = Doc()


@dataclass(frozen=True, slots=True)
class Annotation:
    name: str
    value: str
    location: Location


@dataclass(frozen=True, slots=True)
class Arg:
    name: str | None
    signature: str
    #: None when ``signature`` is invalid (a diagnostic says why).
    type: DBusType | None
    direction: Direction
    #: The ``direction`` attribute as written, None when absent.
    direction_attr: str | None
    annotations: tuple[Annotation, ...]
    doc: Doc
    location: Location


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    args: tuple[Arg, ...]
    annotations: tuple[Annotation, ...]
    doc: Doc
    location: Location
    no_reply: bool = False
    deprecated: bool = False
    since: str | None = None

    @property
    def in_args(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if a.direction is Direction.IN)

    @property
    def out_args(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if a.direction is Direction.OUT)

    @property
    def in_signature(self) -> str:
        return "".join(a.signature for a in self.in_args)

    @property
    def out_signature(self) -> str:
        return "".join(a.signature for a in self.out_args)


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    args: tuple[Arg, ...]
    annotations: tuple[Annotation, ...]
    doc: Doc
    location: Location
    deprecated: bool = False
    since: str | None = None
    #: ``org.qdbusgen.Signal.Tolerant`` is true: the proxy accepts a body that extends the
    #: declared signature (the runtime's ``_TOLERANT_SIGNALS``).
    tolerant: bool = False

    @property
    def signature(self) -> str:
        return "".join(a.signature for a in self.args)


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    signature: str
    type: DBusType | None
    #: None when the ``access`` attribute is missing or invalid (a diagnostic says why).
    access: Access | None
    access_attr: str | None
    annotations: tuple[Annotation, ...]
    doc: Doc
    location: Location
    emits_changed: EmitsChanged = EmitsChanged.TRUE
    deprecated: bool = False
    since: str | None = None


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    methods: tuple[Method, ...]
    signals: tuple[Signal, ...]
    properties: tuple[Property, ...]
    annotations: tuple[Annotation, ...]
    doc: Doc
    location: Location
    emits_changed: EmitsChanged = EmitsChanged.TRUE
    deprecated: bool = False
    since: str | None = None

    def annotation(self, name: str) -> str | None:
        return annotation_value(self.annotations, name)


@dataclass(frozen=True, slots=True)
class Node:
    #: The ``name`` attribute as written (absolute on the root, relative below), or None.
    name: str | None
    interfaces: tuple[Interface, ...]
    nodes: tuple["Node", ...]
    annotations: tuple[Annotation, ...]
    doc: Doc
    location: Location
    #: The absolute object path this node stands for, when it can be known.
    path: str | None = None

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.nodes:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class Document:
    #: The path as the user gave it; used in every Location.
    path: str
    root: Node
    #: The root element was a bare <interface>, wrapped in a synthetic node.
    root_is_interface: bool = False
    #: The --define values conditional processing instructions were evaluated with.
    defines: tuple[tuple[str, str], ...] = field(default=())
    #: Where everything is in the file (element tree, positions, comments), as the parser
    #: built it; what lint reads instead of parsing the file again. None for a document
    #: not made by the parser. Not part of the document's value (equality, hash, repr).
    source: SourceIndex | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def interfaces(self) -> tuple[Interface, ...]:
        return tuple(i for n in self.root.walk() for i in n.interfaces)


def annotation_value(annotations: tuple[Annotation, ...], name: str) -> str | None:
    """The value of the first annotation called ``name``, or None."""
    for ann in annotations:
        if ann.name == name:
            return ann.value
    return None


# The effective values the parser resolves from annotations (and overrides resolve again
# after changing them): one reading of each, for both.


def annotation_true(annotations: tuple[Annotation, ...], name: str) -> bool:
    """A boolean annotation is set: its value is exactly "true" (anything else is not)."""
    return annotation_value(annotations, name) == "true"


def resolve_deprecated(annotations: tuple[Annotation, ...], doc: Doc) -> bool:
    """org.freedesktop.DBus.Deprecated is true, or the documentation says Deprecated."""
    return annotation_true(annotations, ANN_DEPRECATED) or doc.deprecated is not None


def resolve_emits_changed(
    annotations: tuple[Annotation, ...], default: EmitsChanged
) -> EmitsChanged:
    """EmitsChangedSignal as written, else (absent or not a known value) ``default``, the
    value inherited from the interface."""
    value = annotation_value(annotations, ANN_EMITS_CHANGED)
    return {e.value: e for e in EmitsChanged}.get(value or "", default)
