from __future__ import annotations

import asyncio
import collections
import contextvars
import socket
import types
from collections import deque
from collections.abc import Callable, Collection
from typing import Any, ClassVar, Final, cast

from asyncio.tasks import _enter_task, _leave_task
from dbus_fast.aio.message_bus import MessageBus
from dbus_fast.message import Message
from dbus_fast.signature import SignatureTree, Variant, get_signature_tree

from ._version import __version__
from ._base import (
    DBUS_NAME,
    DBUS_PATH,
    ERROR_FAILED,
    ERROR_INVALID_ARGS,
    ERROR_NAME_HAS_NO_OWNER,
    ERROR_NOT_SUPPORTED,
    ERROR_PROPERTY_READ_ONLY,
    ERROR_UNKNOWN_INTERFACE,
    ERROR_UNKNOWN_METHOD,
    ERROR_UNKNOWN_OBJECT,
    ERROR_UNKNOWN_PROPERTY,
    INTROSPECTABLE_IFACE,
    PEER_IFACE,
    PROPERTIES_IFACE,
    _ERROR,
    _FLAG_NONE,
    _LOG,
    _METHOD_CALL,
    _METHOD_RETURN,
    _NO_REPLY_BIT,
    _SIGNAL,
)
from .errors import DBusError, DisconnectedError, _error_from_reply, _exception_to_error
from ._specs import MethodSpec, PropertySpec, _may_carry_fds
from ._fds import (
    _FdIndexError,
    _VARIANT_FDS,
    _close_fds,
    _close_transfers,
    _drop_fds,
    _fds_in,
    _fds_in_variants,
    _fds_out,
    _iter_fd_values,
    _send,
    _sig_has_fd_or_variant,
)
from ._wire import ERROR_LIMITS_EXCEEDED, Limits, _cut, _limits, _quote
from ._adapter import (
    _CONNECT,
    _BusMessageBus,
    _PeerMessageBus,
    _check_fd_count,
    _install_writer,
    _writer_of,
    awaits_reply,
    bus_call,
    exported_paths,
    service_exports,
    fds_negotiated,
    message_handlers,
    send_nowait,
)

# ---------------------------------------------------------------------------
# connections
# ---------------------------------------------------------------------------


async def connect(
    address: str | None = None, *, negotiate_unix_fd: bool = True, limits: Limits | None = None
) -> MessageBus:
    """Connect to a message bus (``Hello`` included) and return the connection.

    ``address`` is a D-Bus address such as ``unix:path=/run/bus.sock``; None
    means the session bus from ``$DBUS_SESSION_BUS_ADDRESS``.  Every message
    received crosses the inbound boundary (see the README's Security
    section); ``limits`` (default :class:`Limits`) bounds queues and fds.
    """
    if limits is None:
        bus = MessageBus(bus_address=address, negotiate_unix_fd=negotiate_unix_fd)
    else:
        bus = _BusMessageBus(address, negotiate_unix_fd, limits)
    await _CONNECT(bus)
    _install_writer(bus)
    return bus


def _adopt_socket(sock: socket.socket | int) -> socket.socket:
    if isinstance(sock, int):
        return socket.socket(fileno=sock)
    return sock


async def connect_p2p(
    sock: socket.socket | int,
    *,
    auth_timeout: float | None = 30.0,
    limits: Limits | None = None,
) -> MessageBus:
    """Open a peer-to-peer D-Bus connection on ``sock``, authenticating as the CLIENT.

    This is the QEMU display case: pass one end of a ``socketpair()`` to
    ``Console.RegisterListener`` and call this on the other end; QEMU (GDBus,
    AUTHENTICATION_SERVER) then calls methods on objects exported on the
    returned connection.  SASL EXTERNAL with our uid, Unix fds negotiated, no
    ``Hello``.  The connection takes ownership of the socket (or raw fd) and
    closes it on disconnect or if the handshake fails.

    When the peer closes the connection, ``bus.wait_for_disconnect()``
    returns normally (no EOFError).

    Export your objects right after ``await connect_p2p(...)`` returns,
    before awaiting anything else: incoming calls are only read once the
    event loop runs again.  QEMU blocks until the handshake completes, so do
    not delay calling this once the fd was handed over.
    """
    bus = _PeerMessageBus(_adopt_socket(sock), auth_timeout, limits)
    await bus._qdbusgen_start(server=False, uids=None)
    return bus


async def accept_p2p(
    sock: socket.socket | int,
    *,
    uids: Collection[int] | None = None,
    auth_timeout: float | None = 30.0,
    limits: Limits | None = None,
) -> MessageBus:
    """Open a peer-to-peer D-Bus connection on ``sock``, authenticating as the SERVER.

    The role QEMU plays on a listener socket: accept SASL EXTERNAL if the
    peer's kernel credentials (``SO_PEERCRED``) match the identity it claims
    and its uid is in ``uids`` (default: only our own uid); agree to Unix fd
    passing; no ``Hello``.  Takes ownership of the socket like
    :func:`connect_p2p`.
    """
    bus = _PeerMessageBus(_adopt_socket(sock), auth_timeout, limits)
    await bus._qdbusgen_start(server=True, uids=uids)
    return bus


