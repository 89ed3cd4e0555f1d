from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from dbus_fast.aio.message_bus import MessageBus
from dbus_fast.message import Message
from dbus_fast.signature import SignatureTree, Variant, get_signature_tree
from dbus_fast.errors import InvalidObjectPathError

from ._base import PROPERTIES_IFACE, _LOG, _SIGNAL
from ._specs import Annotations, MethodSpec, PropertySpec, SignalSpec, Spec, _may_carry_fds
from ._specs import interface_xml
from ._fds import _TransferFD, _close_fds, _fds_out, _iter_fd_values, _map_fds, _send
from ._wire import _is_path, _limits
from ._bus import _SIG_PROPS_CHANGED, _registry_for

# ---------------------------------------------------------------------------
# server side
# ---------------------------------------------------------------------------


class ServerBase:
    """Base class of generated server classes (one D-Bus interface each).

    Subclass the generated class, override its ``async def`` handlers and
    property accessors, then :meth:`export` it.  Handlers get the in args
    positionally and return the out value (a tuple when there are several
    out args).  Raise :class:`DBusError` or one of its standard subclasses
    (``raise InvalidArgs("...")``) to send that D-Bus error.  Several
    objects with different interfaces may be exported on one path.

    Properties: ``Properties.Get`` calls the ``get_<prop>`` getter and
    ``Properties.Set`` the ``set_<prop>`` setter.  After a setter returns,
    the runtime sends PropertiesChanged as the property's
    EmitsChangedSignal says (``true``: the value the getter returns now;
    ``invalidates``: the name only; ``const`` / ``false``: nothing), so a
    setter does not notify.  When a value changes by other means, call the
    generated ``notify_<prop>(value)`` (EmitsChangedSignal=true) or
    ``notify_<prop>()`` (invalidates).  ``Properties.GetAll`` leaves out
    properties whose getter raises ``org.freedesktop.DBus.Error.NotSupported``
    (i.e. is not implemented); any other getter error fails the whole GetAll.
    Signals and PropertiesChanged are sent from every export; nothing is
    sent while the object is not exported.

    A generated class lists its members' specs in ``_SPECS`` (and the interface's
    annotations in ``_ANNOTATIONS``): ``_METHODS``, ``_PROPERTIES``, ``_SIGNALS`` (keyed by
    D-Bus name) and the ``_INTROSPECTION_XML`` Introspect returns are built from them when
    the class is created.
    """

    INTERFACE: ClassVar[str] = ""
    _SPECS: ClassVar[Sequence[Spec]] = ()
    _ANNOTATIONS: ClassVar[Annotations] = ()
    _METHODS: ClassVar[Mapping[str, MethodSpec]] = {}
    _PROPERTIES: ClassVar[Mapping[str, PropertySpec]] = {}
    _SIGNALS: ClassVar[Mapping[str, SignalSpec]] = {}
    _INTROSPECTION_XML: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        specs = cls.__dict__.get("_SPECS")
        if specs is None:
            return  # a class that sets the mappings itself, or a subclass of a generated one
        cls._METHODS = {s.name: s for s in specs if isinstance(s, MethodSpec)}
        cls._PROPERTIES = {s.name: s for s in specs if isinstance(s, PropertySpec)}
        cls._SIGNALS = {s.name: s for s in specs if isinstance(s, SignalSpec)}
        if "_INTROSPECTION_XML" not in cls.__dict__:
            cls._INTROSPECTION_XML = interface_xml(cls.INTERFACE, specs, cls._ANNOTATIONS)

    def _qdbusgen_exports(self) -> list[tuple[MessageBus, str]]:
        exports: list[tuple[MessageBus, str]] | None = self.__dict__.get("_qdbusgen_exports_list")
        if exports is None:
            exports = []
            self.__dict__["_qdbusgen_exports_list"] = exports
        return exports

    def export(self, bus: MessageBus, path: str) -> None:
        """Serve this object at ``path`` on ``bus`` (may be called for several bus/path pairs)."""
        if not _is_path(path):
            raise InvalidObjectPathError(path)
        registry = _registry_for(bus)
        assert registry is not None
        registry.add_object(path, self)
        self._qdbusgen_exports().append((bus, path))

    def unexport(self) -> None:
        """Stop serving this object everywhere it was exported."""
        exports = self._qdbusgen_exports()
        for bus, path in exports:
            registry = _registry_for(bus, create=False)
            if registry is not None:
                registry.remove_object(path, self)
        exports.clear()

    def _emit_signal(self, member: str, signature: str, body: list[Any]) -> None:
        """Emit signal ``member`` of this interface from every export (no-op if not exported)."""
        self._emit(self.INTERFACE, member, get_signature_tree(signature), body)

    def _emit_properties_changed(self, name: str, value: Any = None) -> None:
        """Announce a new value of property ``name`` per its EmitsChangedSignal mode.

        ``true``: PropertiesChanged carrying the value; ``invalidates``: the
        name in the invalidated list (value unused); ``const`` / ``false``:
        nothing is sent.
        """
        spec = self._PROPERTIES[name]
        mode = spec.emits_changed
        if mode == "true":
            body: list[Any] = [self.INTERFACE, {name: Variant(spec.tree, value)}, []]
        elif mode == "invalidates":
            body = [self.INTERFACE, {}, [name]]
        else:
            return
        self._emit(PROPERTIES_IFACE, "PropertiesChanged", _SIG_PROPS_CHANGED, body)

    async def _qdbusgen_after_set(self, spec: PropertySpec) -> None:
        """Announce a value set by ``Properties.Set`` as EmitsChangedSignal says (``true``:
        the value the getter returns now; ``invalidates``: the name)."""
        if not self._qdbusgen_exports() or spec.emits_changed not in ("true", "invalidates"):
            return
        if spec.emits_changed == "invalidates" or spec.getter is None:
            if spec.readable:
                self._emit_properties_changed(spec.name)
            return
        try:
            value = await getattr(self, spec.getter)()
        except Exception as e:
            _LOG.debug(
                "no PropertiesChanged for %s.%s: its getter raised %r", self.INTERFACE, spec.name, e
            )
            return
        self._emit_properties_changed(spec.name, value)

    def _emit(self, interface: str, member: str, tree: SignatureTree, body: list[Any]) -> None:
        exports = self._qdbusgen_exports()
        live = [(bus, path) for bus, path in exports if bus.connected]
        if len(live) != len(exports):
            exports[:] = live
        transfers: list[int] = []
        if _may_carry_fds(tree.signature):
            # transfer_fd values: every export sends its own dup, then the
            # originals are closed here.
            transfers = [int(v) for v in _iter_fd_values(tree, body) if isinstance(v, _TransferFD)]
            if transfers:
                body = _strip_transfers(tree, body)
        try:
            for bus, path in live:
                fds: list[int] = []
                out_body = body
                if transfers or _may_carry_fds(tree.signature):
                    out_body, fds = _fds_out(tree, body)
                    if len(fds) > _limits(bus).max_message_fds:
                        _close_fds(fds)
                        _LOG.error(
                            "not emitting %s.%s: %d fds, more than %d",
                            interface,
                            member,
                            len(fds),
                            _limits(bus).max_message_fds,
                        )
                        continue
                msg = Message(
                    message_type=_SIGNAL,
                    path=path,
                    interface=interface,
                    member=member,
                    signature=tree,
                    body=out_body,
                    unix_fds=fds,
                    validate=False,
                )
                _send(bus, msg, fds)
        finally:
            _close_fds(set(transfers))


def _strip_transfers(tree: SignatureTree, body: Sequence[Any]) -> list[Any]:
    """The body with transfer_fd values turned into plain ints."""

    def plain(v: Any) -> Any:
        return int(v) if isinstance(v, _TransferFD) else v

    return [_map_fds(st, v, plain) for st, v in zip(tree.types, body)]
