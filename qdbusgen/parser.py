"""Hardened lxml parsing of introspection XML into the immutable model.

The parser never loads or fetches a DTD, expands only internal entities of plain text
declared in the DOCTYPE (bounded in number, nesting and expanded size; external and
parameter entities and expansion bombs are refused), and bounds size and depth. It
evaluates QEMU's conditional processing instructions against user definitions,
attaches documentation from every dialect, records file:line:col on every element
and reports the structural rules (DBUS-E001..E004, W003, W004) as diagnostics.
Name, type and value rules run later, on the model (:mod:`qdbusgen.validate`).
"""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from . import docs, xmlnames
from .conditionals import ConditionalError, active_children
from .diagnostics import Diagnostic, InputError, diagnostic
from .model import (
    ANN_GDBUS_DOCSTRING,
    ANN_GDBUS_DOCSTRING_SHORT,
    ANN_GDBUS_SINCE,
    ANN_NO_REPLY,
    ANN_TOLERANT_SIGNAL,
    Access,
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
    annotation_value,
    resolve_deprecated,
    resolve_emits_changed,
)
from .signature import DBusType, SignatureError, parse_single
from .source import Positions, SourceIndex

#: Inputs larger than this are refused before parsing (introspection XML is small:
#: the largest file of 292 real ones is well under 1 MiB).
MAX_BYTES = 16 * 1024 * 1024
#: Element nesting deeper than this is refused (libxml2's own limit is 256).
MAX_DEPTH = 128

KNOWN_ELEMENTS = frozenset(
    {"node", "interface", "method", "signal", "property", "arg", "annotation"}
)
ALLOWED_CHILDREN: Mapping[str, frozenset[str]] = {
    "node": frozenset({"node", "interface"}),
    "interface": frozenset({"method", "signal", "property", "annotation"}),
    "method": frozenset({"arg", "annotation"}),
    "signal": frozenset({"arg", "annotation"}),
    "property": frozenset({"annotation"}),
    "arg": frozenset({"annotation"}),
    "annotation": frozenset(),
}
ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "node": frozenset({"name"}),
    "interface": frozenset({"name"}),
    "method": frozenset({"name"}),
    "signal": frozenset({"name"}),
    "property": frozenset({"name", "type", "access"}),
    "arg": frozenset({"name", "type", "direction"}),
    "annotation": frozenset({"name", "value"}),
}
REQUIRED_ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "interface": ("name",),
    "method": ("name",),
    "signal": ("name",),
    "property": ("name", "type", "access"),
    "arg": ("type",),
    "annotation": ("name", "value"),
}

RULE_NOT_WELL_FORMED = "XML-E001"
RULE_FORBIDDEN = "XML-E002"
RULE_TOO_LARGE = "XML-E003"
RULE_TOO_DEEP = "XML-E004"
RULE_UNREADABLE = "XML-E005"
RULE_CONDITIONAL = "XML-E010"


def default_defines() -> dict[str, str]:
    """Definitions for conditional processing instructions on the running platform."""
    host = {"win32": "windows", "cygwin": "windows", "darwin": "darwin"}.get(sys.platform, "linux")
    return {"HOST_OS": host}


@dataclass(frozen=True, slots=True)
class ParseResult:
    document: Document
    diagnostics: tuple[Diagnostic, ...]


# --------------------------------------------------------------------------- loading


