"""Live introspection: ask a running service for its introspection XML, object by object.

``qdbusgen introspect`` is a thin layer over :func:`introspect_service` and
:func:`interface_files`::

    objects = introspect_service(Target(address="unix:path=/run/bus.sock"), "org.example.Svc")
    files = interface_files(objects)          # {"org.example.Svc1.xml": "<node>...</node>\\n"}

The walk starts at one object path (default ``/``) and follows the child ``<node>``
elements the service returns (recursive by default). Each interface is kept as the
service returned it (attributes, annotations and member order as sent; documentation
elements too), wrapped in a ``<node>`` of its own with a comment naming where it came
from. The standard ``org.freedesktop.DBus.*`` interfaces every object carries are left
out unless asked for; the bus driver's own ``org.freedesktop.DBus`` is an ordinary
interface and is kept.

Every failure is one :class:`IntrospectError` with a message for a person: the name has
no owner, access denied, the object does not implement Introspectable, no reply in
time, the reply is not XML. Nothing is returned half: one failing object fails the run.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from .diagnostics import InputError
from .model import IFACE_BUS, IFACE_INTROSPECTABLE, is_standard_interface
from .parser import parse_bytes

INTROSPECTABLE = IFACE_INTROSPECTABLE
#: More objects than any real service exports under one root; a guard against endless trees.
MAX_OBJECTS = 10_000

_ERROR_TEXT = {
    "org.freedesktop.DBus.Error.ServiceUnknown": "no such name on the bus: {dest} has no owner "
    "and cannot be activated",
    "org.freedesktop.DBus.Error.NameHasNoOwner": "no such name on the bus: {dest} has no owner",
    "org.freedesktop.DBus.Error.AccessDenied": "access denied: the bus or {dest} refuses to let "
    "this connection introspect {path}",
    "org.freedesktop.DBus.Error.UnknownMethod": "{dest} at {path} is not introspectable "
    "(it does not implement org.freedesktop.DBus.Introspectable.Introspect)",
    "org.freedesktop.DBus.Error.UnknownInterface": "{dest} at {path} is not introspectable "
    "(it does not implement org.freedesktop.DBus.Introspectable)",
    "org.freedesktop.DBus.Error.UnknownObject": "{dest} has no object at {path}",
    "org.freedesktop.DBus.Error.NoReply": "{dest} did not answer Introspect on {path}",
}


class IntrospectError(Exception):
    """Introspection failed; the message says why, for a person."""


@dataclass(frozen=True)
class Target:
    """Where to connect: a bus ``address``, the session or system bus, or a peer-to-peer
    socket (``p2p``: ``address`` is then a ``unix:path=...`` socket of a peer that speaks
    D-Bus directly, with no bus daemon and no ``Hello``)."""

    address: str | None = None
    session: bool = False
    system: bool = False
    p2p: bool = False

    def describe(self) -> str:
        if self.session:
            return "the session bus"
        if self.system:
            return "the system bus"
        return f"peer {self.address}" if self.p2p else f"bus {self.address}"


@dataclass(frozen=True)
class IntrospectedObject:
    path: str
    #: The XML text the service returned for ``path``.
    xml: str


def _load_runtime() -> ModuleType:
    """The generated packages' runtime (for its p2p client), imported when needed."""
    import qdbusgen_runtime

    return qdbusgen_runtime


def _unix_path(address: str) -> str:
    for part in address.split(";"):
        kind, _, rest = part.partition(":")
        if kind == "unix":
            for kv in rest.split(","):
                key, _, value = kv.partition("=")
                if key == "path":
                    return value
    raise IntrospectError(f"a peer-to-peer address must be unix:path=SOCKET, not {address!r}")


async def _connect(target: Target, timeout: float) -> Any:
    from dbus_fast import BusType
    from dbus_fast.aio import MessageBus

    try:
        if target.p2p:
            if target.address is None:
                raise IntrospectError("--p2p needs --address unix:path=SOCKET")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(_unix_path(target.address))
                sock.setblocking(False)
            except OSError:
                sock.close()
                raise
            return await _load_runtime().connect_p2p(sock, auth_timeout=timeout)
        if target.session:
            bus = MessageBus(bus_type=BusType.SESSION)
        elif target.system:
            bus = MessageBus(bus_type=BusType.SYSTEM)
        else:
            bus = MessageBus(bus_address=target.address)
        return await asyncio.wait_for(bus.connect(), timeout)
    except IntrospectError:
        raise
    except (TimeoutError, asyncio.TimeoutError):
        raise IntrospectError(
            f"cannot connect to {target.describe()}: no answer within {timeout:g} s"
        ) from None
    except Exception as exc:  # dbus-fast raises many kinds; each becomes one message
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise IntrospectError(f"cannot connect to {target.describe()}: {detail}") from None


