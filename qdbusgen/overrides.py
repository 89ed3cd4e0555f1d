"""Overrides: annotations, Python names and corrected types for XML you do not own.

Modelled on gdbus-codegen's ``--annotate ELEMENT KEY VALUE``. ELEMENT names an
interface or one of its members the way gdbus-codegen does::

    org.example.Iface                    the interface
    org.example.Iface.Method()           a method          .Method()[arg]   one of its args
    org.example.Iface::Signal            a signal          ::Signal[arg]    one of its args
    org.example.Iface:Property           a property

An arg is named by its name or, for unnamed args, by its position (``[0]``, ``[1]``...
among all args of the method or signal). KEY is an annotation name; the annotation is
added to the element, replacing one of that name (so ``org.qdbusgen.Python.Name`` gives
a Python name, ``org.freedesktop.DBus.Method.NoReply`` ``true`` a no-reply method...).
Two keys correct the XML itself instead of annotating it:

``org.qdbusgen.Type``
    on an arg or a property: the single complete type it really has.
``org.qdbusgen.Signature``
    on a signal: the signature it is really sent with (``ssas`` for a signal declared
    ``ss``); the declared args keep their names for the types that stay, added ones are
    unnamed (``arg<N>``).

The same overrides come from the command line (``--annotate``, repeatable) and from
``[tool.qdbusgen.overrides]`` in pyproject.toml::

    [tool.qdbusgen.overrides]
    "org.a11y.atspi.Registry::EventListenerRegistered" = { "org.qdbusgen.Signature" = "ssas" }
    "com.example.Thing1.EmitChanged()" = { "org.qdbusgen.Python.Name" = "fire_changed" }

Every override is checked: an ELEMENT that names nothing in the inputs (OVR-E001) or a
malformed one or an unusable value (OVR-E002) is an error positioned at the override
(the line in pyproject.toml, or ``<command line>:1:N`` for the N-th ``--annotate``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from .diagnostics import Diagnostic, Severity
from .model import (
    ANN_NO_REPLY,
    ANN_TOLERANT_SIGNAL,
    Annotation,
    Arg,
    Direction,
    Doc,
    Document,
    EmitsChanged,
    Interface,
    Location,
    Method,
    Node,
    Property,
    Signal,
    annotation_true,
    resolve_deprecated,
    resolve_emits_changed,
)
from .signature import SignatureError, parse_signature, parse_single

RULE_NO_ELEMENT = "OVR-E001"
RULE_BAD_OVERRIDE = "OVR-E002"

KEY_TYPE = "org.qdbusgen.Type"
KEY_SIGNATURE = "org.qdbusgen.Signature"

#: Where command-line overrides are positioned.
COMMAND_LINE = "<command line>"

Kind = Literal["interface", "method", "signal", "property"]

_ELEMENT = re.compile(
    r"^(?P<iface>[A-Za-z0-9_.\-]+?)"
    r"(?:(?P<method>\.[A-Za-z0-9_]+\(\))|(?P<signal>::[A-Za-z0-9_]+)|(?P<prop>:[A-Za-z0-9_]+))?"
    r"(?:\[(?P<arg>[A-Za-z0-9_]+)\])?$"
)


class OverrideError(ValueError):
    """The overrides table itself cannot be read (not a table, wrong value types)."""


@dataclass(frozen=True, slots=True)
class ElementRef:
    interface: str
    kind: Kind
    member: str | None = None
    arg: str | None = None


@dataclass(frozen=True, slots=True)
class Override:
    element: str
    key: str
    value: str
    #: Where the override was given (pyproject.toml line, or the command line).
    location: Location


def parse_element(text: str) -> ElementRef | None:
    """ELEMENT in gdbus-codegen's syntax, or None when it is malformed."""
    m = _ELEMENT.match(text.strip())
    if m is None:
        return None
    iface, arg = m.group("iface"), m.group("arg")
    if m.group("method"):
        return ElementRef(iface, "method", m.group("method")[1:-2], arg)
    if m.group("signal"):
        return ElementRef(iface, "signal", m.group("signal")[2:], arg)
    if m.group("prop"):
        if arg is not None:
            return None
        return ElementRef(iface, "property", m.group("prop")[1:])
    if arg is not None:
        return None
    return ElementRef(iface, "interface")


