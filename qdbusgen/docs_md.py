"""``qdbusgen docs``: a Markdown reference of the interfaces, from the model.

Each interface, method, signal and property with its D-Bus signature, the documentation
of every argument, access, EmitsChangedSignal, NoReply, deprecation and Since where the
XML gives them. Interfaces are sorted by name and files are named by their basename, so
the output depends only on the XML (byte-stable, no paths of the machine).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .model import Arg, Doc, Document, EmitsChanged, Interface, Method, Property, Signal

_EMITS = {
    EmitsChanged.TRUE: "true (PropertiesChanged carries the new value)",
    EmitsChanged.INVALIDATES: "invalidates (PropertiesChanged names it without the value)",
    EmitsChanged.CONST: "const (never changes)",
    EmitsChanged.FALSE: "false (no PropertiesChanged: read it again to see a change)",
}


def _escape(text: str) -> str:
    """Plain documentation text as Markdown: no raw HTML, no accidental headings."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"^(\s*)([#>+=-])", r"\1\\\2", text, flags=re.MULTILINE)


def _cell(text: str) -> str:
    return _escape(" ".join(text.split())).replace("|", "\\|") or "—"


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _anchor(name: str) -> str:
    """GitHub's heading anchor for a heading that is just ``name`` in code."""
    return re.sub(r"[^a-z0-9_ -]", "", name.lower()).replace(" ", "-")


def _args(args: Sequence[Arg]) -> str:
    return ", ".join(f"{a.name or '_'}: {a.signature}" for a in args)


def _facts(since: str | None, deprecated: bool, doc: Doc, extra: Iterable[str] = ()) -> list[str]:
    facts = list(extra)
    if since is not None:
        facts.append(f"Since {_escape(since)}")
    if deprecated or doc.deprecated is not None:
        reason = f": {_escape(doc.deprecated)}" if doc.deprecated else ""
        facts.append(f"**Deprecated**{reason}")
    return [" · ".join(facts), ""] if facts else []


def _text(doc: Doc) -> list[str]:
    return [_escape(doc.text.strip()), ""] if doc.text.strip() else []


def _arg_table(args: Sequence[Arg], directions: bool) -> list[str]:
    if not args:
        return []
    head = ["Argument", "Direction", "Type", "Description"] if directions else ["Argument"]
    if not directions:
        head += ["Type", "Description"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for a in args:
        row = [_code(a.name) if a.name else "(unnamed)"]
        if directions:
            row.append(a.direction.value)
        row += [_code(a.signature), _cell(a.doc.text)]
        lines.append("| " + " | ".join(row) + " |")
    return [*lines, ""]


def _method(m: Method) -> list[str]:
    out = f" → ({_args(m.out_args)})" if m.out_args else ""
    lines = [f"#### {_code(m.name)}", "", f"{_code(f'{m.name}({_args(m.in_args)})' + out)}", ""]
    lines += _facts(
        m.since, m.deprecated, m.doc, ["NoReply: the caller gets no reply"] * m.no_reply
    )
    return lines + _text(m.doc) + _arg_table(m.args, True)


def _signal(s: Signal) -> list[str]:
    lines = [f"#### {_code(s.name)}", "", _code(f"{s.name}({_args(s.args)})"), ""]
    return lines + _facts(s.since, s.deprecated, s.doc) + _text(s.doc) + _arg_table(s.args, False)


def _property(p: Property) -> list[str]:
    access = p.access.value if p.access is not None else f"invalid ({p.access_attr})"
    lines = [f"#### {_code(p.name)}", "", f"{_code(p.signature)}, {access}", ""]
    lines += _facts(
        p.since, p.deprecated, p.doc, [f"EmitsChangedSignal: {_EMITS[p.emits_changed]}"]
    )
    return lines + _text(p.doc)


def _interface(iface: Interface, source: str) -> list[str]:
    lines = [f"## {_code(iface.name)}", "", f"From `{source}`.", ""]
    lines += _facts(iface.since, iface.deprecated, iface.doc)
    lines += _text(iface.doc)
    if iface.methods:
        lines += ["### Methods", ""] + [line for m in iface.methods for line in _method(m)]
    if iface.signals:
        lines += ["### Signals", ""] + [line for s in iface.signals for line in _signal(s)]
    if iface.properties:
        lines += ["### Properties", ""] + [line for p in iface.properties for line in _property(p)]
    return lines


def render_markdown(
    documents: Iterable[Document], *, title: str = "D-Bus interface reference"
) -> str:
    """The reference for every interface in ``documents`` (duplicates: the first one)."""
    seen: dict[str, tuple[Interface, str]] = {}
    for document in documents:
        source = document.path.replace("\\", "/").rsplit("/", 1)[-1]
        for iface in document.interfaces:
            seen.setdefault(iface.name, (iface, source))
    names = sorted(seen)
    lines = [
        f"# {_escape(title)}",
        "",
        "Generated by `qdbusgen docs` from the introspection XML.",
        "",
    ]
    lines += [f"- [{name}](#{_anchor(name)})" for name in names] + [""]
    for name in names:
        lines += _interface(*seen[name])
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


__all__ = ["render_markdown"]
