"""Documentation dialects found in real introspection XML, turned into docstring-ready text.

Five dialects: gtk-doc style XML comments (read the way gdbus-codegen reads them),
``org.gtk.GDBus.DocString`` annotations, ``doc:doc`` elements (freedesktop doc.dtd,
http and https namespace URIs), Telepathy ``tp:docstring`` and a plain ``<doc>``
element with ``<line>`` children.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from . import xmlnames
from .model import Doc

DOC_NAMESPACES = frozenset(
    {
        "http://www.freedesktop.org/dbus/1.0/doc.dtd",
        "https://www.freedesktop.org/dbus/1.0/doc.dtd",
    }
)
TP_NAMESPACE = "http://telepathy.freedesktop.org/wiki/DbusSpec#extensions-v0"

_BLOCK_TAGS = frozenset({"p", "para", "summary", "description", "li", "line", "pre", "dd", "dt"})
_SINCE_RE = re.compile(r"^\s*Since:\s*(.*?)\s*$")
_DEPRECATED_RE = re.compile(r"^\s*Deprecated:\s*(.*?)\s*$")


@dataclass
class GtkDocComment:
    """One parsed gtk-doc comment: ``Symbol:`` line, ``@param:`` lines, body."""

    symbol: str
    body: str
    params: dict[str, str] = field(default_factory=dict)
    since: str | None = None
    deprecated: str | None = None
    #: gtk-doc's ``@short_description:`` (used as the summary).
    short_description: str | None = None


def parse_gtkdoc_comment(text: str) -> GtkDocComment | None:
    """Parse a comment the way gdbus-codegen does; None when it is not a doc comment.

    The first non-empty line is ``Symbol:`` or ``Symbol: text``; ``@name: text`` lines
    follow (an indented continuation line extends the previous one); the rest is the
    body. ``Since:``/``@since:`` and ``Deprecated:`` are taken out of the body.
    """
    lines = text.split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        return None
    first = lines[i].strip()
    body_lines: list[str] = []
    colon = first.find(": ")
    if colon == -1:
        if not first.endswith(":") or len(first) == 1:
            return None
        symbol = first[:-1]
    else:
        symbol = first[:colon]
        rest = first[colon + 2 :].strip()
        if rest:
            body_lines.append(rest)
    if not symbol or any(c.isspace() for c in symbol):
        return None
    i += 1
    params: dict[str, str] = {}
    last_param: str | None = None
    param_indent = 0
    while i < len(lines):
        stripped = lines[i].strip()
        indent = len(lines[i].expandtabs(8)) - len(lines[i].expandtabs(8).lstrip())
        if stripped.startswith("@"):
            colon = stripped.find(":")
            name = stripped[1:colon] if colon != -1 else ""
            if colon != -1 and name and not any(c.isspace() for c in name):
                params[name] = stripped[colon + 1 :].strip()
                last_param = name
                param_indent = indent
                i += 1
                continue
            break
        if stripped and last_param is not None and not body_lines and indent > param_indent:
            # an indented continuation of a multi-line @param description (an unindented
            # line starts the body, as in gdbus-codegen)
            params[last_param] = (params[last_param] + " " + stripped).strip()
            i += 1
            continue
        break
    body_lines.extend(lines[i:])
    body = textwrap.dedent("\n".join(body_lines))
    since = params.pop("since", None)
    short_description = params.pop("short_description", None)
    deprecated: str | None = None
    kept: list[str] = []
    for line in body.split("\n"):
        m = _SINCE_RE.match(line)
        if m and since is None:
            since = m.group(1)
            continue
        m = _DEPRECATED_RE.match(line)
        if m and deprecated is None:
            deprecated = m.group(1)
            continue
        kept.append(line)
    return GtkDocComment(
        symbol, clean_text("\n".join(kept)), params, since, deprecated, short_description
    )


def clean_text(text: str) -> str:
    """Normalise documentation: dedent, strip trailing space, collapse blank runs, no tabs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text = textwrap.dedent(text)
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _paragraphs_of(element: etree._Element) -> list[str]:
    """Text of an XML documentation subtree, one paragraph per block element."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        joined = " ".join("".join(current).split())  # pieces carry their own spacing
        if joined:
            paragraphs.append(joined)
        current.clear()

    def visit(el: etree._Element) -> None:
        tag = el.tag
        local = xmlnames.local(tag) if isinstance(tag, str) else ""
        block = local in _BLOCK_TAGS
        if isinstance(tag, str):
            if block:
                flush()
            if el.text:
                current.append(el.text)
            for child in el:
                visit(child)
                if child.tail:
                    current.append(child.tail)
            if block:
                flush()

    visit(element)
    flush()
    return paragraphs


def doc_from_element(element: etree._Element, source: str) -> Doc:
    """A Doc from a ``doc:doc``, ``tp:docstring`` or plain ``<doc>`` element."""
    summary = ""
    if source == "doc:doc":
        for child in element:
            if isinstance(child.tag, str) and xmlnames.local(child.tag) == "summary":
                summary = " ".join("".join(child.itertext()).split())
                break
    if (
        source == "doc"
        and len(element)
        and all(isinstance(c.tag, str) and c.tag == "line" for c in element)
    ):
        text = "\n".join(" ".join("".join(c.itertext()).split()) for c in element)
        text = clean_text(text)
    elif source == "doc" and len(element) == 0:
        text = clean_text(element.text or "")
    else:
        text = "\n\n".join(_paragraphs_of(element))
    if not summary:
        summary = first_sentence(text)
    return Doc(text=text, summary=summary, sources=(source,))


def first_sentence(text: str) -> str:
    para = text.split("\n\n", 1)[0]
    flat = " ".join(para.split())
    m = re.search(r"(?<=[.!?])\s", flat)
    return flat[: m.start()] if m else flat


def merge(docs: list[Doc]) -> Doc:
    """Combine the documentation one element got from several dialects."""
    # an empty ``Deprecated:`` still deprecates: test for None, not truth
    docs = [d for d in docs if d or d.since or d.deprecated is not None]
    if not docs:
        return Doc()
    if len(docs) == 1:
        return docs[0]
    texts: list[str] = []
    for d in docs:
        if d.text and d.text not in texts:
            texts.append(d.text)
    text = "\n\n".join(texts)
    summary = next((d.summary for d in docs if d.summary), first_sentence(text))
    since = next((d.since for d in docs if d.since), None)
    deprecated = next((d.deprecated for d in docs if d.deprecated is not None), None)
    sources = tuple(s for d in docs for s in d.sources)
    return Doc(text=text, summary=summary, since=since, deprecated=deprecated, sources=sources)


def doc_from_gtkdoc(comment: GtkDocComment) -> Doc:
    return Doc(
        text=comment.body,
        summary=" ".join((comment.short_description or "").split()) or first_sentence(comment.body),
        since=comment.since,
        deprecated=comment.deprecated,
        sources=("gtk-doc",),
    )


def doc_from_text(text: str, source: str) -> Doc:
    cleaned = clean_text(text)
    return Doc(text=cleaned, summary=first_sentence(cleaned), sources=(source,))