# --------------------------------------------------------------------------- sources


def from_command_line(items: Sequence[tuple[str, str, str]]) -> list[Override]:
    """``--annotate ELEMENT KEY VALUE`` options, in order (column = option number)."""
    return [
        Override(element, key, value, Location(COMMAND_LINE, 1, n))
        for n, (element, key, value) in enumerate(items, start=1)
    ]


def overrides_table(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    tool = data.get("tool")
    qdbusgen = tool.get("qdbusgen") if isinstance(tool, Mapping) else None
    table = qdbusgen.get("overrides") if isinstance(qdbusgen, Mapping) else None
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise OverrideError("[tool.qdbusgen.overrides] must be a table")
    return table


def from_mapping(table: Mapping[str, Any], source: str, text: str = "") -> list[Override]:
    """The ``[tool.qdbusgen.overrides]`` table: ELEMENT = { KEY = VALUE, ... }. ``text``
    (the file's text) positions each override at the line that names its ELEMENT."""
    out: list[Override] = []
    for element, keys in table.items():
        if not isinstance(keys, Mapping):
            raise OverrideError(
                f"{source}: [tool.qdbusgen.overrides] {element!r} must be a table of "
                'KEY = "VALUE" (e.g. { "org.qdbusgen.Python.Name" = "new_name" })'
            )
        location = _locate(text, element, source)
        for key, value in keys.items():
            if not isinstance(value, str):
                raise OverrideError(
                    f"{location}: [tool.qdbusgen.overrides] {element!r} {key!r} must be a string"
                )
            out.append(Override(element, key, value, location))
    return out


def _locate(text: str, element: str, source: str) -> Location:
    lines = text.splitlines()
    start = 0
    for n, line in enumerate(lines):
        if re.match(r"\s*\[\s*tool\.qdbusgen\.overrides\s*\]", line):
            start = n
            break
    for n in range(start, len(lines)):
        for quote in ('"', "'"):
            col = lines[n].find(f"{quote}{element}{quote}")
            if col >= 0:
                return Location(source, n + 1, col + 1)
    return Location(source, start + 1, 1)


def load_file_overrides(config: str | Path | None = None) -> list[Override]:
    """``[tool.qdbusgen.overrides]`` of ``config``, or of the nearest pyproject.toml with a
    ``[tool.qdbusgen]`` table (from the current directory up); [] when it has none."""
    from .config import find_pyproject, read_toml
    from .lint.config import ConfigError

    path = Path(config) if config is not None else find_pyproject()
    if path is None or not path.is_file():
        return []
    try:
        data = read_toml(path)
    except ConfigError as exc:
        raise OverrideError(str(exc)) from None
    table = overrides_table(data)
    if table is None:
        return []
    return from_mapping(table, str(config) if config is not None else str(path), _text(path))


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


# --------------------------------------------------------------------------- applying


def _error(rule: str, o: Override, message: str) -> Diagnostic:
    return Diagnostic(
        rule, Severity.ERROR, f"override {o.element!r} {o.key}: {message}", o.location
    )


def _annotate(anns: tuple[Annotation, ...], o: Override) -> tuple[Annotation, ...]:
    return tuple(a for a in anns if a.name != o.key) + (Annotation(o.key, o.value, o.location),)


def _find_arg(args: tuple[Arg, ...], ref: str) -> int | None:
    for i, a in enumerate(args):
        if a.name == ref:
            return i
    if ref.isdigit() and int(ref) < len(args):
        return int(ref)
    return None


class _Applier:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def arg(self, a: Arg, o: Override) -> Arg:
        if o.key == KEY_TYPE:
            try:
                t = parse_single(o.value)
            except SignatureError as exc:
                self.diagnostics.append(
                    _error(RULE_BAD_OVERRIDE, o, f"{o.value!r} is not one complete type: {exc}")
                )
                return a
            return replace(a, signature=o.value, type=t)
        if o.key == KEY_SIGNATURE:
            self.diagnostics.append(
                _error(RULE_BAD_OVERRIDE, o, f"goes on a signal; an arg takes {KEY_TYPE}")
            )
            return a
        return replace(a, annotations=_annotate(a.annotations, o))

    def args(
        self, args: tuple[Arg, ...], ref: ElementRef, o: Override, owner: str
    ) -> tuple[Arg, ...] | None:
        assert ref.arg is not None
        i = _find_arg(args, ref.arg)
        if i is None:
            self.diagnostics.append(_error(RULE_NO_ELEMENT, o, f"{owner} has no arg {ref.arg!r}"))
            return None
        return args[:i] + (self.arg(args[i], o),) + args[i + 1 :]

    def signal_signature(self, s: Signal, o: Override) -> Signal:
        try:
            types = parse_signature(o.value)
        except SignatureError as exc:
            self.diagnostics.append(
                _error(RULE_BAD_OVERRIDE, o, f"{o.value!r} is not a signature: {exc}")
            )
            return s
        args: list[Arg] = []
        for i, t in enumerate(types):
            text = t.signature
            if i < len(s.args):
                args.append(replace(s.args[i], signature=text, type=t))
            else:
                args.append(Arg(None, text, t, Direction.OUT, None, (), Doc(), o.location))
        return replace(s, args=tuple(args))

    def member(self, iface: Interface, ref: ElementRef, o: Override) -> Interface | None:
        label = f"interface {iface.name}"
        if ref.kind == "interface":
            if o.key in (KEY_TYPE, KEY_SIGNATURE):
                self.diagnostics.append(
                    _error(RULE_BAD_OVERRIDE, o, "an interface has no type or signature")
                )
                return iface
            anns = _annotate(iface.annotations, o)
            emits = resolve_emits_changed(anns, EmitsChanged.TRUE)
            props = tuple(
                replace(p, emits_changed=resolve_emits_changed(p.annotations, emits))
                for p in iface.properties
            )
            return replace(
                iface,
                annotations=anns,
                emits_changed=emits,
                properties=props,
                deprecated=resolve_deprecated(anns, iface.doc),
            )
        if ref.kind == "method":
            for i, m in enumerate(iface.methods):
                if m.name == ref.member:
                    new_m = self.method(m, ref, o, f"method {iface.name}.{m.name}")
                    if new_m is None:
                        return None
                    return replace(
                        iface, methods=iface.methods[:i] + (new_m,) + iface.methods[i + 1 :]
                    )
            self.diagnostics.append(
                _error(RULE_NO_ELEMENT, o, f"{label} has no method {ref.member!r}")
            )
            return None
        if ref.kind == "signal":
            for i, s in enumerate(iface.signals):
                if s.name == ref.member:
                    new_s = self.signal(s, ref, o, f"signal {iface.name}.{s.name}")
                    if new_s is None:
                        return None
                    return replace(
                        iface, signals=iface.signals[:i] + (new_s,) + iface.signals[i + 1 :]
                    )
            self.diagnostics.append(
                _error(RULE_NO_ELEMENT, o, f"{label} has no signal {ref.member!r}")
            )
            return None
        for i, p in enumerate(iface.properties):
            if p.name == ref.member:
                new_p = self.prop(p, o, iface.emits_changed)
                return replace(
                    iface, properties=iface.properties[:i] + (new_p,) + iface.properties[i + 1 :]
                )
        self.diagnostics.append(
            _error(RULE_NO_ELEMENT, o, f"{label} has no property {ref.member!r}")
        )
        return None

    def method(self, m: Method, ref: ElementRef, o: Override, label: str) -> Method | None:
        if ref.arg is not None:
            args = self.args(m.args, ref, o, label)
            return None if args is None else replace(m, args=args)
        if o.key in (KEY_TYPE, KEY_SIGNATURE):
            self.diagnostics.append(
                _error(
                    RULE_BAD_OVERRIDE,
                    o,
                    f"correct a method's args one by one with {KEY_TYPE} on Method()[arg]",
                )
            )
            return m
        anns = _annotate(m.annotations, o)
        return replace(
            m,
            annotations=anns,
            no_reply=annotation_true(anns, ANN_NO_REPLY),
            deprecated=resolve_deprecated(anns, m.doc),
        )

    def signal(self, s: Signal, ref: ElementRef, o: Override, label: str) -> Signal | None:
        if ref.arg is not None:
            args = self.args(s.args, ref, o, label)
            return None if args is None else replace(s, args=args)
        if o.key == KEY_SIGNATURE:
            return self.signal_signature(s, o)
        if o.key == KEY_TYPE:
            self.diagnostics.append(
                _error(RULE_BAD_OVERRIDE, o, f"a signal takes {KEY_SIGNATURE}, its args {KEY_TYPE}")
            )
            return s
        anns = _annotate(s.annotations, o)
        return replace(
            s,
            annotations=anns,
            deprecated=resolve_deprecated(anns, s.doc),
            tolerant=annotation_true(anns, ANN_TOLERANT_SIGNAL),
        )

    def prop(self, p: Property, o: Override, iface_emits: EmitsChanged) -> Property:
        if o.key == KEY_TYPE:
            try:
                t = parse_single(o.value)
            except SignatureError as exc:
                self.diagnostics.append(
                    _error(RULE_BAD_OVERRIDE, o, f"{o.value!r} is not one complete type: {exc}")
                )
                return p
            return replace(p, signature=o.value, type=t)
        if o.key == KEY_SIGNATURE:
            self.diagnostics.append(_error(RULE_BAD_OVERRIDE, o, f"a property takes {KEY_TYPE}"))
            return p
        anns = _annotate(p.annotations, o)
        return replace(
            p,
            annotations=anns,
            emits_changed=resolve_emits_changed(anns, iface_emits),
            deprecated=resolve_deprecated(anns, p.doc),
        )


def _replace_interface(node: Node, old: Interface, new: Interface) -> Node:
    return replace(
        node,
        interfaces=tuple(new if i is old else i for i in node.interfaces),
        nodes=tuple(_replace_interface(n, old, new) for n in node.nodes),
    )


def apply_overrides(
    documents: Iterable[Document], overrides: Iterable[Override]
) -> tuple[list[Document], list[Diagnostic]]:
    """The documents with every override applied, and one diagnostic per unusable override.

    An override applies to every declaration of its interface (in any input file); one
    whose interface is declared nowhere, or whose member or arg does not exist, is an
    OVR-E001 error."""
    docs = list(documents)
    applier = _Applier()
    for o in overrides:
        ref = parse_element(o.element)
        if ref is None:
            applier.diagnostics.append(
                _error(
                    RULE_BAD_OVERRIDE,
                    o,
                    "not an element: write INTERFACE, INTERFACE.Method(), INTERFACE::Signal, "
                    "INTERFACE:Property, with [arg] after a method or signal",
                )
            )
            continue
        if not o.key or any(not part for part in o.key.split(".")):
            applier.diagnostics.append(
                _error(RULE_BAD_OVERRIDE, o, "the annotation name must be a dotted name")
            )
            continue
        found = False
        for n, doc in enumerate(docs):
            for iface in doc.interfaces:
                if iface.name != ref.interface:
                    continue
                found = True
                new = applier.member(iface, ref, o)
                if new is not None and new is not iface:
                    doc = replace(doc, root=_replace_interface(doc.root, iface, new))
            docs[n] = doc
        if not found:
            applier.diagnostics.append(
                _error(RULE_NO_ELEMENT, o, f"no input declares interface {ref.interface!r}")
            )
    # an element missing from several declarations is reported once
    unique = list(dict.fromkeys(applier.diagnostics))
    return docs, unique