async def _daemon_call(bus: MessageBus, member: str, signature: str, body: list[Any]) -> Message:
    """Call a method of the message bus daemon; raise DBusError on an error reply."""
    if not bus.connected:
        raise DisconnectedError()
    msg = Message(
        destination=DBUS_NAME,
        path=DBUS_PATH,
        interface=DBUS_NAME,
        member=member,
        signature=signature,
        body=body,
    )
    try:
        reply = await bus.call(msg)
    except (EOFError, OSError) as e:
        raise DisconnectedError(str(e) or type(e).__name__) from e
    if reply.message_type is _ERROR:
        raise _error_from_reply(reply)
    return reply


def _match_rule(**kw: str | None) -> str:
    return ",".join(f"{k}='{v}'" for k, v in kw.items() if v is not None)


# ---------------------------------------------------------------------------
# the per-bus registry: one message handler dispatching to exported objects
# and signal subscriptions
# ---------------------------------------------------------------------------


class _SignalHandler:
    """One signal subscription inside a registry."""

    __slots__ = (
        "active",
        "arg0",
        "deliver",
        "interface",
        "key",
        "member",
        "on_close",
        "path",
        "sender",
        "signature",
        "tolerant",
    )

    def __init__(
        self,
        path: str,
        interface: str,
        member: str,
        sender: str | None,
        arg0: str | None,
        deliver: Callable[[list[Any]], object],
        on_close: Callable[[], None] | None,
        signature: str | None = None,
        tolerant: collections.Counter[str] | None = None,
    ) -> None:
        self.path = path
        self.interface = interface
        self.member = member
        self.key = (path, interface, member)
        self.sender = sender
        self.arg0 = arg0
        self.deliver = deliver
        self.on_close = on_close
        self.signature = signature
        #: Tolerant signals: the proxy's counter of signals that came with extra args.
        self.tolerant = tolerant
        self.active = True


class _OwnerWatch:
    __slots__ = ("owner", "ready", "refs", "rule")

    def __init__(self, loop: asyncio.AbstractEventLoop, rule: str) -> None:
        self.owner: str | None = None
        self.refs = 1
        self.rule = rule
        self.ready: asyncio.Future[None] = loop.create_future()
        self.ready.add_done_callback(_consume_exception)


