from __future__ import annotations

from typing import Any, ClassVar

from dbus_fast.errors import DBusError as _FastDBusError
from dbus_fast.message import Message
from dbus_fast.validators import is_interface_name_valid

from ._base import ERROR_DISCONNECTED, ERROR_FAILED, ERROR_NOT_SUPPORTED, _LOG

# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


class DBusError(Exception):
    """A D-Bus error: ``name`` is the D-Bus error name, ``text`` its message.

    Raised by proxy calls that get an ERROR reply.  Raise it from a server
    handler to send that error to the caller.
    """

    # Marker so that copies of this module in other generated packages (each
    # has its own DBusError class) recognise the exception as a D-Bus error.
    _qdbusgen_error: ClassVar[bool] = True

    name: str
    text: str

    def __init__(self, name: str, text: str = "") -> None:
        super().__init__(name, text)
        self.name = name
        self.text = text

    def __str__(self) -> str:
        return f"{self.name}: {self.text}" if self.text else self.name

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (type(self), self.name, self.text))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.text!r})"


def _rebuild_error(cls: type[DBusError], name: str, text: str) -> DBusError:
    err = cls.__new__(cls)
    DBusError.__init__(err, name, text)
    return err


class DisconnectedError(DBusError):
    """The connection was closed (before or during the call)."""

    def __init__(self, text: str = "the connection is closed") -> None:
        super().__init__(ERROR_DISCONNECTED, text)


def not_implemented(member: str) -> DBusError:
    """The error a generated server stub raises for a method it does not implement."""
    return DBusError(ERROR_NOT_SUPPORTED, f"{member} is not implemented")


def _error_from_reply(reply: Message) -> DBusError:
    body = reply.body
    text = body[0] if body and reply.signature[:1] == "s" else ""
    return DBusError(reply.error_name or ERROR_FAILED, text)


def _exception_to_error(exc: BaseException, what: str) -> tuple[str, str]:
    """Map an exception raised by user code to a D-Bus (name, text)."""
    if getattr(exc, "_qdbusgen_error", False):
        name = str(getattr(exc, "name", ERROR_FAILED))
        text = str(getattr(exc, "text", ""))
    elif isinstance(exc, _FastDBusError):
        name, text = str(exc.type), str(exc.text)
    else:
        _LOG.error("%s raised an exception", what, exc_info=exc)
        return ERROR_FAILED, f"{what} failed: {type(exc).__name__}"
    if not is_interface_name_valid(name):
        _LOG.error("%s raised a D-Bus error with an invalid name %r", what, name)
        return ERROR_FAILED, f"{what} failed (invalid error name)"
    return name, text
