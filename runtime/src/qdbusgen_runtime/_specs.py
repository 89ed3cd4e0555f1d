from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Union

from dbus_fast.signature import SignatureTree, get_signature_tree

# ---------------------------------------------------------------------------
# specs used by generated server classes
# ---------------------------------------------------------------------------


def _may_carry_fds(signature: str) -> bool:
    return "h" in signature or "v" in signature


#: ``(name, value)`` pairs of introspection annotations, in their declared order.
Annotations = Sequence[tuple[str, str]]
#: The args' names, in their introspection order: a tuple (None for an unnamed arg) or one
#: string of space-separated names.
ArgNames = Union[str, Sequence[Union[str, None]]]


def _names(args: ArgNames) -> tuple[str | None, ...]:
    return tuple(args.split()) if isinstance(args, str) else tuple(args)


class MethodSpec:
    """Static description of one D-Bus method of a generated server class.

    ``py_name`` is the attribute name of the ``async def`` handler.  If
    ``multiple_out`` the handler returns a tuple whose items are the out
    args; otherwise it returns the single out value (or None when
    ``out_sig`` is empty).

    The rest is for Introspect (:func:`interface_xml`): ``args`` names the args in
    their introspection order, which is the in args then the out args unless
    ``directions`` (one ``i`` or ``o`` per arg) says otherwise; ``annotations`` are the
    method's, ``arg_annotations`` an arg's (by its index in that order).
    """

    __slots__ = (
        "annotations",
        "arg_annotations",
        "args",
        "directions",
        "in_sig",
        "in_tree",
        "in_fds",
        "multiple_out",
        "name",
        "no_reply",
        "out_sig",
        "out_tree",
        "out_fds",
        "py_name",
    )

    def __init__(
        self,
        name: str,
        in_sig: str,
        out_sig: str,
        py_name: str,
        args: ArgNames = (),
        *,
        no_reply: bool = False,
        multiple_out: bool = False,
        directions: str = "",
        annotations: Annotations = (),
        arg_annotations: Mapping[int, Annotations] | None = None,
    ) -> None:
        self.name = name
        self.in_sig = in_sig
        self.out_sig = out_sig
        self.py_name = py_name
        self.no_reply = no_reply
        self.multiple_out = multiple_out
        self.in_tree: SignatureTree = get_signature_tree(in_sig)
        self.out_tree: SignatureTree = get_signature_tree(out_sig)
        self.in_fds = _may_carry_fds(in_sig)
        self.out_fds = _may_carry_fds(out_sig)
        self.args = _names(args)
        self.directions = directions or (
            "i" * len(self.in_tree.types) + "o" * len(self.out_tree.types)
        )
        self.annotations = annotations
        self.arg_annotations: Mapping[int, Annotations] = arg_annotations or {}

    def __repr__(self) -> str:
        return (
            f"MethodSpec({self.name!r}, {self.in_sig!r}, {self.out_sig!r}, {self.py_name!r}, "
            f"no_reply={self.no_reply!r}, multiple_out={self.multiple_out!r})"
        )


_ACCESS_VALUES: Final = frozenset({"read", "write", "readwrite"})
_EMITS_VALUES: Final = frozenset({"true", "invalidates", "const", "false"})


class PropertySpec:
    """Static description of one D-Bus property of a generated server class.

    ``access`` is ``read``, ``write`` or ``readwrite``; ``emits_changed`` is the
    ``org.freedesktop.DBus.Property.EmitsChangedSignal`` mode (``true``,
    ``invalidates``, ``const`` or ``false``).  ``getter`` / ``setter`` are the
    attribute names of the ``async def`` accessors (``None`` if absent).
    ``annotations`` are the property's, for Introspect.
    """

    __slots__ = (
        "access",
        "annotations",
        "emits_changed",
        "getter",
        "name",
        "readable",
        "setter",
        "signature",
        "tree",
        "writable",
    )

    def __init__(
        self,
        name: str,
        signature: str,
        access: str,
        emits_changed: str = "true",
        *,
        getter: str | None = None,
        setter: str | None = None,
        annotations: Annotations = (),
    ) -> None:
        if access not in _ACCESS_VALUES:
            raise ValueError(f"property {name}: bad access {access!r}")
        if emits_changed not in _EMITS_VALUES:
            raise ValueError(f"property {name}: bad EmitsChangedSignal {emits_changed!r}")
        self.name = name
        self.signature = signature
        self.access = access
        self.emits_changed = emits_changed
        self.getter = getter
        self.setter = setter
        self.tree: SignatureTree = get_signature_tree(signature)
        if len(self.tree.types) != 1:
            raise ValueError(f"property {name}: {signature!r} is not a single complete type")
        self.readable = access != "write"
        self.writable = access != "read"
        self.annotations = annotations

    def __repr__(self) -> str:
        return (
            f"PropertySpec({self.name!r}, {self.signature!r}, {self.access!r}, {self.emits_changed!r}, "
            f"getter={self.getter!r}, setter={self.setter!r})"
        )


