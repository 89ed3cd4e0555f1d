from __future__ import annotations

import logging
from typing import Final, NewType, TypeVar

from dbus_fast.constants import MessageFlag, MessageType

_LOG = logging.getLogger(__package__)  # "qdbusgen_runtime" (or "PKG._runtime", vendored)
_T = TypeVar("_T")

ObjectPath = NewType("ObjectPath", str)
"""A D-Bus object path (``o``)."""
Signature = NewType("Signature", str)
"""A D-Bus type signature (``g``)."""
UnixFD = NewType("UnixFD", int)
"""A Unix file descriptor (``h``).  See the module docstring for ownership."""

# ---------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------

DBUS_NAME: Final = "org.freedesktop.DBus"
DBUS_PATH: Final = "/org/freedesktop/DBus"
PROPERTIES_IFACE: Final = "org.freedesktop.DBus.Properties"
INTROSPECTABLE_IFACE: Final = "org.freedesktop.DBus.Introspectable"
PEER_IFACE: Final = "org.freedesktop.DBus.Peer"

ERROR_FAILED: Final = "org.freedesktop.DBus.Error.Failed"
ERROR_NOT_SUPPORTED: Final = "org.freedesktop.DBus.Error.NotSupported"
ERROR_INVALID_ARGS: Final = "org.freedesktop.DBus.Error.InvalidArgs"
ERROR_INVALID_SIGNATURE: Final = "org.freedesktop.DBus.Error.InvalidSignature"
ERROR_UNKNOWN_METHOD: Final = "org.freedesktop.DBus.Error.UnknownMethod"
ERROR_UNKNOWN_INTERFACE: Final = "org.freedesktop.DBus.Error.UnknownInterface"
ERROR_UNKNOWN_OBJECT: Final = "org.freedesktop.DBus.Error.UnknownObject"
ERROR_UNKNOWN_PROPERTY: Final = "org.freedesktop.DBus.Error.UnknownProperty"
ERROR_PROPERTY_READ_ONLY: Final = "org.freedesktop.DBus.Error.PropertyReadOnly"
ERROR_DISCONNECTED: Final = "org.freedesktop.DBus.Error.Disconnected"
ERROR_NO_REPLY: Final = "org.freedesktop.DBus.Error.NoReply"
ERROR_NAME_HAS_NO_OWNER: Final = "org.freedesktop.DBus.Error.NameHasNoOwner"

_METHOD_CALL: Final = MessageType.METHOD_CALL
_METHOD_RETURN: Final = MessageType.METHOD_RETURN
_SIGNAL: Final = MessageType.SIGNAL
_ERROR: Final = MessageType.ERROR
_FLAG_NONE: Final = MessageFlag.NONE
_FLAG_NO_REPLY: Final = MessageFlag.NO_REPLY_EXPECTED
_NO_REPLY_BIT: Final = int(MessageFlag.NO_REPLY_EXPECTED)
