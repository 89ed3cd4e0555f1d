"""``qdbusgen show``: the model as a readable tree or as JSON."""

from __future__ import annotations

import json
from typing import Any

from .model import (
    Annotation,
    Arg,
    Doc,
    Document,
    Interface,
    Location,
    Method,
    Node,
    Property,
    Signal,
)


def _loc(location: Location) -> dict[str, Any]:
    return {"file": location.file, "line": location.line, "column": location.column}


def _doc(doc: Doc) -> dict[str, Any] | None:
    if not doc and doc.since is None and doc.deprecated is None:
        return None
    return {
        "text": doc.text,
        "summary": doc.summary,
        "since": doc.since,
        "deprecated": doc.deprecated,
        "sources": list(doc.sources),
    }


def _ann(annotations: tuple[Annotation, ...]) -> list[dict[str, Any]]:
    return [{"name": a.name, "value": a.value, "location": _loc(a.location)} for a in annotations]


def _arg(arg: Arg) -> dict[str, Any]:
    return {
        "name": arg.name,
        "type": arg.signature,
        "direction": arg.direction.value,
        "annotations": _ann(arg.annotations),
        "doc": _doc(arg.doc),
        "location": _loc(arg.location),
    }


def _method(m: Method) -> dict[str, Any]:
    return {
        "name": m.name,
        "args": [_arg(a) for a in m.args],
        "no_reply": m.no_reply,
        "deprecated": m.deprecated,
        "since": m.since,
        "annotations": _ann(m.annotations),
        "doc": _doc(m.doc),
        "location": _loc(m.location),
    }


def _signal(s: Signal) -> dict[str, Any]:
    return {
        "name": s.name,
        "args": [_arg(a) for a in s.args],
        "deprecated": s.deprecated,
        "since": s.since,
        "annotations": _ann(s.annotations),
        "doc": _doc(s.doc),
        "location": _loc(s.location),
    }


def _property(p: Property) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": p.signature,
        "access": p.access.value if p.access else p.access_attr,
        "emits_changed_signal": p.emits_changed.value,
        "deprecated": p.deprecated,
        "since": p.since,
        "annotations": _ann(p.annotations),
        "doc": _doc(p.doc),
        "location": _loc(p.location),
    }


def _interface(i: Interface) -> dict[str, Any]:
    return {
        "name": i.name,
        "methods": [_method(m) for m in i.methods],
        "signals": [_signal(s) for s in i.signals],
        "properties": [_property(p) for p in i.properties],
        "emits_changed_signal": i.emits_changed.value,
        "deprecated": i.deprecated,
        "since": i.since,
        "annotations": _ann(i.annotations),
        "doc": _doc(i.doc),
        "location": _loc(i.location),
    }


def _node(n: Node) -> dict[str, Any]:
    return {
        "name": n.name,
        "path": n.path,
        "interfaces": [_interface(i) for i in n.interfaces],
        "nodes": [_node(c) for c in n.nodes],
        "annotations": _ann(n.annotations),
        "location": _loc(n.location),
    }


def document_to_dict(document: Document) -> dict[str, Any]:
    return {
        "path": document.path,
        "root_is_interface": document.root_is_interface,
        "defines": dict(document.defines),
        "root": _node(document.root),
    }


def to_json(documents: list[Document]) -> str:
    return json.dumps(
        [document_to_dict(d) for d in documents], indent=2, ensure_ascii=False, sort_keys=False
    )


def _summary(doc: Doc) -> str:
    return f"  — {doc.summary}" if doc.summary else ""


def _args_text(args: tuple[Arg, ...], show_direction: bool) -> str:
    parts = []
    for a in args:
        prefix = f"{a.direction.value} " if show_direction else ""
        parts.append(f"{prefix}{a.signature} {a.name or '(unnamed)'}")
    return ", ".join(parts)


def to_tree(document: Document) -> str:
    lines: list[str] = [document.path]

    def node(n: Node, indent: str) -> None:
        label = n.path or n.name or "(unnamed node)"
        lines.append(f"{indent}node {label}  [{n.location.line}:{n.location.column}]")
        inner = indent + "  "
        for iface in n.interfaces:
            flags = " (deprecated)" if iface.deprecated else ""
            lines.append(
                f"{inner}interface {iface.name}{flags}  [{iface.location.line}:{iface.location.column}]{_summary(iface.doc)}"
            )
            member_indent = inner + "  "
            for m in iface.methods:
                outs = ", ".join(f"{a.signature} {a.name or '(unnamed)'}" for a in m.out_args)
                ins = ", ".join(f"{a.signature} {a.name or '(unnamed)'}" for a in m.in_args)
                flags = "".join(
                    [" (noreply)" if m.no_reply else "", " (deprecated)" if m.deprecated else ""]
                )
                lines.append(
                    f"{member_indent}method {m.name}({ins}) -> ({outs}){flags}  [{m.location.line}:{m.location.column}]{_summary(m.doc)}"
                )
            for s in iface.signals:
                lines.append(
                    f"{member_indent}signal {s.name}({_args_text(s.args, False)})  [{s.location.line}:{s.location.column}]{_summary(s.doc)}"
                )
            for p in iface.properties:
                access = p.access.value if p.access else f"invalid:{p.access_attr}"
                lines.append(
                    f"{member_indent}property {p.name}: {p.signature} ({access}, emits {p.emits_changed.value})  [{p.location.line}:{p.location.column}]{_summary(p.doc)}"
                )
        for child in n.nodes:
            node(child, inner)

    node(document.root, "  ")
    return "\n".join(lines)
