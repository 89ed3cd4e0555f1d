from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable, Collection, Coroutine, Generator
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Literal, TypeVar, cast, overload
from typing import Self

from dbus_fast.aio.message_bus import MessageBus
from dbus_fast.message import Message
from dbus_fast.signature import Variant, get_signature_tree
from dbus_fast.errors import (
    InvalidBusNameError,
    InvalidInterfaceNameError,
    InvalidMemberNameError,
    InvalidObjectPathError,
)

from ._base import (
    DBUS_NAME,
    DBUS_PATH,
    ERROR_INVALID_ARGS,
    ERROR_INVALID_SIGNATURE,
    ERROR_NOT_SUPPORTED,
    ERROR_NO_REPLY,
    PROPERTIES_IFACE,
    _ERROR,
    _FLAG_NONE,
    _FLAG_NO_REPLY,
    _LOG,
    _T,
)
from .errors import DBusError, DisconnectedError, _error_from_reply
from ._specs import MethodSpec, PropertySpec
from ._fds import (
    _FdIndexError,
    _close_fds,
    _fds_in,
    _fds_out,
    _iter_fd_values,
    _map_fds,
    _send,
)
from ._adapter import (
    _check_fd_count,
    _is_p2p,
    drop_reply_handler,
    fds_negotiated,
    send_nowait,
    set_reply_handler,
)
from ._wire import _is_bus_name, _is_interface, _is_member, _is_path
from ._bus import _BusRegistry, _SignalHandler, _daemon_call, _match_rule, _registry_for, connect

# ---------------------------------------------------------------------------
# client side
# ---------------------------------------------------------------------------


class _Match:
    """The bus side of one live signal subscription: the handler in the registry and
    the match rule(s) on the daemon."""

    def __init__(
        self,
        bus: MessageBus,
        registry: _BusRegistry,
        handler: _SignalHandler,
        rule: str | None,
        owner_name: str | None,
    ) -> None:
        self._bus = bus
        self._registry = registry
        self._handler = handler
        self._rule = rule
        self._owner_name = owner_name
        self._cancelled = False

    @property
    def active(self) -> bool:
        return not self._cancelled and self._handler.active

    async def cancel(self) -> None:
        """Stop delivery and remove the match rule(s) from the bus (idempotent)."""
        if self._cancelled:
            return
        self._cancelled = True
        self._registry.remove_signal(self._handler)
        rules = [self._rule] if self._rule else []
        if self._owner_name is not None:
            owner_rule = self._registry.release_owner(self._owner_name)
            if owner_rule:
                rules.append(owner_rule)
        for rule in rules:
            if not self._bus.connected:
                break
            try:
                await _daemon_call(self._bus, "RemoveMatch", "s", [rule])
            except DBusError as e:
                _LOG.debug("RemoveMatch %s failed: %s", rule, e)


class Subscription:
    """A callback subscription to a signal (``proxy.on_x(callback)``).

    It opens and closes as a :class:`SignalStream` does: ``async with
    proxy.on_x(cb) as sub:`` subscribes on entry and unsubscribes on exit;
    without ``async with``, ``sub = await proxy.on_x(cb)`` subscribes (the
    match rule is active when it returns) and ``await sub.close()`` ends it.
    :meth:`start` subscribes too; all of them are idempotent, and
    :meth:`ProxyBase.close` closes every subscription of the proxy.
    """

    def __init__(
        self,
        proxy: ProxyBase,
        interface: str,
        member: str,
        deliver: Callable[[list[Any]], object],
        arg0: str | None = None,
        signature: str | None = None,
    ) -> None:
        self._proxy = proxy
        self._args = (interface, member, deliver, arg0, signature)
        self._match: _Match | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def active(self) -> bool:
        """True while subscribed: started, not closed, and the connection is open."""
        return self._match is not None and self._match.active and not self._closed

    async def start(self) -> Self:
        """Subscribe now (idempotent; a no-op once closed); returns the subscription."""
        async with self._lock:
            if self._match is None and not self._closed:
                interface, member, deliver, arg0, signature = self._args
                self._match = await self._proxy._subscribe_full(
                    interface, member, deliver, arg0, None, signature
                )
                self._proxy._track(self)
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self.start().__await__()

    async def close(self) -> None:
        """Stop delivery and remove the match rule(s) from the bus (idempotent)."""
        self._closed = True
        self._proxy._untrack(self)
        async with self._lock:
            if self._match is not None:
                await self._match.cancel()

    async def cancel(self) -> None:
        """Same as :meth:`close` (its earlier name)."""
        await self.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