async def _introspect_one(bus: Any, dest: str | None, path: str, timeout: float) -> str:
    from dbus_fast import Message, MessageType

    message = Message(destination=dest, path=path, interface=INTROSPECTABLE, member="Introspect")
    shown = dest if dest is not None else "the peer"
    try:
        reply = await asyncio.wait_for(bus.call(message), timeout)
    except (TimeoutError, asyncio.TimeoutError):
        raise IntrospectError(
            f"{shown} did not answer Introspect on {path} within {timeout:g} s"
        ) from None
    except (EOFError, ConnectionError, OSError) as exc:
        raise IntrospectError(f"the connection closed while introspecting {path}: {exc}") from None
    if reply is None:
        raise IntrospectError(f"the connection closed while introspecting {path}")
    if reply.message_type == MessageType.ERROR:
        text = _ERROR_TEXT.get(reply.error_name or "")
        detail = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
        if text is None:
            text = f"{{dest}} answered Introspect on {{path}} with {reply.error_name}"
        message_text = text.format(dest=shown, path=path)
        raise IntrospectError(message_text + (f": {detail}" if detail else ""))
    if reply.signature != "s":
        raise IntrospectError(
            f"{shown} answered Introspect on {path} with signature {reply.signature!r}, not 's'"
        )
    return str(reply.body[0])


def _children(xml: str, display: str) -> list[str]:
    root = _xml_root(xml, display)
    out: list[str] = []
    for child in root:
        if isinstance(child.tag, str) and child.tag == "node":
            name = child.get("name")
            if name and "/" not in name:
                out.append(name)
    return out


def _xml_root(xml: str, display: str) -> Any:
    """The parsed reply, after qdbusgen's hardened parser accepted it (no entities, sizes)."""
    data = xml.encode("utf-8")
    try:
        parse_bytes(data, display)
    except InputError as exc:
        raise IntrospectError(
            f"the reply is not usable introspection XML: {exc.diagnostic.format()}"
        ) from None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:  # pragma: no cover - parse_bytes refused it already
        raise IntrospectError(f"the reply for {display} is not XML: {exc}") from None


async def _walk(
    target: Target, dest: str | None, path: str, recursive: bool, timeout: float
) -> list[IntrospectedObject]:
    bus = await _connect(target, timeout)
    try:
        out: list[IntrospectedObject] = []
        todo = [path]
        seen: set[str] = set()
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            if len(seen) > MAX_OBJECTS:
                raise IntrospectError(f"more than {MAX_OBJECTS} objects below {path}; stopped")
            xml = await _introspect_one(bus, dest, current, timeout)
            out.append(IntrospectedObject(current, xml))
            if recursive:
                base = current.rstrip("/")
                todo.extend(f"{base}/{c}" for c in _children(xml, f"{dest or 'peer'}:{current}"))
        return out
    finally:
        bus.disconnect()


def introspect_service(
    target: Target,
    dest: str | None,
    path: str = "/",
    *,
    recursive: bool = True,
    timeout: float = 10.0,
) -> list[IntrospectedObject]:
    """Introspect ``path`` of ``dest`` (and the objects below it when ``recursive``).

    ``dest`` may be None on a peer-to-peer connection. ``timeout`` bounds the
    connection and each call. Raises :class:`IntrospectError`.
    """
    if not path.startswith("/") or (path != "/" and (path.endswith("/") or "//" in path)):
        raise IntrospectError(f"{path!r} is not an object path")
    return asyncio.run(_walk(target, dest, path, recursive, timeout))


def interface_files(
    objects: list[IntrospectedObject],
    *,
    dest: str | None = None,
    include_standard: bool = False,
) -> dict[str, str]:
    """One XML document per interface, named ``<interface>.xml``: the interface element as
    the first object that carries it returned it. Standard ``org.freedesktop.DBus.*``
    interfaces are left out unless ``include_standard`` (``org.freedesktop.DBus`` itself,
    the bus driver's interface, is always kept)."""
    files: dict[str, str] = {}
    for obj in objects:
        root = _xml_root(obj.xml, f"{dest or 'peer'}:{obj.path}")
        for element in root:
            if not (isinstance(element.tag, str) and element.tag == "interface"):
                continue
            name = element.get("name") or ""
            if not name or f"{name}.xml" in files or "/" in name or name.startswith("."):
                continue
            if is_standard_interface(name) and name != IFACE_BUS and not include_standard:
                continue
            element.tail = "\n"
            text = etree.tostring(element, encoding="unicode")
            origin = f"{dest} " if dest else ""
            files[f"{name}.xml"] = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<!-- introspected by qdbusgen from {_comment(origin)}at {_comment(obj.path)} -->\n"
                f"<node>\n  {text.rstrip()}\n</node>\n"
            )
    return files


def _comment(text: str) -> str:
    return text.replace("--", "- -")


def declares(objects: list[IntrospectedObject], interface: str) -> bool:
    """True when some object carries ``interface`` (org.freedesktop.DBus.ObjectManager, say)."""
    for obj in objects:
        for element in _xml_root(obj.xml, obj.path):
            if isinstance(element.tag, str) and element.tag == "interface":
                if element.get("name") == interface:
                    return True
    return False