def read_input(path: Path, display: str) -> bytes:
    where = Location(display, 1, 1)

    def unreadable(message: str) -> InputError:
        return InputError(diagnostic(RULE_UNREADABLE, message, where))

    # O_NONBLOCK so that opening a FIFO without a writer cannot hang; blocking mode is
    # restored before reading (a FIFO without a writer then reads as empty).
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise unreadable("is a directory, not an XML file") from None
    except OSError as exc:
        raise unreadable(f"cannot read file: {exc.strerror or exc}") from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise unreadable("is a directory, not an XML file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            fd = -1  # owned and closed by fh from here on
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise unreadable(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > MAX_BYTES:
        raise InputError(
            diagnostic(
                RULE_TOO_LARGE,
                f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; refusing to parse it",
                where,
            )
        )
    return data


def parse_file(
    path: str | Path, *, defines: Mapping[str, str] | None = None, display: str | None = None
) -> ParseResult:
    """Parse one introspection XML file. Raises :class:`InputError` for unusable input."""
    shown = display if display is not None else str(path)
    return parse_bytes(read_input(Path(path), shown), shown, defines=defines)


def _xml_parser(internal_entities: bool = False) -> etree.XMLParser:
    """The hardened parser; ``internal_entities`` only for documents whose entity
    declarations :func:`_check_entities` accepted."""
    return etree.XMLParser(
        resolve_entities="internal" if internal_entities else False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        remove_blank_text=False,
    )


# --------------------------------------------------------------------------- entities

#: Internal entities (``<!ENTITY NAME "text">`` in the DOCTYPE, as UPower, PackageKit and
#: fprintd use for error names in their documentation) are expanded, within bounds: at most
#: MAX_ENTITIES declarations, references nested at most MAX_ENTITY_DEPTH deep, and every
#: reference of the document together expands to at most MAX_ENTITY_EXPANSION characters
#: (as does each declaration alone). External and parameter entities are refused.
MAX_ENTITIES = 1024
MAX_ENTITY_DEPTH = 8
MAX_ENTITY_EXPANSION = 1024 * 1024

_PREDEFINED_ENTITIES = frozenset({"lt", "gt", "amp", "apos", "quot"})
_XML_NAME = r"[A-Za-z_:\u00c0-\uffff][A-Za-z0-9_:.\-\u00b7\u00c0-\uffff]*"


# Compiled on first use: the Unicode classes of an XML name take about 17 ms to compile
# (a tenth of a cold `generate`), and only a document with a DOCTYPE needs them.
@functools.cache
def _name_re() -> re.Pattern[str]:
    return re.compile(_XML_NAME)


@functools.cache
def _ref_re() -> re.Pattern[str]:
    return re.compile(r"&(#?)(" + _XML_NAME + r"|[0-9]+|x[0-9A-Fa-f]+);")


@functools.cache
def _pe_ref_re() -> re.Pattern[str]:
    return re.compile(r"%" + _XML_NAME + ";")


_DECL_ENCODING_RE = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_BODY_SKIP_RE = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)


class _EntityRefused(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass(frozen=True, slots=True)
class _EntityDecl:
    name: str
    value: str
    offset: int


_UTF8_BOM = b"\xef\xbb\xbf"
_BYTE_ORDER = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (_UTF8_BOM, "utf-8-sig"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def document_text(data: bytes, encoding: str | None = None) -> str:
    """The document as text, without a byte-order mark: the one decoding of every stage
    (the DOCTYPE scan before parsing, positions and messages after it).

    The encoding is the byte-order mark's (or the first bytes' pattern), else ``encoding``
    (libxml2's, once the document is parsed), else the XML declaration's, else UTF-8;
    undecodable bytes are left to the XML parser to report."""
    name: str | None = None
    for bom, sniffed in _BYTE_ORDER:
        if data.startswith(bom):
            name = sniffed
            break
    if name is None:
        name = encoding
    if name is None:
        m = _DECL_ENCODING_RE.match(data)
        name = m.group(1).decode("ascii") if m is not None else "utf-8"
    try:
        text = data.decode(name, "replace")
    except LookupError:
        text = data.decode("utf-8", "replace")
    return text[1:] if text.startswith("\ufeff") else text


def _skip_literal(text: str, pos: int) -> int:
    """Offset after the quoted literal starting at ``pos``."""
    end = text.find(text[pos], pos + 1)
    if end == -1:
        raise _EntityRefused(pos, "unterminated literal in the DOCTYPE")
    return end + 1


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _internal_subset(text: str) -> tuple[list[_EntityDecl], int] | None:
    """The entity declarations of the DOCTYPE's internal subset and where the DOCTYPE ends;
    None when the prolog has no DOCTYPE (or is not what the scan understands: the XML
    parser then reports it). Raises :class:`_EntityRefused` for external or parameter
    entities and parameter-entity references."""
    pos = 0
    while True:
        pos = _skip_ws(text, pos)
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            if end == -1:
                return None
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            if end == -1:
                return None
            pos = end + 3
        elif text.startswith("<!DOCTYPE", pos):
            break
        else:
            return None
    pos = _skip_ws(text, pos + len("<!DOCTYPE"))
    name = _name_re().match(text, pos)
    if name is None:
        return None
    pos = _skip_ws(text, name.end())
    for keyword, literals in (("PUBLIC", 2), ("SYSTEM", 1)):
        if text.startswith(keyword, pos):
            pos = _skip_ws(text, pos + len(keyword))
            for _ in range(literals):
                if pos >= len(text) or text[pos] not in "\"'":
                    return None
                pos = _skip_ws(text, _skip_literal(text, pos))
            break
    decls: list[_EntityDecl] = []
    if text.startswith("[", pos):
        pos += 1
        while True:
            pos = _skip_ws(text, pos)
            if pos >= len(text):
                return None
            if text[pos] == "]":
                pos += 1
                break
            if text.startswith("<!--", pos):
                end = text.find("-->", pos)
                if end == -1:
                    return None
                pos = end + 3
            elif text.startswith("<?", pos):
                end = text.find("?>", pos)
                if end == -1:
                    return None
                pos = end + 2
            elif text[pos] == "%":
                raise _EntityRefused(
                    pos, "parameter-entity references are not allowed in introspection XML"
                )
            elif text.startswith("<!ENTITY", pos):
                decl, pos = _entity_decl(text, pos)
                if decl is not None:
                    decls.append(decl)
                    if len(decls) > MAX_ENTITIES:
                        raise _EntityRefused(
                            decl.offset, f"more than {MAX_ENTITIES} entity declarations"
                        )
            elif text.startswith("<!", pos):
                pos += 2  # ELEMENT, ATTLIST, NOTATION: skip, minding quoted literals
                while pos < len(text) and text[pos] != ">":
                    pos = _skip_literal(text, pos) if text[pos] in "\"'" else pos + 1
                pos += 1
            else:
                return None
        pos = _skip_ws(text, pos)
    if not text.startswith(">", pos):
        return None
    return decls, pos + 1


def _entity_decl(text: str, start: int) -> tuple[_EntityDecl | None, int]:
    pos = start + len("<!ENTITY")
    after = _skip_ws(text, pos)
    if after == pos:
        return None, pos  # not a declaration the scan understands: the XML parser reports it
    if text.startswith("%", after):
        raise _EntityRefused(
            start,
            "parameter entities are not allowed in introspection XML (refused: they are unsafe)",
        )
    name = _name_re().match(text, after)
    if name is None:
        return None, after
    pos = _skip_ws(text, name.end())
    if text.startswith(("SYSTEM", "PUBLIC"), pos):
        raise _EntityRefused(
            start,
            f"external entity {name.group(0)!r} is not allowed in introspection XML "
            "(refused: it would read files or the network); only internal entities with a quoted value are",
        )
    if pos >= len(text) or text[pos] not in "\"'":
        return None, pos
    end = _skip_literal(text, pos)
    value = text[pos + 1 : end - 1]
    if "<" in value:
        raise _EntityRefused(
            start,
            f"entity {name.group(0)!r} contains markup; only entities of plain text are supported",
        )
    for ref in _ref_re().finditer(value):
        if ref.group(1) and _char_ref_value(ref.group(2)) in (0x3C, 0x26):
            # "&#60;" or "&#38;" become markup or a hidden reference when the entity is used
            raise _EntityRefused(
                start,
                f"entity {name.group(0)!r} contains a character reference to '<' or '&'; only "
                "entities of plain text are supported",
            )
    if _pe_ref_re().search(value):
        raise _EntityRefused(
            start, "parameter-entity references are not allowed in introspection XML"
        )
    pos = _skip_ws(text, end)
    if not text.startswith(">", pos):
        return None, pos
    return _EntityDecl(name.group(0), value, start), pos + 1


def _char_ref_value(digits: str) -> int | None:
    try:
        return int(digits[1:], 16) if digits.startswith("x") else int(digits)
    except ValueError:
        return None


def _entity_lengths(decls: list[_EntityDecl]) -> dict[str, int]:
    """Expanded length of every declared entity, without expanding any; refuses cycles,
    nesting deeper than MAX_ENTITY_DEPTH and expansions over MAX_ENTITY_EXPANSION."""
    by_name: dict[str, _EntityDecl] = {}
    for decl in decls:
        by_name.setdefault(decl.name, decl)  # the first declaration binds (XML 1.0 §4.2)
    lengths: dict[str, int] = {}

    def length(decl: _EntityDecl, chain: tuple[str, ...]) -> int:
        known = lengths.get(decl.name)
        if known is not None:
            return known
        if decl.name in chain:
            raise _EntityRefused(decl.offset, f"entity {decl.name!r} refers to itself")
        if len(chain) >= MAX_ENTITY_DEPTH:
            raise _EntityRefused(
                by_name[chain[0]].offset, f"entity references nested deeper than {MAX_ENTITY_DEPTH}"
            )
        total = 0
        last = 0
        for m in _ref_re().finditer(decl.value):
            total += (
                m.start() - last + (1 if m.group(1) or m.group(2) in _PREDEFINED_ENTITIES else 0)
            )
            last = m.end()
            inner = by_name.get(m.group(2)) if not m.group(1) else None
            if inner is not None:
                total += length(inner, chain + (decl.name,))
            if total > MAX_ENTITY_EXPANSION:
                break
        total += len(decl.value) - last
        if total > MAX_ENTITY_EXPANSION:
            raise _EntityRefused(
                decl.offset,
                f"entity {decl.name!r} expands to more than {MAX_ENTITY_EXPANSION} characters "
                "(refused: entity expansion bomb)",
            )
        lengths[decl.name] = total
        return total

    for decl in by_name.values():
        length(decl, ())
    return lengths


def _check_entities(data: bytes) -> frozenset[str]:
    """The internal entities the document may use (empty: none declared). Raises
    _EntityRefused (offset into the scanned text) for anything unsafe."""
    text = document_text(data)
    found = _internal_subset(text)
    if found is None or not found[0]:
        return frozenset()
    decls, body_start = found
    lengths = _entity_lengths(decls)
    total = 0
    body = _BODY_SKIP_RE.sub(lambda m: " " * len(m.group(0)), text[body_start:])
    for m in _ref_re().finditer(body):
        if not m.group(1) and m.group(2) in lengths:
            total += lengths[m.group(2)]
            if total > MAX_ENTITY_EXPANSION:
                raise _EntityRefused(
                    body_start + m.start(),
                    f"entity references expand to more than {MAX_ENTITY_EXPANSION} characters in "
                    "total (refused: entity expansion bomb)",
                )
    return frozenset(lengths)


def _text_line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def parse_tree(data: bytes, display: str) -> etree._Element:
    """The lxml tree of a document, parsed with the hardened settings: entity declarations
    checked (and internal ones expanded within bounds) first. Raises :class:`InputError`."""
    try:
        allowed = _check_entities(data)
    except _EntityRefused as exc:
        line, col = _text_line_col(document_text(data), exc.offset)
        raise InputError(
            diagnostic(RULE_FORBIDDEN, exc.message, Location(display, line, col))
        ) from None
    try:
        root = etree.fromstring(data, _xml_parser(bool(allowed)))
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (exc.lineno or 1, 1)
        message = " ".join(str(exc.msg or exc).split())  # libxml2 messages may end in a newline
        message = re.sub(r", line \d+, column \d+$", "", message)
        if "depth" in message.lower():
            rule, message = RULE_TOO_DEEP, f"elements nested deeper than {MAX_DEPTH}"
        else:
            rule, message = RULE_NOT_WELL_FORMED, f"not well-formed XML: {message}"
        raise InputError(
            diagnostic(rule, message, Location(display, max(line, 1), max(col, 1)))
        ) from None
    except (ValueError, etree.LxmlError) as exc:
        message = " ".join(str(exc).split())
        raise InputError(
            diagnostic(
                RULE_NOT_WELL_FORMED,
                f"not well-formed XML: {message}",
                Location(display, 1, 1),
            )
        ) from None
    _refuse_declared_entities(root, data, display, allowed)
    return root


def parse_bytes(
    data: bytes, display: str, *, defines: Mapping[str, str] | None = None
) -> ParseResult:
    """Parse introspection XML from bytes; ``display`` names the input in every Location."""
    if len(data) > MAX_BYTES:
        raise InputError(
            diagnostic(
                RULE_TOO_LARGE,
                f"input is larger than {MAX_BYTES // (1024 * 1024)} MiB",
                Location(display, 1, 1),
            )
        )
    root = parse_tree(data, display)
    text = document_text(data, root.getroottree().docinfo.encoding)
    positions = Positions(text, root)
    depth_problem = _too_deep(root)
    if depth_problem is not None:
        line, col = positions.of(depth_problem)
        raise InputError(
            diagnostic(
                RULE_TOO_DEEP,
                f"elements nested deeper than {MAX_DEPTH}",
                Location(display, line, col),
            )
        )
    for node in root.iter():
        if isinstance(node, etree._Entity):
            line, col = positions.of(node.getparent() if node.getparent() is not None else root)
            raise InputError(
                diagnostic(
                    RULE_FORBIDDEN,
                    f"entity reference &{node.name}; is not allowed",
                    Location(display, line, col),
                )
            )
    active = dict(default_defines() if defines is None else defines)
    builder = _Builder(display, positions, active)
    document = builder.build(root, SourceIndex(root, positions, active, display))
    return ParseResult(document, tuple(builder.diagnostics))


def _refuse_declared_entities(
    root: etree._Element, data: bytes, display: str, allowed: frozenset[str]
) -> None:
    """A backstop for the DOCTYPE scan: an entity that libxml2 found in the internal subset
    but the scan did not check (an encoding or a form the scan does not read) is refused."""
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is None or all(e.name in allowed for e in dtd.iterentities()):
        return
    line, col = 1, 1
    text = document_text(data, docinfo.encoding)
    m = re.search("<!ENTITY", text, re.IGNORECASE)
    if m is not None:
        line, col = _text_line_col(text, m.start())
    raise InputError(
        diagnostic(
            RULE_FORBIDDEN,
            "entity declarations in a form qdbusgen cannot check are not allowed (refused: entity "
            'expansion and external entities are unsafe; use <!ENTITY name "text"> in the DOCTYPE)',
            Location(display, line, col),
        )
    )


def _too_deep(root: etree._Element) -> etree._Element | None:
    stack: list[tuple[etree._Element, int]] = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            return el
        for child in el:
            if isinstance(child.tag, str):
                stack.append((child, depth + 1))
    return None


# --------------------------------------------------------------------------- model building


def _unknown_element_message(name: str) -> str:
    return f"unknown element <{name}> in the D-Bus namespace (known: {', '.join(sorted(KNOWN_ELEMENTS))})"


class _Builder:
    def __init__(self, display: str, positions: Positions, defines: dict[str, str]) -> None:
        self.display = display
        self.positions = positions
        self.defines = defines
        self.diagnostics: list[Diagnostic] = []

    # -- helpers

    def loc(self, node: etree._Element) -> Location:
        line, col = self.positions.of(node)
        return Location(self.display, line, col)

    def report(
        self, rule: str, message: str, node: etree._Element, *, case: str | None = None
    ) -> None:
        """A finding at the severity the rule table gives ``rule`` (or its ``case``)."""
        self.diagnostics.append(diagnostic(rule, message, self.loc(node), case=case))

    def children(self, el: etree._Element) -> list[etree._Element]:
        """Active children (elements and comments); a bad conditional is fatal."""
        try:
            return list(active_children(el, self.defines))
        except ConditionalError as exc:
            raise InputError(
                diagnostic(RULE_CONDITIONAL, exc.message, self.loc(exc.node))
            ) from None

    @staticmethod
    def local(el: etree._Element) -> str:
        return xmlnames.local(el.tag)

    @staticmethod
    def namespaced(el: etree._Element) -> bool:
        return xmlnames.namespace(el.tag) is not None

    def check_attributes(self, el: etree._Element, kind: str) -> None:
        allowed = ALLOWED_ATTRIBUTES[kind]
        for attr in el.attrib:
            attr_ns, attr_local = xmlnames.split(attr)
            if attr_ns is None and attr_local not in allowed:
                self.report(
                    "DBUS-W004",
                    f"unknown attribute {attr_local!r} on <{kind}> (allowed: {', '.join(sorted(allowed))})",
                    el,
                )
        for required in REQUIRED_ATTRIBUTES.get(kind, ()):
            if el.get(required) is None:
                self.report(
                    "DBUS-E004",
                    f"<{kind}> has no required attribute {required!r}",
                    el,
                )

    def element_children(
        self, el: etree._Element, kind: str
    ) -> tuple[list[tuple[etree._Element, docs.GtkDocComment | None]], list[Doc], list[Annotation]]:
        """Sort children into D-Bus elements (checked against the content model, each
        paired with the gtk-doc comment that names it, gdbus-codegen style),
        documentation found in extension elements, and annotations."""
        elements: list[tuple[etree._Element, docs.GtkDocComment | None]] = []
        pending: docs.GtkDocComment | None = None
        found_docs: list[Doc] = []
        annotations: list[Annotation] = []
        for child in self.children(el):
            if isinstance(child, etree._Comment):
                parsed = docs.parse_gtkdoc_comment(child.text or "")
                if parsed is not None:
                    pending = parsed
                continue
            if not isinstance(child.tag, str):
                continue
            child_ns, child_local = xmlnames.split(child.tag)
            if child_ns is not None:
                if child_ns in docs.DOC_NAMESPACES and child_local == "doc":
                    found_docs.append(docs.doc_from_element(child, "doc:doc"))
                elif child_ns == docs.TP_NAMESPACE and child_local == "docstring":
                    found_docs.append(docs.doc_from_element(child, "tp:docstring"))
                continue
            name = child_local
            if name not in KNOWN_ELEMENTS:
                if name == "doc":
                    found_docs.append(docs.doc_from_element(child, "doc"))
                self.report("DBUS-E002", _unknown_element_message(name), child)
                continue
            if name == "annotation":
                if kind in ("node", "annotation"):
                    self.report(
                        "DBUS-W003",
                        f"<annotation> inside <{kind}> is a GDBus extension, not in the introspection DTD",
                        child,
                    )
                elif name not in ALLOWED_CHILDREN[kind]:
                    self.report(
                        "DBUS-E003",
                        f"<annotation> is not allowed inside <{kind}>",
                        child,
                    )
                    continue
                ann = self.annotation(child)
                if ann is not None:
                    annotations.append(ann)
                continue
            if name not in ALLOWED_CHILDREN[kind]:
                self.report("DBUS-E003", f"<{name}> is not allowed inside <{kind}>", child)
                continue
            comment: docs.GtkDocComment | None = None
            if pending is not None and pending.symbol == child.get("name"):
                comment, pending = pending, None
            elements.append((child, comment))
        return elements, found_docs, annotations

    def annotation(self, el: etree._Element) -> Annotation | None:
        self.check_attributes(el, "annotation")
        # nested annotations (GDBus extension): reported above, content ignored
        for child in self.children(el):
            if (
                isinstance(child.tag, str)
                and not self.namespaced(child)
                and self.local(child) == "annotation"
            ):
                self.report(
                    "DBUS-W003",
                    "<annotation> inside <annotation> is a GDBus extension, not in the introspection DTD",
                    child,
                )
            elif (
                isinstance(child.tag, str)
                and not self.namespaced(child)
                and self.local(child) not in KNOWN_ELEMENTS
            ):
                self.report("DBUS-E002", _unknown_element_message(self.local(child)), child)
            elif isinstance(child.tag, str) and not self.namespaced(child):
                self.report(
                    "DBUS-E003",
                    f"<{self.local(child)}> is not allowed inside <annotation>",
                    child,
                )
        name = el.get("name")
        value = el.get("value")
        if name is None or value is None:
            return None
        return Annotation(name, value, self.loc(el))

    @staticmethod
    def annotation_docs(annotations: list[Annotation]) -> list[Doc]:
        found: list[Doc] = []
        short = annotation_value(tuple(annotations), ANN_GDBUS_DOCSTRING_SHORT)
        long = annotation_value(tuple(annotations), ANN_GDBUS_DOCSTRING)
        if long is not None:
            d = docs.doc_from_text(long, "gdbus-annotation")
            if short:
                d = Doc(d.text, " ".join(short.split()), d.since, d.deprecated, d.sources)
            found.append(d)
        elif short is not None:
            found.append(docs.doc_from_text(short, "gdbus-annotation"))
        return found

    def element_doc(
        self, comment: docs.GtkDocComment | None, extra: list[Doc], annotations: list[Annotation]
    ) -> Doc:
        collected: list[Doc] = []
        if comment is not None:
            collected.append(docs.doc_from_gtkdoc(comment))
        collected.extend(self.annotation_docs(annotations))
        collected.extend(extra)
        merged = docs.merge(collected)
        since = annotation_value(tuple(annotations), ANN_GDBUS_SINCE)
        if since is not None and merged.since is None:
            merged = Doc(
                merged.text, merged.summary, since.strip(), merged.deprecated, merged.sources
            )
        return merged

    # -- elements

    def build(self, root: etree._Element, source: SourceIndex | None = None) -> Document:
        root_ns, root_local = xmlnames.split(root.tag)
        root_is_interface = False
        if root_ns is None and root_local == "node":
            node = self.node(root, parent_path=None, is_root=True)
        elif root_ns is None and root_local == "interface":
            root_is_interface = True
            self.report(
                "DBUS-E001",
                "root element is <interface>, not <node>; accepted as if wrapped in <node>",
                root,
                case="root-interface",
            )
            iface = self.interface(root, None)
            node = Node(None, (iface,) if iface else (), (), (), Doc(), self.loc(root), path=None)
        else:
            shown = root_local if root_ns is None else f"{{{root_ns}}}{root_local}"
            raise InputError(
                diagnostic(
                    "DBUS-E001",
                    f"root element must be <node>, not <{shown}>: this is not an introspection document",
                    self.loc(root),
                )
            )
        return Document(
            path=self.display,
            root=node,
            root_is_interface=root_is_interface,
            defines=tuple(sorted(self.defines.items())),
            source=source,
        )

    def node(self, el: etree._Element, parent_path: str | None, is_root: bool) -> Node:
        self.check_attributes(el, "node")
        name = el.get("name")
        path: str | None
        if is_root:
            path = name if name is not None and name.startswith("/") else None
        elif parent_path is not None and name is not None:
            path = parent_path.rstrip("/") + "/" + name
        else:
            path = None
        children, extra_docs, annotations = self.element_children(el, "node")
        interfaces: list[Interface] = []
        nodes: list[Node] = []
        for child, comment in children:
            if self.local(child) == "interface":
                iface = self.interface(child, comment)
                if iface is not None:
                    interfaces.append(iface)
            else:
                nodes.append(self.node(child, path, is_root=False))
        return Node(
            name,
            tuple(interfaces),
            tuple(nodes),
            tuple(annotations),
            docs.merge(extra_docs),
            self.loc(el),
            path=path,
        )

    def interface(self, el: etree._Element, comment: docs.GtkDocComment | None) -> Interface | None:
        self.check_attributes(el, "interface")
        name = el.get("name")
        children, extra_docs, annotations = self.element_children(el, "interface")
        ann = tuple(annotations)
        emits = resolve_emits_changed(ann, EmitsChanged.TRUE)
        doc = self.element_doc(comment, extra_docs, annotations)
        since = doc.since
        deprecated = resolve_deprecated(ann, doc)
        methods: list[Method] = []
        signals: list[Signal] = []
        properties: list[Property] = []
        for child, member_comment in children:
            kind = self.local(child)
            if kind == "method":
                m = self.method(child, member_comment, since)
                if m is not None:
                    methods.append(m)
            elif kind == "signal":
                s = self.signal(child, member_comment, since)
                if s is not None:
                    signals.append(s)
            else:
                p = self.property(child, member_comment, emits, since)
                if p is not None:
                    properties.append(p)
        if name is None:
            return None
        return Interface(
            name,
            tuple(methods),
            tuple(signals),
            tuple(properties),
            ann,
            doc,
            self.loc(el),
            emits_changed=emits,
            deprecated=deprecated,
            since=since,
        )

    def args(
        self,
        arg_elements: list[tuple[etree._Element, docs.GtkDocComment | None]],
        kind: str,
        comment: docs.GtkDocComment | None,
    ) -> tuple[Arg, ...]:
        args: list[Arg] = []
        for child, _ in arg_elements:
            self.check_attributes(child, "arg")
            sub, extra_docs, annotations = self.element_children(child, "arg")
            name = child.get("name")
            signature = child.get("type")
            direction_attr = child.get("direction")
            if kind == "signal":
                direction = Direction.OUT
            else:
                direction = Direction.OUT if direction_attr == "out" else Direction.IN
            arg_docs: list[Doc] = []
            if comment is not None and name is not None and name in comment.params:
                arg_docs.append(docs.doc_from_text(comment.params[name], "gtk-doc"))
            arg_docs.extend(self.annotation_docs(annotations))
            arg_docs.extend(extra_docs)
            args.append(
                Arg(
                    name=name,
                    signature=signature if signature is not None else "",
                    type=_type_or_none(signature),
                    direction=direction,
                    direction_attr=direction_attr,
                    annotations=tuple(annotations),
                    doc=docs.merge(arg_docs),
                    location=self.loc(child),
                )
            )
        return tuple(args)

    def method(
        self, el: etree._Element, comment: docs.GtkDocComment | None, iface_since: str | None
    ) -> Method | None:
        self.check_attributes(el, "method")
        name = el.get("name")
        children, extra_docs, annotations = self.element_children(el, "method")
        ann = tuple(annotations)
        args = self.args(children, "method", comment)
        doc = self.element_doc(comment, extra_docs, annotations)
        if name is None:
            return None
        return Method(
            name,
            args,
            ann,
            doc,
            self.loc(el),
            no_reply=annotation_true(ann, ANN_NO_REPLY),
            deprecated=resolve_deprecated(ann, doc),
            since=doc.since or iface_since,
        )

    def signal(
        self, el: etree._Element, comment: docs.GtkDocComment | None, iface_since: str | None
    ) -> Signal | None:
        self.check_attributes(el, "signal")
        name = el.get("name")
        children, extra_docs, annotations = self.element_children(el, "signal")
        ann = tuple(annotations)
        args = self.args(children, "signal", comment)
        doc = self.element_doc(comment, extra_docs, annotations)
        if name is None:
            return None
        return Signal(
            name,
            args,
            ann,
            doc,
            self.loc(el),
            deprecated=resolve_deprecated(ann, doc),
            since=doc.since or iface_since,
            tolerant=annotation_true(ann, ANN_TOLERANT_SIGNAL),
        )

    def property(
        self,
        el: etree._Element,
        comment: docs.GtkDocComment | None,
        iface_emits: EmitsChanged,
        iface_since: str | None,
    ) -> Property | None:
        self.check_attributes(el, "property")
        name = el.get("name")
        _children, extra_docs, annotations = self.element_children(el, "property")
        ann = tuple(annotations)
        doc = self.element_doc(comment, extra_docs, annotations)
        signature = el.get("type")
        access_attr = el.get("access")
        access = {a.value: a for a in Access}.get(access_attr or "")
        if name is None:
            return None
        return Property(
            name,
            signature if signature is not None else "",
            _type_or_none(signature),
            access,
            access_attr,
            ann,
            doc,
            self.loc(el),
            emits_changed=resolve_emits_changed(ann, iface_emits),
            deprecated=resolve_deprecated(ann, doc),
            since=doc.since or iface_since,
        )


def _type_or_none(signature: str | None) -> DBusType | None:
    if signature is None:
        return None
    try:
        return parse_single(signature)
    except SignatureError:
        return None