Overflow = Literal["drop_oldest", "raise"]
"""What a full :class:`SignalStream` does with a new signal."""

DEFAULT_STREAM_MAXSIZE: Final = 1024
"""Signals a :class:`SignalStream` queues unless told otherwise."""


class SignalOverflowError(Exception):
    """Raised by reading a ``overflow="raise"`` stream after signals were dropped."""

    def __init__(self, member: str, dropped: int) -> None:
        super().__init__(f"signal queue for {member} was full: {dropped} signals dropped")
        self.member = member
        self.dropped = dropped


class SignalStream(Generic[_T]):
    """Signals as an async iterator, backed by a queue.

    Each item is the signal body list, or ``convert(body)`` when the stream
    was made with a converter (generated code passes ``NamedTuple._make``:
    the same payload an ``on_x`` callback gets).  It opens and closes as a
    :class:`Subscription` does: ``async with`` subscribes on entry and
    unsubscribes at the end::

        async with proxy.stream_changed() as stream:
            async for event in stream:
                ...

    Without ``async with``: ``stream = await proxy.stream_changed()``, then
    ``await stream.close()``.  The subscription is made by ``await stream``
    (which returns the stream itself), ``async with``, :meth:`start` or the
    first ``__anext__``, whichever comes first.  Iteration ends after
    :meth:`close` (once the queued signals are consumed), when the connection
    closes, or when :meth:`ProxyBase.close` closes the proxy's streams.

    The queue is bounded: at most ``maxsize`` signals wait (0 = unbounded,
    which a peer that emits faster than you read can turn into unbounded
    memory).  When it is full, ``overflow`` says what happens to a new
    signal: ``"drop_oldest"`` (the default) drops the oldest queued one and
    counts it in :attr:`dropped`; ``"raise"`` drops the new one and the next
    read raises :class:`SignalOverflowError` (once, with the count), after
    which the queued signals are read as usual.  The fds of a dropped signal
    (``h`` anywhere in it, variants included) are closed when the stream
    knows the signal's ``signature`` (generated streams pass it); the fds
    of the signals read are the reader's.
    """

    def __init__(
        self,
        proxy: ProxyBase,
        member: str,
        convert: Callable[[list[Any]], _T] | None = None,
        *,
        signature: str | None = None,
        maxsize: int = DEFAULT_STREAM_MAXSIZE,
        overflow: Overflow = "drop_oldest",
    ) -> None:
        if maxsize < 0:
            raise ValueError("maxsize must be >= 0")
        if overflow not in ("drop_oldest", "raise"):
            raise ValueError(f"overflow must be 'drop_oldest' or 'raise', not {overflow!r}")
        self._proxy = proxy
        self._member = member
        self._convert = convert
        self._signature = signature
        self._maxsize = maxsize
        self._overflow = overflow
        self._queue: asyncio.Queue[list[Any] | None] = asyncio.Queue()
        self._sub: _Match | None = None
        self._closed = False
        self._dropped = 0
        self._unreported = 0

    @property
    def dropped(self) -> int:
        """Signals dropped so far because the queue was full."""
        return self._dropped

    def _push(self, body: list[Any]) -> None:
        if self._closed:
            self._discard(body)
            return
        if self._maxsize and self._queue.qsize() >= self._maxsize:
            self._dropped += 1
            if self._overflow == "raise":
                self._unreported += 1
                self._discard(body)
                return
            self._discard(self._queue.get_nowait())
            if self._dropped == 1 or self._dropped % 1000 == 0:
                _LOG.warning(
                    "signal queue for %s full: dropped %d signals", self._member, self._dropped
                )
        self._queue.put_nowait(body)

    def _discard(self, body: list[Any] | None) -> None:
        """Close the fds of a signal nobody will read (``h`` anywhere, variants included)."""
        sig = self._signature
        if body is not None and sig and ("h" in sig or "v" in sig):
            try:
                _close_fds(set(_iter_fd_values(get_signature_tree(sig), body)))
            except Exception:  # pragma: no cover - a body not of its signature (tolerant)
                _LOG.debug("could not close the fds of a dropped %s signal", self._member)

    def _on_close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(None)

    @property
    def active(self) -> bool:
        """True while subscribed."""
        return self._sub is not None and self._sub.active and not self._closed

    async def start(self) -> Self:
        """Subscribe now (idempotent); returns the stream."""
        if self._sub is None and not self._closed:
            self._sub = await self._proxy._subscribe_full(
                self._proxy.INTERFACE,
                self._member,
                self._push,
                None,
                self._on_close,
                self._signature,
            )
            self._proxy._track(self)
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self.start().__await__()

    async def close(self) -> None:
        """Unsubscribe; iteration ends once queued signals are consumed (idempotent)."""
        self._proxy._untrack(self)
        if self._sub is not None:
            await self._sub.cancel()
        self._on_close()

    async def aclose(self) -> None:
        """Same as :meth:`close` (the async-generator spelling)."""
        await self.close()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> _T:
        if self._sub is None and not self._closed:
            await self.start()
        if self._unreported:
            n, self._unreported = self._unreported, 0
            raise SignalOverflowError(self._member, n)
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)  # keep ending for further calls
            raise StopAsyncIteration
        if self._convert is None:
            return cast(_T, item)
        return self._convert(item)


