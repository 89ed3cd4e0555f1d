from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, TypeVar

from dbus_fast.aio.message_bus import MessageBus
from dbus_fast.signature import Variant
from dbus_fast.errors import InvalidObjectPathError

from ._base import ERROR_NOT_SUPPORTED, ObjectPath, _T
from .errors import DBusError
from ._specs import MethodSpec, SignalSpec
from .client import ProxyBase, SignalStream, Subscription
from .server import ServerBase
from ._wire import _is_path

# ---------------------------------------------------------------------------
# ObjectManager
#
# org.freedesktop.DBus.ObjectManager on both sides.  ObjectManagerServer is
# exported at a root path and serves GetManagedObjects for the objects added to
# it (exporting them on every connection it is exported on), emitting
# InterfacesAdded / InterfacesRemoved.  ObjectManagerProxyBase is the client;
# a generated package with the ObjectManager module subclasses it with the
# typed ``ObjectManagerProxy`` (GetManagedObjects as a mapping of object path ->
# interface -> that interface's properties TypedDict).
# ---------------------------------------------------------------------------

OBJECT_MANAGER_IFACE: Final = "org.freedesktop.DBus.ObjectManager"
_SIG_MANAGED: Final = "a{oa{sa{sv}}}"
_SIG_ADDED: Final = "oa{sa{sv}}"
_SIG_REMOVED: Final = "oas"
_P = TypeVar("_P", bound=ProxyBase)


def _unwrap_interfaces(ifaces: Mapping[str, Mapping[str, Variant]]) -> dict[str, dict[str, Any]]:
    return {name: {k: v.value for k, v in props.items()} for name, props in ifaces.items()}


async def _property_variants(obj: ServerBase) -> dict[str, Variant]:
    """Every readable property of ``obj`` (as Properties.GetAll has them)."""
    values: dict[str, Variant] = {}
    for spec in obj._PROPERTIES.values():
        if not spec.readable or spec.getter is None:
            continue
        try:
            value = await getattr(obj, spec.getter)()
        except DBusError as e:
            if e.name == ERROR_NOT_SUPPORTED:
                continue  # unimplemented getter: left out, as in GetAll
            raise
        values[spec.name] = Variant(spec.tree, value, False)
    return values


