"""Owning well-known bus names: ``RequestName`` / ``ReleaseName`` / ``ListQueuedOwners`` of
the bus daemon, with their flags and replies as enums, so that serving a name needs nothing
from dbus-fast."""

from __future__ import annotations

import enum

from dbus_fast.aio.message_bus import MessageBus
from dbus_fast.errors import InvalidBusNameError

from ._bus import _daemon_call
from ._wire import _is_bus_name


class NameFlag(enum.IntFlag):
    """The flags of ``RequestName`` (combine them with ``|``)."""

    NONE = 0
    #: Let another connection that asks with REPLACE_EXISTING take the name over.
    ALLOW_REPLACEMENT = 1
    #: Take the name from its owner if that owner allowed replacement.
    REPLACE_EXISTING = 2
    #: Fail (EXISTS) instead of waiting in the queue when the name is owned.
    DO_NOT_QUEUE = 4


class RequestNameReply(enum.IntEnum):
    """What ``RequestName`` answered."""

    #: This connection owns the name now.
    PRIMARY_OWNER = 1
    #: Another connection owns it; this one waits in its queue.
    IN_QUEUE = 2
    #: Another connection owns it and DO_NOT_QUEUE was given.
    EXISTS = 3
    #: This connection owned it already.
    ALREADY_OWNER = 4


class ReleaseNameReply(enum.IntEnum):
    """What ``ReleaseName`` answered."""

    RELEASED = 1
    NON_EXISTENT = 2
    NOT_OWNER = 3


async def request_name(
    bus: MessageBus, name: str, flags: NameFlag = NameFlag.NONE
) -> RequestNameReply:
    """Ask the bus daemon for the well-known ``name`` (``RequestName``).

    Returns the daemon's answer; only :attr:`RequestNameReply.PRIMARY_OWNER`
    and :attr:`RequestNameReply.ALREADY_OWNER` mean that calls to ``name``
    reach this connection now.  Raises :class:`DBusError` (for example
    :class:`AccessDenied` when the bus policy forbids owning the name).
    """
    if not _is_bus_name(name):
        raise InvalidBusNameError(name)
    if name.startswith(":"):
        raise ValueError(f"{name!r} is a unique name; only well-known names can be requested")
    reply = await _daemon_call(bus, "RequestName", "su", [name, int(flags)])
    return RequestNameReply(reply.body[0])


async def release_name(bus: MessageBus, name: str) -> ReleaseNameReply:
    """Give up the well-known ``name`` (``ReleaseName``); returns the daemon's answer."""
    if not _is_bus_name(name):
        raise InvalidBusNameError(name)
    reply = await _daemon_call(bus, "ReleaseName", "s", [name])
    return ReleaseNameReply(reply.body[0])


async def list_queued_owners(bus: MessageBus, name: str) -> list[str]:
    """The unique names of the connections queued for the well-known ``name``, primary
    owner first (``ListQueuedOwners``).  Raises :class:`NameHasNoOwner` when no connection
    owns ``name``."""
    if not _is_bus_name(name):
        raise InvalidBusNameError(name)
    reply = await _daemon_call(bus, "ListQueuedOwners", "s", [name])
    return [str(owner) for owner in reply.body[0]]