class ProxyBase:
    """Base class of generated client proxies for one interface of one object.

    ``service`` is the bus name of the peer (a well-known or unique name), or
    None on a peer-to-peer connection.  ``timeout`` (seconds) bounds every
    call made through this proxy; None waits forever (a timeout raises
    :class:`NoReply`).

    Signals: ``on_x(callback)`` calls ``callback(payload)`` and
    ``stream_x()`` yields payloads, the same typed NamedTuple either way.
    Both return an object that opens and closes the same way: ``async with
    proxy.on_x(cb) as sub:`` / ``async with proxy.stream_x() as stream:``,
    or ``await`` it to subscribe and ``await sub.close()`` to end.
    :meth:`close` ends every subscription and stream of the proxy (and
    closes the connection if :meth:`new` opened it); ``async with proxy:``
    calls it on exit.
    """

    INTERFACE: ClassVar[str] = ""

    def __init__(
        self,
        bus: MessageBus,
        service: str | None,
        path: str,
        *,
        timeout: float | None = None,
        tolerant_signals: bool | Collection[str] = False,
    ) -> None:
        if service is not None and not _is_bus_name(service):
            raise InvalidBusNameError(service)
        if not _is_path(path):
            raise InvalidObjectPathError(path)
        if self.INTERFACE and not _is_interface(self.INTERFACE):
            raise InvalidInterfaceNameError(self.INTERFACE)
        self._bus = bus
        self._service = service
        self._path = path
        self._timeout = timeout
        self._owns_bus = False
        self._tolerant_signals = (
            tolerant_signals if isinstance(tolerant_signals, bool) else frozenset(tolerant_signals)
        )
        #: Tolerant signals: how many signals of each member came with args beyond the
        #: declared ones (delivered without them).
        self.tolerated_signals: collections.Counter[str] = collections.Counter()
        self._qdbusgen_subs: dict[Subscription | SignalStream[Any], None] = {}

    @classmethod
    async def new(
        cls,
        bus_or_address: MessageBus | str | None,
        service: str | None,
        path: str,
        *,
        timeout: float | None = None,
        tolerant_signals: bool | Collection[str] = False,
    ) -> Self:
        """One-liner constructor: connect first if given an address (None = session bus).

        A connection opened here belongs to the proxy: ``async with proxy``
        or ``await proxy.close()`` disconnects it.
        """
        if isinstance(bus_or_address, MessageBus):
            return cls(
                bus_or_address, service, path, timeout=timeout, tolerant_signals=tolerant_signals
            )
        bus = await connect(bus_or_address)
        try:
            proxy = cls(bus, service, path, timeout=timeout, tolerant_signals=tolerant_signals)
        except BaseException:
            bus.disconnect()
            raise
        proxy._owns_bus = True
        return proxy

    def _track(self, sub: Subscription | SignalStream[Any]) -> None:
        self._qdbusgen_subs[sub] = None

    def _untrack(self, sub: Subscription | SignalStream[Any]) -> None:
        self._qdbusgen_subs.pop(sub, None)

    async def close(self) -> None:
        """Close every signal subscription and stream made through this proxy, then
        disconnect the connection if :meth:`new` opened it (idempotent).  The proxy can
        still make calls afterwards on a connection it does not own."""
        while self._qdbusgen_subs:
            sub = next(iter(self._qdbusgen_subs))
            self._untrack(sub)
            await sub.close()
        if self._owns_bus:
            self._owns_bus = False
            self._bus.disconnect()
            try:
                await self._bus.wait_for_disconnect()  # type: ignore[no-untyped-call]
            except Exception:
                pass

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._service or '(p2p)'} {self._path} {self.INTERFACE}>"

    # -- calls ---------------------------------------------------------

    def _call(
        self,
        member: str,
        signature: str,
        body: list[Any],
        reply_signature: str,
        *,
        no_reply: bool = False,
    ) -> Coroutine[Any, Any, list[Any]]:
        """Call ``member`` of this proxy's interface; return the reply body list.

        Raises DBusError for an ERROR reply, or when the reply's signature is
        not ``reply_signature``.  With ``no_reply`` the call is sent with
        NO_REPLY_EXPECTED and nothing is awaited (returns ``[]``).  (A plain
        function returning the coroutine: one coroutine less per call.)
        """
        return self._call_iface(
            self.INTERFACE, member, signature, body, reply_signature, no_reply=no_reply
        )

    def _call_spec(self, spec: MethodSpec, body: list[Any]) -> Coroutine[Any, Any, list[Any]]:
        """:meth:`_call` of the method ``spec`` describes (a generated proxy's calls)."""
        return self._call(spec.name, spec.in_sig, body, spec.out_sig, no_reply=spec.no_reply)

    async def _call_iface(
        self,
        interface: str,
        member: str,
        signature: str,
        body: list[Any],
        reply_signature: str,
        *,
        no_reply: bool = False,
    ) -> list[Any]:
        bus = self._bus
        if not bus.connected:
            raise DisconnectedError()
        tree = get_signature_tree(signature)
        fds: list[int] = []
        if "h" in signature or "v" in signature:
            body, fds = _fds_out(tree, body)
            if fds and not fds_negotiated(bus):
                _close_fds(fds)
                raise DBusError(ERROR_NOT_SUPPORTED, "this connection cannot pass file descriptors")
            try:
                _check_fd_count(bus, fds)
            except DBusError:
                _close_fds(fds)
                raise
        try:
            msg = Message(
                destination=self._service,
                path=self._path,
                interface=interface,
                member=member,
                signature=tree,
                body=body,
                unix_fds=fds,
                flags=_FLAG_NO_REPLY if no_reply else _FLAG_NONE,
                validate=False,
            )
        except BaseException:
            _close_fds(fds)
            raise
        if no_reply:
            _send(bus, msg, fds)
            return []
        try:
            # also closes the fds of a reply that comes after a timeout
            coro: Awaitable[Message] = _send_call(bus, msg, fds)
            if self._timeout is None:
                reply = await coro
            else:
                try:
                    async with asyncio.timeout(self._timeout):
                        reply = await coro
                except TimeoutError:
                    raise DBusError(
                        ERROR_NO_REPLY, f"{interface}.{member}: no reply within {self._timeout} s"
                    ) from None
        except (EOFError, OSError) as e:
            raise DisconnectedError(str(e) or type(e).__name__) from e
        if reply is None:  # pragma: no cover - only for flags we never set here
            return []
        if reply.message_type is _ERROR:
            if reply.unix_fds:
                _close_fds(reply.unix_fds)
            raise _error_from_reply(reply)
        if reply.signature != reply_signature:
            if reply.unix_fds:
                _close_fds(reply.unix_fds)
            raise DBusError(
                ERROR_INVALID_SIGNATURE,
                f"{interface}.{member} replied with signature {reply.signature!r}, expected {reply_signature!r}",
            )
        if reply.unix_fds:
            try:
                return _fds_in(reply.signature_tree, reply.body, reply.unix_fds)
            except _FdIndexError as e:
                raise DBusError(ERROR_INVALID_ARGS, str(e)) from None
        return reply.body

    # -- properties ----------------------------------------------------

    async def _get_property(self, name: str, signature: str) -> Any:
        """``Properties.Get`` of this interface; returns the unwrapped value."""
        (variant,) = await self._call_iface(
            PROPERTIES_IFACE, "Get", "ss", [self.INTERFACE, name], "v"
        )
        if variant.signature != signature:
            _close_received(variant)
            raise DBusError(
                ERROR_INVALID_SIGNATURE,
                f"property {name} has type {variant.signature!r}, expected {signature!r}",
            )
        return variant.value

    async def _set_property(self, name: str, signature: str, value: Any) -> None:
        """``Properties.Set`` of this interface."""
        await self._call_iface(
            PROPERTIES_IFACE, "Set", "ssv", [self.INTERFACE, name, Variant(signature, value)], ""
        )

    def _get_spec(self, spec: PropertySpec) -> Coroutine[Any, Any, Any]:
        """:meth:`_get_property` of the property ``spec`` describes."""
        return self._get_property(spec.name, spec.signature)

    def _set_spec(self, spec: PropertySpec, value: Any) -> Coroutine[Any, Any, None]:
        """:meth:`_set_property` of the property ``spec`` describes."""
        return self._set_property(spec.name, spec.signature, value)

    async def _get_all(self) -> dict[str, Any]:
        """``Properties.GetAll`` of this interface; values unwrapped."""
        (props,) = await self._call_iface(
            PROPERTIES_IFACE, "GetAll", "s", [self.INTERFACE], "a{sv}"
        )
        return {k: v.value for k, v in props.items()}

    # -- signals -------------------------------------------------------

    @overload
    def _subscribe(
        self,
        member: str,
        callback: Callable[[list[Any]], object],
        *,
        signature: str | None = None,
    ) -> Subscription: ...

    @overload
    def _subscribe(
        self,
        member: str,
        callback: Callable[[_T], object],
        convert: Callable[[list[Any]], _T],
        *,
        signature: str | None = None,
    ) -> Subscription: ...

    def _subscribe(
        self,
        member: str,
        callback: Callable[[Any], object],
        convert: Callable[[list[Any]], Any] | None = None,
        *,
        signature: str | None = None,
    ) -> Subscription:
        """Call ``callback(body)`` (or ``callback(convert(body))``) for each signal ``member``
        of this object and interface, once subscribed (see :class:`Subscription`).

        Only signals sent by the current owner of ``service`` are delivered
        (ownership changes are followed; on p2p every signal of the peer).
        With ``signature``, signals with another body signature are dropped
        (and logged).  The match rule is active when ``await`` on the
        subscription returns.  A callback returning a coroutine has it
        scheduled as a task; exceptions from callbacks are logged.
        """
        deliver = callback if convert is None else (lambda body: callback(convert(body)))
        return Subscription(self, self.INTERFACE, member, deliver, None, signature)

    @overload
    def _signals(
        self,
        member: str,
        *,
        signature: str | None = None,
        maxsize: int = DEFAULT_STREAM_MAXSIZE,
        overflow: Overflow = "drop_oldest",
    ) -> SignalStream[list[Any]]: ...

    @overload
    def _signals(
        self,
        member: str,
        convert: Callable[[list[Any]], _T],
        *,
        signature: str | None = None,
        maxsize: int = DEFAULT_STREAM_MAXSIZE,
        overflow: Overflow = "drop_oldest",
    ) -> SignalStream[_T]: ...

    def _signals(
        self,
        member: str,
        convert: Callable[[list[Any]], Any] | None = None,
        *,
        signature: str | None = None,
        maxsize: int = DEFAULT_STREAM_MAXSIZE,
        overflow: Overflow = "drop_oldest",
    ) -> SignalStream[Any]:
        """Signal ``member`` as a :class:`SignalStream` of bodies (or of ``convert(body)``).

        ``await proxy._signals(...)`` subscribes at once and returns the
        stream; ``async with proxy._signals(...) as stream`` also unsubscribes
        at the end.
        """
        return SignalStream(
            self, member, convert, signature=signature, maxsize=maxsize, overflow=overflow
        )

    def _watch_properties(self, callback: Callable[[Any, list[str]], object]) -> Subscription:
        """Call ``callback(changed, invalidated)`` on PropertiesChanged for this interface,
        once subscribed (see :class:`Subscription`).

        ``changed`` maps property names to unwrapped values; ``invalidated``
        lists names whose new value was not sent.
        """

        def deliver(body: list[Any]) -> object:
            return callback({k: v.value for k, v in body[1].items()}, list(body[2]))

        return Subscription(
            self, PROPERTIES_IFACE, "PropertiesChanged", deliver, self.INTERFACE, "sa{sv}as"
        )

    #: Signals of this interface that are tolerant (org.qdbusgen.Signal.Tolerant); the
    #: generated proxy sets it for annotated signals.
    _TOLERANT_SIGNALS: ClassVar[frozenset[str]] = frozenset()

    def _signal_tolerance(self, interface: str, member: str) -> collections.Counter[str] | None:
        """The counter tolerant deliveries of ``member`` go to, or None (strict)."""
        if interface != self.INTERFACE:
            return None
        opted = self._tolerant_signals
        if (
            member in self._TOLERANT_SIGNALS
            or opted is True
            or (not isinstance(opted, bool) and member in opted)
        ):
            return self.tolerated_signals
        return None

    async def _subscribe_full(
        self,
        interface: str,
        member: str,
        deliver: Callable[[list[Any]], object],
        arg0: str | None,
        on_close: Callable[[], None] | None,
        signature: str | None = None,
    ) -> _Match:
        bus = self._bus
        if not _is_member(member):
            raise InvalidMemberNameError(member)
        registry = _registry_for(bus)
        assert registry is not None
        p2p = _is_p2p(bus)
        # p2p messages carry no sender; service None on a bus means "any sender"
        service = None if p2p else self._service
        handler = _SignalHandler(
            self._path,
            interface,
            member,
            service,
            arg0,
            deliver,
            on_close,
            signature,
            self._signal_tolerance(interface, member),
        )
        rule = None
        owner_name = None
        registry.add_signal(handler)  # before AddMatch: no signal can slip through
        try:
            if not p2p:
                if service is not None and service[0] != ":":
                    await registry.acquire_owner(service)
                    owner_name = service
                rule = _match_rule(
                    type="signal",
                    sender=service,
                    path=self._path,
                    interface=interface,
                    member=member,
                    arg0=arg0,
                )
                await _daemon_call(bus, "AddMatch", "s", [rule])
        except BaseException:
            registry.remove_signal(handler)
            if owner_name is not None:
                owner_rule = registry.release_owner(owner_name)
                if owner_rule and bus.connected:
                    _send(
                        bus,
                        Message(
                            destination=DBUS_NAME,
                            path=DBUS_PATH,
                            interface=DBUS_NAME,
                            member="RemoveMatch",
                            signature="s",
                            body=[owner_rule],
                            flags=_FLAG_NO_REPLY,
                        ),
                    )
            raise
        return _Match(bus, registry, handler, rule, owner_name)