class ObjectManagerServer(ServerBase):
    """``org.freedesktop.DBus.ObjectManager`` for the objects added to it.

    Export it at the root of your object tree, then ``await add(path, obj...)``
    the objects (generated servers) below it: each is exported at ``path`` on
    every connection the manager is exported on (now or later), and
    InterfacesAdded is emitted with their properties.  ``await remove(path)``
    unexports them and emits InterfacesRemoved.
    """

    INTERFACE: ClassVar[str] = OBJECT_MANAGER_IFACE
    _METHODS: ClassVar[Mapping[str, MethodSpec]] = {
        "GetManagedObjects": MethodSpec(
            "GetManagedObjects", "", _SIG_MANAGED, "_qdbusgen_get_managed_objects"
        ),
    }
    _SIGNALS: ClassVar[Mapping[str, SignalSpec]] = {
        "InterfacesAdded": SignalSpec("InterfacesAdded", _SIG_ADDED),
        "InterfacesRemoved": SignalSpec("InterfacesRemoved", _SIG_REMOVED),
    }
    _INTROSPECTION_XML: ClassVar[str] = (
        '<interface name="org.freedesktop.DBus.ObjectManager">'
        '<method name="GetManagedObjects">'
        '<arg name="objects" type="a{oa{sa{sv}}}" direction="out"/></method>'
        '<signal name="InterfacesAdded"><arg name="object_path" type="o"/>'
        '<arg name="interfaces_and_properties" type="a{sa{sv}}"/></signal>'
        '<signal name="InterfacesRemoved"><arg name="object_path" type="o"/>'
        '<arg name="interfaces" type="as"/></signal>'
        "</interface>"
    )

    def __init__(self) -> None:
        self._managed: dict[str, dict[str, ServerBase]] = {}

    @property
    def managed(self) -> dict[str, tuple[ServerBase, ...]]:
        """Object path -> the objects managed there."""
        return {p: tuple(objs.values()) for p, objs in self._managed.items()}

    def export(self, bus: MessageBus, path: str) -> None:
        super().export(bus, path)
        for obj_path, objs in self._managed.items():
            for obj in objs.values():
                obj.export(bus, obj_path)

    def unexport(self) -> None:
        for objs in self._managed.values():
            for obj in objs.values():
                obj.unexport()
        super().unexport()

    async def add(self, path: str, *objects: ServerBase) -> None:
        """Manage ``objects`` at ``path``: export them and emit InterfacesAdded."""
        if not _is_path(path):
            raise InvalidObjectPathError(path)
        managed = self._managed.setdefault(path, {})
        for obj in objects:
            if obj.INTERFACE in managed:
                raise ValueError(f"interface {obj.INTERFACE} is already managed at {path}")
        added: dict[str, dict[str, Variant]] = {}
        for obj in objects:
            for bus, _root in self._qdbusgen_exports():
                obj.export(bus, path)
            managed[obj.INTERFACE] = obj
            added[obj.INTERFACE] = await _property_variants(obj)
        if added:
            self._emit_signal("InterfacesAdded", _SIG_ADDED, [path, added])

    async def remove(self, path: str, *interfaces: str) -> None:
        """Stop managing ``interfaces`` at ``path`` (all of them when none is given):
        unexport them and emit InterfacesRemoved."""
        managed = self._managed.get(path, {})
        names = list(interfaces) if interfaces else list(managed)
        removed = []
        for name in names:
            obj = managed.pop(name, None)
            if obj is not None:
                obj.unexport()
                removed.append(name)
        if not managed:
            self._managed.pop(path, None)
        if removed:
            self._emit_signal("InterfacesRemoved", _SIG_REMOVED, [path, removed])

    async def _qdbusgen_get_managed_objects(self) -> dict[str, dict[str, dict[str, Variant]]]:
        out: dict[str, dict[str, dict[str, Variant]]] = {}
        for path, objs in self._managed.items():
            out[path] = {name: await _property_variants(obj) for name, obj in objs.items()}
        return out


class ObjectManagerProxyBase(ProxyBase):
    """Client of ``org.freedesktop.DBus.ObjectManager`` at the root of a service's tree.

    Values come unwrapped (property values, not Variants).  :meth:`managed_proxy`
    makes a proxy of any generated proxy class for a managed object, on the same
    connection, service and timeout.
    """

    INTERFACE: ClassVar[str] = OBJECT_MANAGER_IFACE

    async def _managed_objects(self) -> dict[ObjectPath, dict[str, dict[str, Any]]]:
        (objects,) = await self._call("GetManagedObjects", "", [], _SIG_MANAGED)
        return {ObjectPath(p): _unwrap_interfaces(ifaces) for p, ifaces in objects.items()}

    def _on_interfaces_added(
        self, callback: Callable[[_T], object], convert: Callable[[list[Any]], _T]
    ) -> Subscription:
        return self._subscribe(
            "InterfacesAdded",
            lambda body: callback(convert([ObjectPath(body[0]), _unwrap_interfaces(body[1])])),
            signature=_SIG_ADDED,
        )

    def _interfaces_added_stream(self, convert: Callable[[list[Any]], _T]) -> SignalStream[_T]:
        return self._signals(
            "InterfacesAdded",
            lambda body: convert([ObjectPath(body[0]), _unwrap_interfaces(body[1])]),
            signature=_SIG_ADDED,
        )

    def _on_interfaces_removed(
        self, callback: Callable[[_T], object], convert: Callable[[list[Any]], _T]
    ) -> Subscription:
        return self._subscribe(
            "InterfacesRemoved",
            lambda body: callback(convert([ObjectPath(body[0]), list(body[1])])),
            signature=_SIG_REMOVED,
        )

    def _interfaces_removed_stream(self, convert: Callable[[list[Any]], _T]) -> SignalStream[_T]:
        return self._signals(
            "InterfacesRemoved",
            lambda body: convert([ObjectPath(body[0]), list(body[1])]),
            signature=_SIG_REMOVED,
        )

    def managed_proxy(self, cls: type[_P], path: str) -> _P:
        """A ``cls`` proxy for the managed object at ``path``."""
        return cls(self._bus, self._service, path, timeout=self._timeout)
