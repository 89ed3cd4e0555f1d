from __future__ import annotations

from typing import Final

from dbus_fast.signature import SignatureTree, get_signature_tree

# ---------------------------------------------------------------------------
# specs used by generated server classes
# ---------------------------------------------------------------------------


def _may_carry_fds(signature: str) -> bool:
    return "h" in signature or "v" in signature


class MethodSpec:
    """Static description of one D-Bus method of a generated server class.

    ``py_name`` is the attribute name of the ``async def`` handler.  If
    ``multiple_out`` the handler returns a tuple whose items are the out
    args; otherwise it returns the single out value (or None when
    ``out_sig`` is empty).
    """

    __slots__ = (
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
        *,
        no_reply: bool = False,
        multiple_out: bool = False,
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
    """

    __slots__ = (
        "access",
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

    def __repr__(self) -> str:
        return (
            f"PropertySpec({self.name!r}, {self.signature!r}, {self.access!r}, {self.emits_changed!r}, "
            f"getter={self.getter!r}, setter={self.setter!r})"
        )


class SignalSpec:
    """Static description of one D-Bus signal of a generated server class."""

    __slots__ = ("name", "signature", "tree")

    def __init__(self, name: str, signature: str) -> None:
        self.name = name
        self.signature = signature
        self.tree: SignatureTree = get_signature_tree(signature)

    def __repr__(self) -> str:
        return f"SignalSpec({self.name!r}, {self.signature!r})"