#: A generated ``<Base>Properties`` TypedDict.
_Props = TypeVar("_Props")
#: A generated ``<Base>PropertiesChanged`` TypedDict (or ``<Base>Properties`` itself).
_Changed = TypeVar("_Changed")


class PropertiesProxyBase(ProxyBase, Generic[_Props, _Changed]):
    """Base class of generated proxies for an interface with readable properties that
    signal their changes: :meth:`get_all` and :meth:`watch_properties`, typed by the
    interface's generated TypedDicts (``<Base>Properties`` for GetAll, and what
    PropertiesChanged carries).
    """

    async def get_all(self) -> _Props:
        """Every property at once (Properties.GetAll); unimplemented ones are left out."""
        return cast(_Props, await self._get_all())

    def watch_properties(self, callback: Callable[[_Changed, list[str]], object]) -> Subscription:
        """Call ``callback(changed, invalidated)`` on each PropertiesChanged of this interface:
        ``changed`` maps property names to their new values, ``invalidated`` lists those whose
        value was not sent."""
        return self._watch_properties(callback)


def _close_received(value: Any) -> None:
    """Close fds inside a received Variant that is being discarded."""
    if isinstance(value, Variant) and ("h" in value.signature or "v" in value.signature):
        found: list[int] = []

        def collect(fd: Any) -> Any:
            found.append(fd)
            return fd

        _map_fds(value.type, value.value, collect)
        _close_fds(found)


def _send_call(
    bus: MessageBus, msg: Message, fds: list[int] | None = None
) -> asyncio.Future[Message]:
    """Send a method call; the future gets its reply.

    What ``bus.call`` does without its coroutine, its partials and (when no
    fds are sent) the write future; the runtime's dup'd ``fds`` are closed
    once the message is written, and the fds of a reply that arrives after
    the caller gave up are closed.
    """
    fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
    serial = bus.next_serial()
    msg.serial = serial

    def on_reply(reply: Message | None, err: Exception | None) -> None:
        if fut.done():
            if reply is not None and reply.unix_fds:
                _close_fds(reply.unix_fds)
            return
        if err is not None:
            fut.set_exception(err)
        elif reply is None:
            fut.set_exception(DisconnectedError())
        else:
            fut.set_result(reply)

    set_reply_handler(bus, serial, on_reply)
    try:
        if fds:
            _send(bus, msg, fds)
        else:
            send_nowait(bus, msg)
    except BaseException:
        drop_reply_handler(bus, serial)
        raise
    return fut
