"""Serialise a model interface back to introspection XML (names, types, directions,
access and annotations; no documentation), as a generated server exposes it."""

from __future__ import annotations

from lxml import etree  # type: ignore[import-untyped]

from .model import Annotation, Interface


def _annotations(parent: etree._Element, annotations: tuple[Annotation, ...]) -> None:
    for ann in annotations:
        etree.SubElement(parent, "annotation", name=ann.name, value=ann.value)


def interface_xml(iface: Interface) -> str:
    """The ``<interface>`` element for ``iface`` as compact, deterministic XML text."""
    root = etree.Element("interface", name=iface.name)
    for method in iface.methods:
        m = etree.SubElement(root, "method", name=method.name)
        for arg in method.args:
            attrs = {"type": arg.signature, "direction": arg.direction.value}
            if arg.name is not None:
                attrs = {"name": arg.name, **attrs}
            a = etree.SubElement(m, "arg", attrs)
            _annotations(a, arg.annotations)
        _annotations(m, method.annotations)
    for signal in iface.signals:
        s = etree.SubElement(root, "signal", name=signal.name)
        for arg in signal.args:
            attrs = {"type": arg.signature}
            if arg.name is not None:
                attrs = {"name": arg.name, **attrs}
            a = etree.SubElement(s, "arg", attrs)
            _annotations(a, arg.annotations)
        _annotations(s, signal.annotations)
    for prop in iface.properties:
        access = prop.access.value if prop.access is not None else "read"
        p = etree.SubElement(root, "property", name=prop.name, type=prop.signature, access=access)
        _annotations(p, prop.annotations)
    _annotations(root, iface.annotations)
    return str(etree.tostring(root, encoding="unicode"))
