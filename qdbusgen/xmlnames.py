"""Names of lxml elements and attributes, split without lxml's QName.

lxml writes a namespaced name as ``{namespace}local``. ``etree.QName`` refuses some names
that lxml itself produced from a document it accepted (``<node xmlns="a{sv}">`` under a
DOCTYPE gives the tag ``{a{sv}}node``, and ``QName`` raises ValueError), so every stage
splits names here instead: the namespace is what lies before the *last* ``}``.
"""

from __future__ import annotations


def split(name: str) -> tuple[str | None, str]:
    """``(namespace, local name)`` of an lxml tag or attribute name (namespace None: none)."""
    if name.startswith("{"):
        namespace, _, local = name[1:].rpartition("}")
        return namespace, local
    return None, name


def local(name: str) -> str:
    return split(name)[1]


def namespace(name: str) -> str | None:
    return split(name)[0]