def _consume_exception(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


@types.coroutine
def _drive(coro: Any, yielded: Any) -> Any:
    """Go on driving ``coro``, suspended at ``yielded``, for the task that now runs it."""
    while True:
        try:
            value = yield yielded
        except BaseException as e:  # cancellation, close(): passed on to the handler
            try:
                yielded = coro.throw(e)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(value)
            except StopIteration as stop:
                return stop.value


async def _resume(coro: Any, yielded: Any) -> Any:
    """A handler coroutine that suspended before it had a task, as a coroutine for one."""
    return await _drive(coro, yielded)


class _FirstStep:
    """``asyncio.current_task()`` while a handler's first step runs without a task.

    ``asyncio.timeout()``, ``TaskGroup`` and the like ask the current task to
    cancel / uncancel / count cancellations; what is asked before the handler
    suspends is kept and handed to the task made when it does, and from then
    on passed on to that task.  (After that first suspension the handler's
    current task is the real one.)
    """

    __slots__ = ("cancels", "loop", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.task: asyncio.Task[Any] | None = None
        self.cancels: list[Any] = []

    def bind(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        for msg in self.cancels:
            task.cancel(msg)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self.loop

    def cancel(self, msg: Any = None) -> bool:
        if self.task is not None:
            return self.task.cancel(msg)
        self.cancels.append(msg)
        return True

    def cancelling(self) -> int:
        if self.task is not None:
            return self.task.cancelling()
        return len(self.cancels)

    def uncancel(self) -> int:
        if self.task is not None:
            return self.task.uncancel()
        if self.cancels:
            self.cancels.pop()
        return len(self.cancels)

    def done(self) -> bool:
        return self.task is not None and self.task.done()

    def __getattr__(self, name: str) -> Any:
        task = object.__getattribute__(self, "task")
        if task is None:
            raise AttributeError(f"the handler's task does not exist yet (no {name})")
        return getattr(task, name)


_STANDARD_XML: Final = {
    INTROSPECTABLE_IFACE: """  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
""",
    PEER_IFACE: """  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
""",
    PROPERTIES_IFACE: """  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <method name="GetAll">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="properties" type="a{sv}" direction="out"/>
    </method>
    <method name="Set">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg name="interface_name" type="s"/>
      <arg name="changed_properties" type="a{sv}"/>
      <arg name="invalidated_properties" type="as"/>
    </signal>
  </interface>
""",
}
_INTROSPECT_DOCTYPE: Final = (
    '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
    ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
)
_STANDARD_METHODS: Final = {
    PROPERTIES_IFACE: {"Get": "ss", "Set": "ssv", "GetAll": "s"},
    INTROSPECTABLE_IFACE: {"Introspect": ""},
    PEER_IFACE: {"Ping": "", "GetMachineId": ""},
}
# Interfaces dbus-fast itself answers on every path (MessageBus._find_message_handler).
_FAST_DEFAULT_IFACES: Final = frozenset(
    {INTROSPECTABLE_IFACE, PEER_IFACE, PROPERTIES_IFACE, "org.freedesktop.DBus.ObjectManager"}
)
_CoroutineType: Final = types.CoroutineType
_SIG_V: Final = get_signature_tree("v")
_SIG_S: Final = get_signature_tree("s")
_SIG_ASV: Final = get_signature_tree("a{sv}")
_SIG_PROPS_CHANGED: Final = get_signature_tree("sa{sv}as")

_machine_id: str | None = None


def _get_machine_id() -> str:
    global _machine_id
    if _machine_id is None:
        for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                with open(path, encoding="ascii") as f:
                    value = f.read().strip()
            except OSError:
                continue
            if len(value) == 32:
                _machine_id = value
                break
        else:
            raise DBusError(ERROR_FAILED, "no machine id available")
    return _machine_id


class _BusRegistry:
    """Everything qdbusgen stubs have registered on one bus connection.

    A single instance per bus is installed with ``bus.add_message_handler``
    and found again among the bus's handlers, so that every generated package
    in the process shares it (a path may carry interfaces from several
    packages, and ``Introspect`` must list them all).  The marker
    ``_qdbusgen_registry`` names this runtime, so that another copy (a
    vendored one) recognizes the connection as taken.
    """

    _qdbusgen_registry: ClassVar[str] = f"{__package__} {__version__} at {__file__}"

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        self.loop = asyncio.get_running_loop()
        self.objects: dict[str, dict[str, Any]] = {}
        self.signals: dict[tuple[str, str, str], list[_SignalHandler]] = {}
        self.owners: dict[str, _OwnerWatch] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.inflight: dict[str, int] = {}  # running handlers per calling peer
        self.backlog: dict[str, deque[tuple[Any, str, Message]]] = {}  # calls waiting
        self.refused = 0
        limits = _limits(bus)  # set before the connection is made: read once
        self.max_inflight = limits.max_inflight_per_peer
        self.max_queued = limits.max_queued_per_peer
        self.writer = _writer_of(bus)  # installed by connect, before any registry
        bus.add_message_handler(self)
        disconnect_future = getattr(bus, "_disconnect_future", None)
        if isinstance(disconnect_future, asyncio.Future):
            disconnect_future.add_done_callback(self._on_disconnect)

    # -- bookkeeping ---------------------------------------------------

    def _on_disconnect(self, fut: asyncio.Future[Any]) -> None:
        _consume_exception(fut)
        handlers = [h for lst in self.signals.values() for h in lst]
        self.signals.clear()
        for h in handlers:
            h.active = False
            if h.on_close is not None:
                try:
                    h.on_close()
                except Exception:  # pragma: no cover
                    _LOG.exception("signal close callback failed")
        for w in self.owners.values():
            if not w.ready.done():
                w.ready.set_exception(DisconnectedError())
        self.owners.clear()
        self.objects.clear()
        for backlog in self.backlog.values():
            for coro, _what, msg in backlog:
                coro.close()  # never started: its fds were handed to nobody
                _drop_fds(msg)
        self.backlog.clear()

    def add_object(self, path: str, obj: Any) -> None:
        interfaces = self.objects.setdefault(path, {})
        if obj.INTERFACE in interfaces:
            raise ValueError(f"interface {obj.INTERFACE} is already exported at {path}")
        interfaces[obj.INTERFACE] = obj

    def remove_object(self, path: str, obj: Any) -> None:
        interfaces = self.objects.get(path)
        name = obj.INTERFACE
        if interfaces is not None and interfaces.get(name) is obj:
            del interfaces[name]
            if not interfaces:
                del self.objects[path]

    def add_signal(self, handler: _SignalHandler) -> None:
        self.signals.setdefault(handler.key, []).append(handler)

    def remove_signal(self, handler: _SignalHandler) -> None:
        handler.active = False
        lst = self.signals.get(handler.key)
        if lst is not None:
            try:
                lst.remove(handler)
            except ValueError:
                pass
            if not lst:
                del self.signals[handler.key]

    async def acquire_owner(self, name: str) -> None:
        """Track the unique name owning ``name`` (NameOwnerChanged + GetNameOwner)."""
        w = self.owners.get(name)
        if w is not None:
            w.refs += 1
            try:
                await asyncio.shield(w.ready)
            except BaseException:
                self.release_owner(name)
                raise
            return
        rule = _match_rule(
            type="signal",
            sender=DBUS_NAME,
            path=DBUS_PATH,
            interface=DBUS_NAME,
            member="NameOwnerChanged",
            arg0=name,
        )
        w = _OwnerWatch(self.loop, rule)
        self.owners[name] = w
        try:
            await _daemon_call(self.bus, "AddMatch", "s", [rule])
            got: asyncio.Future[None] = self.loop.create_future()

            # A callback (not an awaited future) so that the reply is applied
            # in message order relative to NameOwnerChanged signals.
            def on_reply(reply: Message | None, err: Exception | None) -> None:
                if got.done():
                    return
                if err is not None or reply is None:
                    got.set_exception(DisconnectedError(str(err)))
                    return
                if reply.message_type is _ERROR:
                    if reply.error_name != ERROR_NAME_HAS_NO_OWNER:
                        got.set_exception(_error_from_reply(reply))
                        return
                    w.owner = None
                else:
                    w.owner = reply.body[0]
                got.set_result(None)

            bus_call(
                self.bus,
                Message(
                    destination=DBUS_NAME,
                    path=DBUS_PATH,
                    interface=DBUS_NAME,
                    member="GetNameOwner",
                    signature="s",
                    body=[name],
                ),
                on_reply,
            )
            await got
        except BaseException as e:
            if not w.ready.done():
                w.ready.set_exception(
                    e if isinstance(e, Exception) else DisconnectedError("cancelled")
                )
            self.release_owner(name)
            raise
        if not w.ready.done():
            w.ready.set_result(None)

    def release_owner(self, name: str) -> str | None:
        """Drop one reference; returns the match rule to remove when it was the last."""
        w = self.owners.get(name)
        if w is None:
            return None
        w.refs -= 1
        if w.refs > 0:
            return None
        del self.owners[name]
        return w.rule

    def admit(self, msg: Message) -> bool:
        """Whether a call of ``msg``'s sender may be taken now (see Limits)."""
        if self.backlog:
            backlog = self.backlog.get(msg.sender or "")
            if backlog is not None and len(backlog) >= self.max_queued:
                return False
        writer = self.writer
        return writer is None or not writer.peer_blocked(msg.sender)

    def refuse(self, msg: Message) -> bool:
        """Answer a call that admit() refused (a no-reply call is dropped), counting it."""
        self.refused += 1
        if self.refused == 1 or self.refused % 1000 == 0:
            _LOG.warning(
                "refused %d call(s) over the per-peer limits; the last from %s",
                self.refused,
                msg.sender or "the peer",
            )
        return self._reject(msg, ERROR_LIMITS_EXCEEDED, "too many calls in progress from this peer")

    def spawn(
        self, coro: Any, what: str = "a D-Bus handler", *, call: Message | None = None
    ) -> None:
        """Run a handler: at once, up to its first suspension; a task only if it suspends.

        With ``call`` it counts for the calling peer: at most
        ``max_inflight_per_peer`` run at once, later ones wait (in order) in
        the peer's backlog, which admit() bounds.
        """
        if call is not None:
            key = call.sender or ""
            inflight = self.inflight
            running = inflight.get(key, 0)
            if running >= self.max_inflight:
                self.backlog.setdefault(key, deque()).append((coro, what, call))
                return
            inflight[key] = running + 1
        else:
            key = None
        self._run(coro, what, key)

    def _run(self, coro: Any, what: str, key: str | None) -> None:
        # The handler runs in a context of its own, as it would in a task, with
        # a stand-in as its current task; it costs a task only once it awaits
        # something that is not ready.
        ctx = contextvars.copy_context()
        loop = self.loop
        stand_in = _FirstStep(loop)
        try:
            _enter_task(loop, cast(Any, stand_in))
        except RuntimeError:  # called from inside a task, not from the reader
            self._start(coro, what, key, ctx)
            return
        try:
            yielded = ctx.run(coro.send, None)
        except StopIteration:
            self._release(key)
            return
        except asyncio.CancelledError:
            self._release(key)
            return
        except Exception as e:
            self._release(key)
            _LOG.error("%s raised an exception", what, exc_info=e)
            return
        except BaseException:
            self._release(key)
            raise
        finally:
            _leave_task(loop, cast(Any, stand_in))
        stand_in.bind(self._start(_resume(coro, yielded), what, key, ctx))

    def _release(self, key: str | None) -> None:
        """A handler of peer ``key`` ended: its slot passes to the next waiting call, if any."""
        if key is None:
            return
        backlog = self.backlog.get(key)
        if backlog:
            nxt, nwhat, _call = backlog.popleft()
            if not backlog:
                del self.backlog[key]
            self._start(nxt, nwhat, key)  # the slot passes on (a task: no recursion)
        else:
            left = self.inflight.get(key, 1) - 1
            if left > 0:
                self.inflight[key] = left
            else:
                self.inflight.pop(key, None)

    def _start(
        self, coro: Any, what: str, key: str | None, ctx: contextvars.Context | None = None
    ) -> asyncio.Task[None]:
        task: asyncio.Task[None] = self.loop.create_task(coro, context=ctx)
        self.tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self.tasks.discard(t)
            self._release(key)
            if not t.cancelled():
                exc = t.exception()
                if exc is not None:
                    _LOG.error("%s raised an exception", what, exc_info=exc)

        task.add_done_callback(done)
        return task

    # -- message dispatch ----------------------------------------------

    def __call__(self, msg: Message) -> bool | None:
        mtype = msg.message_type
        if mtype is _METHOD_CALL:
            return self._on_call(msg)
        if mtype is _SIGNAL:
            if not self._on_signal(msg) and msg.unix_fds and self._is_last_handler():
                # Nobody subscribed (or a wrong signature): dbus-fast drops
                # the signal but would leave its fds open.
                _drop_fds(msg)
        elif (
            msg.unix_fds
            and not awaits_reply(self.bus, msg.reply_serial)
            and self._is_last_handler()
        ):
            # A reply (or error) to no pending call: late, or unsolicited.
            _drop_fds(msg)
        return None

    def _is_last_handler(self) -> bool:
        """True if no other message handler comes after us (so nobody else can want the message)."""
        handlers = message_handlers(self.bus)
        return bool(handlers) and handlers[-1] is self

    def _on_signal(self, msg: Message) -> bool:
        """Deliver a signal; returns whether its fds were taken care of."""
        if (
            self.owners
            and msg.member == "NameOwnerChanged"
            and msg.sender == DBUS_NAME
            and msg.path == DBUS_PATH
        ):
            body = msg.body
            w = self.owners.get(body[0])
            if w is not None:
                w.owner = body[2] or None
        lst = self.signals.get((msg.path, msg.interface, msg.member))  # type: ignore[arg-type]
        if not lst:
            return False
        matched: list[_SignalHandler] = []
        trims: dict[int, int] = {}  # index in matched -> number of args to deliver
        sender = msg.sender
        for h in lst:
            want = h.sender
            if want is not None:
                if want[0] != ":":
                    w = self.owners.get(want)
                    want = w.owner if w is not None else None
                if sender != want:
                    continue
            if h.arg0 is not None:
                body = msg.body
                if not body or body[0] != h.arg0:
                    continue
            if h.signature is not None and h.signature != msg.signature:
                keep = _tolerated_prefix(h, msg)  # see "Tolerant signals"
                if keep is None:
                    continue
                trims[len(matched)] = keep
            matched.append(h)
        if not matched:
            return False
        unix_fds = msg.unix_fds
        if unix_fds:
            bodies: list[list[Any]] = []
            try:
                # Translate for everybody before delivering to anybody: a
                # callback may close its fds right away.
                for i in range(len(matched)):
                    bodies.append(_fds_in(msg.signature_tree, msg.body, unix_fds, dup_all=i > 0))
            except (_FdIndexError, OSError) as e:
                _LOG.warning("dropping signal %s.%s with bad fds: %s", msg.interface, msg.member, e)
                for body in bodies:
                    _close_fds(set(_iter_fd_values(msg.signature_tree, body)))
                return True
        else:
            bodies = [msg.body] * len(matched)
        for i, (h, body) in enumerate(zip(matched, bodies)):
            if i in trims:
                body = _trim_body(msg, body, trims[i], bool(unix_fds))
            if not h.active:  # cancelled by an earlier callback of this signal
                if unix_fds:
                    _close_fds(set(_iter_fd_values(msg.signature_tree, body)))
                continue
            try:
                result = h.deliver(body)
                if asyncio.iscoroutine(result):
                    self.spawn(result, f"signal callback for {msg.interface}.{msg.member}")
            except Exception:
                _LOG.exception("signal callback for %s.%s raised", msg.interface, msg.member)
        return True

    def _reply_error(self, msg: Message, name: str, text: str) -> bool:
        """Send an error reply (unless the caller asked for none).

        Never touches the message's fds: once they were handed to user code
        they belong to it.  Use _reject() before that point.
        """
        if not (msg.flags.value & _NO_REPLY_BIT) and self.bus.connected:
            _send(self.bus, Message.new_error(msg, name, text))
        return True

    def _reject(self, msg: Message, name: str, text: str) -> bool:
        """Refuse a call whose fds were not handed to anybody: close them, reply an error."""
        if msg.unix_fds:
            _drop_fds(msg)
        return self._reply_error(msg, name, text)

    def _reply(self, msg: Message, signature: SignatureTree, body: list[Any]) -> None:
        if msg.flags.value & _NO_REPLY_BIT or not self.bus.connected:
            return
        send_nowait(
            self.bus,
            Message(
                message_type=_METHOD_RETURN,
                reply_serial=msg.serial,
                destination=msg.sender,
                signature=signature,
                body=body,
                validate=False,
            ),
        )

    def _on_call(self, msg: Message) -> bool | None:
        path = cast(str, msg.path)
        interface = msg.interface
        member = cast(str, msg.member)
        objs = self.objects.get(path)
        if objs is None:
            # Not one of our paths: answer Introspect for parents of our
            # objects (tree walks) and Peer (path independent); leave the
            # rest to dbus-fast.
            if interface is None or interface == INTROSPECTABLE_IFACE:
                if member == "Introspect" and msg.signature == "" and self._children(path):
                    return self._introspect(msg, None)
            if interface is None or interface == PEER_IFACE:
                if member in ("Ping", "GetMachineId") and msg.signature == "":
                    return self._peer(msg)
            if service_exports(self.bus, path) is not None or not self._is_last_handler():
                return None  # a dbus-fast ServiceInterface, or another handler after us
            if interface in _FAST_DEFAULT_IFACES:
                # dbus-fast answers these on any path; none of them takes fds
                if msg.unix_fds:
                    _drop_fds(msg)
                return None
            return self._reject(msg, ERROR_UNKNOWN_OBJECT, f"no object at path {_cut(path)}")
        if interface is not None:
            obj = objs.get(interface)
            if obj is not None:
                spec = obj._METHODS.get(member)
                if spec is None:
                    return self._reject(
                        msg, ERROR_UNKNOWN_METHOD, f"{interface} has no method {member!r}"
                    )
                return self._invoke(msg, obj, spec)
            if interface == PROPERTIES_IFACE:
                return self._properties(msg, objs)
            if interface == INTROSPECTABLE_IFACE:
                if member == "Introspect":
                    if msg.signature != "":
                        return self._reject(
                            msg, ERROR_INVALID_ARGS, "Introspect takes no arguments"
                        )
                    return self._introspect(msg, objs)
                return self._reject(
                    msg, ERROR_UNKNOWN_METHOD, f"{interface} has no method {member!r}"
                )
            if interface == PEER_IFACE:
                if member in ("Ping", "GetMachineId"):
                    if msg.signature != "":
                        return self._reject(msg, ERROR_INVALID_ARGS, f"{member} takes no arguments")
                    return self._peer(msg)
                return self._reject(
                    msg, ERROR_UNKNOWN_METHOD, f"{interface} has no method {member!r}"
                )
            fast_exports = service_exports(self.bus, path)
            if fast_exports and interface in fast_exports:
                return None  # a dbus-fast ServiceInterface on the same path
            return self._reject(
                msg, ERROR_UNKNOWN_INTERFACE, f"no interface {_quote(interface)} at {_cut(path)}"
            )
        # No interface given: the first of our interfaces with that member.
        for obj in objs.values():
            spec = obj._METHODS.get(member)
            if spec is not None and spec.in_sig == msg.signature:
                return self._invoke(msg, obj, spec)
        for std, methods in _STANDARD_METHODS.items():
            if methods.get(member) == msg.signature:
                if std == PROPERTIES_IFACE:
                    return self._properties(msg, objs)
                if std == INTROSPECTABLE_IFACE:
                    return self._introspect(msg, objs)
                return self._peer(msg)
        if service_exports(self.bus, path):
            return None
        return self._reject(
            msg,
            ERROR_UNKNOWN_METHOD,
            f"no method {_quote(member)} with signature {_quote(msg.signature)} at {_cut(path)}",
        )

    # -- methods -------------------------------------------------------

    def _invoke(self, msg: Message, obj: Any, spec: MethodSpec) -> bool:
        if msg.signature != spec.in_sig:
            return self._reject(
                msg,
                ERROR_INVALID_ARGS,
                f"{spec.name} expects signature {spec.in_sig!r}, got {_quote(msg.signature)}",
            )
        if not self.admit(msg):
            return self.refuse(msg)
        args = msg.body
        variant_fds: list[int] = []
        if msg.unix_fds:
            try:
                args = _fds_in(spec.in_tree, args, msg.unix_fds)
            except (_FdIndexError, OSError) as e:
                return self._reply_error(msg, ERROR_INVALID_ARGS, str(e))
            if "v" in spec.in_sig:
                for st, v in zip(spec.in_tree.types, args):
                    _fds_in_variants(st, v, False, variant_fds)
        if variant_fds:
            self.spawn(self._run_method(msg, obj, spec, args, variant_fds), call=msg)
        else:
            self.spawn(self._run_handler(msg, obj, spec, args), call=msg)
        return True

    async def _run_method(
        self, msg: Message, obj: Any, spec: MethodSpec, args: list[Any], variant_fds: list[int]
    ) -> None:
        if not variant_fds:
            return await self._run_handler(msg, obj, spec, args)
        pending = set(variant_fds)
        _VARIANT_FDS.set(pending)  # this task's own context
        try:
            await self._run_handler(msg, obj, spec, args)
        finally:
            # after the reply was built (it dups what it sends): fds received
            # inside variants that the handler did not keep
            _VARIANT_FDS.set(None)
            _close_fds(pending)

    async def _run_handler(self, msg: Message, obj: Any, spec: MethodSpec, args: list[Any]) -> None:
        try:
            result = getattr(obj, spec.py_name)(*args)
            if (
                type(result) is _CoroutineType
                or asyncio.iscoroutine(result)
                or isinstance(result, asyncio.Future)
            ):
                result = await result
        except Exception as e:
            name, text = _exception_to_error(e, f"{obj.INTERFACE}.{spec.name}")
            self._reply_error(msg, name, text)
            return
        out_sig = spec.out_sig
        if out_sig == "":
            body: list[Any] = []
        elif spec.multiple_out:
            try:
                body = list(result)
            except TypeError:
                body = []  # not a tuple: refused below
            if len(body) != len(spec.out_tree.types):
                what = f"{obj.INTERFACE}.{spec.name}"
                _LOG.error(
                    "%s returned %r, not a tuple of %d values for %r",
                    what,
                    result,
                    len(spec.out_tree.types),
                    out_sig,
                )
                if spec.out_fds:
                    _close_transfers(spec.out_tree, body)
                self._reply_error(msg, ERROR_FAILED, f"{what} returned an invalid value")
                return
        else:
            body = [result]
        self._send_return(msg, spec.out_tree, spec.out_fds, body, None, obj, spec.name)

    def _send_return(
        self,
        msg: Message,
        tree: SignatureTree,
        may_fds: bool,
        body: list[Any],
        what: str | None,
        obj: Any = None,
        name: str = "",
        suffix: str = "",
    ) -> None:
        """Reply ``body``; ``what`` names the handler in errors (None: ``obj.INTERFACE.name``
        and ``suffix``, made only for an error)."""
        flags = msg.flags
        if (flags is not _FLAG_NONE and flags.value & _NO_REPLY_BIT) or not self.bus.connected:
            if may_fds:
                _close_transfers(tree, body)
            return
        fds: list[int] = []
        try:
            if not may_fds:
                send_nowait(
                    self.bus,
                    Message(
                        message_type=_METHOD_RETURN,
                        reply_serial=msg.serial,
                        destination=msg.sender,
                        signature=tree,
                        body=body,
                        validate=False,
                    ),
                )
                return
            if may_fds:
                body, fds = _fds_out(tree, body)
            try:
                if fds and not fds_negotiated(self.bus):
                    raise DBusError(
                        ERROR_NOT_SUPPORTED, "this connection cannot pass file descriptors"
                    )
                _check_fd_count(self.bus, fds)
                reply = Message(
                    message_type=_METHOD_RETURN,
                    reply_serial=msg.serial,
                    destination=msg.sender,
                    signature=tree,
                    body=body,
                    unix_fds=fds,
                    validate=False,
                )
            except BaseException:
                _close_fds(fds)
                raise
            _send(self.bus, reply, fds)
        except Exception as e:
            if what is None:
                what = f"{obj.INTERFACE}.{name}{suffix}"
            if getattr(e, "_qdbusgen_error", False):
                name, text = _exception_to_error(e, what)
            else:
                _LOG.error(
                    "%s returned a value that does not match %r", what, tree.signature, exc_info=e
                )
                name, text = ERROR_FAILED, f"{what} returned an invalid value"
            self._reply_error(msg, name, text)

    # -- org.freedesktop.DBus.Properties -------------------------------

    def _properties(self, msg: Message, objs: dict[str, Any]) -> bool | None:
        member = msg.member
        expected = _STANDARD_METHODS[PROPERTIES_IFACE].get(member)  # type: ignore[arg-type]
        if expected is None:
            return self._reject(
                msg, ERROR_UNKNOWN_METHOD, f"{PROPERTIES_IFACE} has no method {member!r}"
            )
        if msg.signature != expected:
            return self._reject(msg, ERROR_INVALID_ARGS, f"{member} expects signature {expected!r}")
        body = msg.body
        if msg.unix_fds and member != "Set":
            _drop_fds(msg)  # Get / GetAll take no fds
        iface_name: str = body[0]
        if iface_name == "":
            targets = list(objs.values())
        elif iface_name in objs:
            targets = [objs[iface_name]]
        elif iface_name in _STANDARD_XML:
            if member == "GetAll":
                self._reply(msg, _SIG_ASV, [{}])
                return True
            return self._reject(
                msg, ERROR_UNKNOWN_PROPERTY, f"{_cut(iface_name)} has no property {_quote(body[1])}"
            )
        else:
            fast_exports = service_exports(self.bus, cast(str, msg.path))
            if fast_exports and iface_name in fast_exports:
                return None
            return self._reject(
                msg,
                ERROR_UNKNOWN_INTERFACE,
                f"no interface {_quote(iface_name)} at {_cut(msg.path)}",
            )
        if not self.admit(msg):
            return self.refuse(msg)
        if member == "GetAll":
            self.spawn(self._get_all(msg, targets), call=msg)
            return True
        prop_name: str = body[1]
        for obj in targets:
            spec = obj._PROPERTIES.get(prop_name)
            if spec is not None:
                break
        else:
            return self._reject(
                msg,
                ERROR_UNKNOWN_PROPERTY,
                f"{_cut(iface_name) or 'this object'} has no property {_quote(prop_name)}",
            )
        if member == "Get":
            if not spec.readable or spec.getter is None:
                return self._reject(
                    msg, ERROR_INVALID_ARGS, f"property {prop_name!r} is not readable"
                )
            self.spawn(self._get(msg, obj, spec), call=msg)
            return True
        # Set
        if not spec.writable:
            return self._reject(
                msg, ERROR_PROPERTY_READ_ONLY, f"property {prop_name!r} is read-only"
            )
        variant = body[2]
        if variant.signature != spec.signature:
            return self._reject(
                msg,
                ERROR_INVALID_ARGS,
                f"property {prop_name!r} has type {spec.signature!r}, got {_quote(variant.signature)}",
            )
        if spec.setter is None:
            return self._reject(msg, ERROR_NOT_SUPPORTED, f"property {prop_name!r} has no setter")
        value = variant.value
        if msg.unix_fds:
            try:
                value = _fds_in(spec.tree, [value], msg.unix_fds)[0]
            except (_FdIndexError, OSError) as e:  # _fds_in closed the fds
                return self._reply_error(msg, ERROR_INVALID_ARGS, str(e))
        self.spawn(self._set(msg, obj, spec, value), call=msg)
        return True

    async def _get(self, msg: Message, obj: Any, spec: PropertySpec) -> None:
        try:
            value = await getattr(obj, cast(str, spec.getter))()
        except Exception as e:
            what = f"{obj.INTERFACE}.{spec.name} getter"
            self._reply_error(msg, *_exception_to_error(e, what))
            return
        self._send_return(
            msg,
            _SIG_V,
            _may_carry_fds(spec.signature),
            [Variant(spec.tree, value, False)],
            None,
            obj,
            spec.name,
            " getter",
        )

    async def _set(self, msg: Message, obj: Any, spec: PropertySpec, value: Any) -> None:
        what = f"{obj.INTERFACE}.{spec.name} setter"
        try:
            await getattr(obj, cast(str, spec.setter))(value)
        except Exception as e:
            self._reply_error(msg, *_exception_to_error(e, what))
            return
        self._reply(msg, get_signature_tree(""), [])
        await obj._qdbusgen_after_set(spec)  # PropertiesChanged, as EmitsChangedSignal says

    async def _get_all(self, msg: Message, targets: list[Any]) -> None:
        values: dict[str, Variant] = {}
        may_fds = False
        for obj in targets:
            for spec in obj._PROPERTIES.values():
                if not spec.readable or spec.getter is None:
                    continue
                what = f"{obj.INTERFACE}.{spec.name} getter"
                try:
                    value = await getattr(obj, spec.getter)()
                except Exception as e:
                    name, text = _exception_to_error(e, what)
                    if name == ERROR_NOT_SUPPORTED:
                        continue  # unimplemented getter: leave it out of GetAll
                    self._reply_error(msg, name, text)
                    return
                values[spec.name] = Variant(spec.tree, value, False)
                may_fds = may_fds or _may_carry_fds(spec.signature)
        self._send_return(msg, _SIG_ASV, may_fds, [values], "GetAll")

    # -- Introspectable / Peer -----------------------------------------

    def _children(self, path: str) -> list[str]:
        prefix = "/" if path == "/" else path + "/"
        names: set[str] = set()
        for p in (*self.objects, *exported_paths(self.bus)):
            if p != path and p.startswith(prefix):
                names.add(p[len(prefix) :].split("/", 1)[0])
        names.discard("")
        return sorted(names)

    def introspection_xml(self, path: str) -> str:
        objs = self.objects.get(path)
        parts = [
            _INTROSPECT_DOCTYPE,
            "<node>\n",
            _STANDARD_XML[INTROSPECTABLE_IFACE],
            _STANDARD_XML[PEER_IFACE],
        ]
        fast_exports = service_exports(self.bus, path)
        if objs or fast_exports:
            parts.append(_STANDARD_XML[PROPERTIES_IFACE])
        if objs:
            for obj in objs.values():
                fragment = obj._INTROSPECTION_XML.strip("\n")
                parts.append(fragment if fragment.startswith("  ") else "  " + fragment)
                parts.append("\n")
        if fast_exports:
            try:
                import xml.etree.ElementTree as ET

                for iface in fast_exports.values():
                    parts.append(
                        "  " + ET.tostring(iface.introspect().to_xml(), encoding="unicode") + "\n"
                    )
            except Exception:  # pragma: no cover
                _LOG.exception("could not introspect dbus-fast interfaces at %s", path)
        for child in self._children(path):
            parts.append(f'  <node name="{child}"/>\n')
        parts.append("</node>\n")
        return "".join(parts)

    def _introspect(self, msg: Message, objs: dict[str, Any] | None) -> bool:
        if msg.unix_fds:
            _drop_fds(msg)
        self._reply(msg, _SIG_S, [self.introspection_xml(msg.path or "/")])
        return True

    def _peer(self, msg: Message) -> bool:
        if msg.unix_fds:
            _drop_fds(msg)
        if msg.member == "Ping":
            self._reply(msg, get_signature_tree(""), [])
            return True
        try:
            machine_id = _get_machine_id()
        except DBusError as e:
            return self._reply_error(msg, e.name, e.text)
        self._reply(msg, _SIG_S, [machine_id])
        return True


def _registry_for(bus: MessageBus, create: bool = True) -> _BusRegistry | None:
    for handler in message_handlers(bus):
        if isinstance(handler, _BusRegistry):
            return handler
        foreign = getattr(handler, "_qdbusgen_registry", None)
        if foreign is not None:
            raise RuntimeError(
                f"this connection is already served by another copy of qdbusgen's runtime "
                f"({foreign}); a package generated with --vendor-runtime cannot share a "
                f"connection with packages that import another runtime: give each its own "
                f"connection, or generate them all against the installed qdbusgen-runtime"
            )
    if not create:
        return None
    if not bus.connected:
        raise DisconnectedError()
    return _BusRegistry(bus)


# ---------------------------------------------------------------------------
# Tolerant signals
#
# A proxy drops a signal whose body signature is not the declared one (strict).
# A tolerant subscription (ProxyBase(..., tolerant_signals=True or {"Member"}),
# or a signal annotated org.qdbusgen.Signal.Tolerant=true) also takes a body that
# *extends* the declared signature by whole complete types: it delivers the
# declared args, drops the rest (closing any fds in them) and counts the signal in
# proxy.tolerated_signals[member].
# ---------------------------------------------------------------------------

ANN_TOLERANT: Final = "org.qdbusgen.Signal.Tolerant"


def _extends(declared: str, received: str) -> int | None:
    """How many complete types ``declared`` has, if ``received`` starts with them."""
    if not received.startswith(declared):
        return None
    try:
        head = SignatureTree(declared).types
        SignatureTree(received[len(declared) :])  # the rest must be whole types too
    except Exception:
        return None
    return len(head)


def _tolerated_prefix(h: _SignalHandler, msg: Message) -> int | None:
    """For a signal whose signature is not ``h.signature``: the number of args to deliver
    when the subscription tolerates it, else None (after logging how to opt in)."""
    assert h.signature is not None
    keep = _extends(h.signature, msg.signature)
    if keep is not None and h.tolerant is not None:
        h.tolerant[h.member] += 1
        count = h.tolerant[h.member]
        if count == 1 or count % 1000 == 0:
            _LOG.info(
                "signal %s.%s from %s: signature %r extends the declared %r; delivering the "
                "declared args (%d such signal(s) so far)",
                msg.interface,
                msg.member,
                msg.sender,
                msg.signature,
                h.signature,
                count,
            )
        return keep
    if keep is not None:
        hint = (
            "; it extends the declared signature: to accept it, make the proxy with "
            f"tolerant_signals={{{h.member!r}}} (or True), or annotate the signal with "
            f"{ANN_TOLERANT}=true (qdbusgen generate --annotate "
            f"'{h.interface}::{h.member}' {ANN_TOLERANT} true)"
        )
    else:
        hint = (
            "; if the service really sends this, correct the XML (qdbusgen generate "
            f"--annotate '{h.interface}::{h.member}' org.qdbusgen.Signature {msg.signature!r})"
        )
    _LOG.warning(
        "ignoring signal %s.%s from %s: signature %r, expected %r%s",
        msg.interface,
        msg.member,
        msg.sender,
        msg.signature,
        h.signature,
        hint,
    )
    return None


def _trim_body(msg: Message, body: list[Any], keep: int, has_fds: bool) -> list[Any]:
    """The first ``keep`` args of ``body``; fds in the dropped ones are closed."""
    if has_fds:
        tail = msg.signature_tree.types[keep:]
        for t, value in zip(tail, body[keep:]):
            if _sig_has_fd_or_variant(t):
                _close_fds(set(_iter_fd_values(SignatureTree(t.signature), [value])))
    return list(body[:keep])