class SignalSpec:
    """Static description of one D-Bus signal of a generated server class.

    ``args``, ``annotations`` and ``arg_annotations`` are for Introspect, as in
    :class:`MethodSpec`.
    """

    __slots__ = ("annotations", "arg_annotations", "args", "name", "signature", "tree")

    def __init__(
        self,
        name: str,
        signature: str,
        args: ArgNames = (),
        *,
        annotations: Annotations = (),
        arg_annotations: Mapping[int, Annotations] | None = None,
    ) -> None:
        self.name = name
        self.signature = signature
        self.tree: SignatureTree = get_signature_tree(signature)
        self.args = _names(args)
        self.annotations = annotations
        self.arg_annotations: Mapping[int, Annotations] = arg_annotations or {}

    def __repr__(self) -> str:
        return f"SignalSpec({self.name!r}, {self.signature!r})"


Spec = Union[MethodSpec, PropertySpec, SignalSpec]


def _attr(value: str) -> str:
    """``value`` as a double-quoted XML attribute value (as lxml escapes it)."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = value.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
    return '"' + value.replace("\t", "&#9;") + '"'


def _element(tag: str, attrs: str, children: list[str]) -> str:
    if not children:
        return f"<{tag}{attrs}/>"
    return f"<{tag}{attrs}>{''.join(children)}</{tag}>"


def _annotations(annotations: Annotations) -> list[str]:
    return [f"<annotation name={_attr(n)} value={_attr(v)}/>" for n, v in annotations]


def _args(
    types: Sequence[str],
    names: tuple[str | None, ...],
    directions: str,
    arg_annotations: Mapping[int, Annotations],
) -> list[str]:
    out = []
    for i, signature in enumerate(types):
        name = names[i] if i < len(names) else None
        attrs = "" if name is None else f" name={_attr(name)}"
        attrs += f" type={_attr(signature)}"
        if directions:
            attrs += ' direction="in"' if directions[i] == "i" else ' direction="out"'
        out.append(_element("arg", attrs, _annotations(arg_annotations.get(i, ()))))
    return out


def interface_xml(interface: str, specs: Sequence[Spec], annotations: Annotations = ()) -> str:
    """The ``<interface>`` element Introspect returns for ``specs``: methods, then signals,
    then properties, each in the order given, then the interface's ``annotations``."""
    methods, signals, props = [], [], []
    for spec in specs:
        if isinstance(spec, MethodSpec):
            ins = iter(t.signature for t in spec.in_tree.types)
            outs = iter(t.signature for t in spec.out_tree.types)
            types = [next(ins) if d == "i" else next(outs) for d in spec.directions]
            children = _args(types, spec.args, spec.directions, spec.arg_annotations)
            children += _annotations(spec.annotations)
            methods.append(_element("method", f" name={_attr(spec.name)}", children))
        elif isinstance(spec, SignalSpec):
            types = [t.signature for t in spec.tree.types]
            children = _args(types, spec.args, "", spec.arg_annotations)
            children += _annotations(spec.annotations)
            signals.append(_element("signal", f" name={_attr(spec.name)}", children))
        else:
            attrs = f" name={_attr(spec.name)} type={_attr(spec.signature)}"
            attrs += f" access={_attr(spec.access)}"
            props.append(_element("property", attrs, _annotations(spec.annotations)))
    children = methods + signals + props + _annotations(annotations)
    return _element("interface", f" name={_attr(interface)}", children)
