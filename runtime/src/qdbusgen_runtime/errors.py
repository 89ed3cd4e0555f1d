from __future__ import annotations

from typing import Any, ClassVar, TypeVar, cast

from dbus_fast.errors import DBusError as _FastDBusError
from dbus_fast.message import Message

from ._base import ERROR_DISCONNECTED, ERROR_FAILED, ERROR_NOT_SUPPORTED, ERROR_NO_REPLY, _LOG
from ._wire import _is_interface

# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


_E = TypeVar("_E")


class _ErrorType(type):
    """Metaclass of :class:`DBusError`: ``DBusError(name, text)`` builds the standard
    subclass registered for ``name`` (``DBusError(ERROR_INVALID_ARGS, ...)`` is an
    :class:`InvalidArgs`), so every error the runtime raises or receives can be caught
    by class."""

    def __call__(cls: type[_E], *args: Any, **kwargs: Any) -> _E:
        if cls is DBusError:
            name = args[0] if args else kwargs.get("name")
            standard = _STANDARD.get(name) if isinstance(name, str) else None
            if standard is not None:
                err = standard.__new__(standard)
                DBusError.__init__(err, *args, **kwargs)
                return cast(_E, err)
        return cast(_E, type.__call__(cls, *args, **kwargs))


class DBusError(Exception, metaclass=_ErrorType):
    """A D-Bus error: ``name`` is the D-Bus error name, ``text`` its message.

    Raised by proxy calls that get an ERROR reply.  Raise it from a server
    handler to send that error to the caller.

    The standard ``org.freedesktop.DBus.Error.*`` names have subclasses
    (:class:`InvalidArgs`, :class:`UnknownMethod`, :class:`NoReply`, ...): a
    reply carrying one of them is raised as that subclass, ``DBusError(name,
    text)`` with one of them builds it, and a subclass raised in a server
    handler sends its name.  Other names (an application's own errors) stay
    plain :class:`DBusError` with ``.name``; subclass DBusError and pass the
    name to ``__init__`` to give them a class of your own.
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


#: Standard error name -> its subclass (filled by :class:`StandardError` subclasses).
_STANDARD: dict[str, type[StandardError]] = {}


class StandardError(DBusError):
    """Base of the classes for the standard ``org.freedesktop.DBus.Error.*`` names:
    ``raise InvalidArgs("bad size")`` sends ``org.freedesktop.DBus.Error.InvalidArgs``."""

    #: The D-Bus error name of this class.
    ERROR_NAME: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "ERROR_NAME" in cls.__dict__:
            _STANDARD[cls.ERROR_NAME] = cls

    def __init__(self, text: str = "") -> None:
        super().__init__(self.ERROR_NAME, text)


def _standard(short: str) -> str:
    return f"org.freedesktop.DBus.Error.{short}"


class Failed(StandardError):
    """``Failed``: a generic failure (what any other exception in a server handler sends)."""

    ERROR_NAME = ERROR_FAILED


class NotSupported(StandardError):
    """``NotSupported``: the peer does not implement this (an unimplemented handler)."""

    ERROR_NAME = ERROR_NOT_SUPPORTED


class UnknownMethod(StandardError):
    """``UnknownMethod``: the object has no such method on that interface."""

    ERROR_NAME = _standard("UnknownMethod")


class UnknownObject(StandardError):
    """``UnknownObject``: nothing is exported at that object path."""

    ERROR_NAME = _standard("UnknownObject")


class UnknownInterface(StandardError):
    """``UnknownInterface``: the object does not have that interface."""

    ERROR_NAME = _standard("UnknownInterface")


class UnknownProperty(StandardError):
    """``UnknownProperty``: the interface has no such property."""

    ERROR_NAME = _standard("UnknownProperty")


class PropertyReadOnly(StandardError):
    """``PropertyReadOnly``: a Set on a read-only property."""

    ERROR_NAME = _standard("PropertyReadOnly")


class InvalidArgs(StandardError):
    """``InvalidArgs``: the arguments were refused (wrong type, count or value)."""

    ERROR_NAME = _standard("InvalidArgs")


class InvalidSignature(StandardError):
    """``InvalidSignature``: a body had another signature than declared (a proxy raises it
    for a reply of the wrong type)."""

    ERROR_NAME = _standard("InvalidSignature")


class AccessDenied(StandardError):
    """``AccessDenied``: the bus policy or the peer refused the call."""

    ERROR_NAME = _standard("AccessDenied")


class NoReply(StandardError):
    """``NoReply``: no reply came in time (a proxy's own ``timeout`` raises it too)."""

    ERROR_NAME = ERROR_NO_REPLY


class Timeout(StandardError):
    """``Timeout``: an operation of the peer timed out."""

    ERROR_NAME = _standard("Timeout")


class TimedOut(Timeout):
    """``TimedOut``: the other standard name for a timeout (caught by ``except Timeout`` too)."""

    ERROR_NAME = _standard("TimedOut")


class ServiceUnknown(StandardError):
    """``ServiceUnknown``: no connection owns the destination name and none can be activated."""

    ERROR_NAME = _standard("ServiceUnknown")


class NameHasNoOwner(StandardError):
    """``NameHasNoOwner``: the bus name has no owner."""

    ERROR_NAME = _standard("NameHasNoOwner")


class LimitsExceeded(StandardError):
    """``LimitsExceeded``: a limit of the bus or of the peer was reached (too many calls,
    fds or bytes)."""

    ERROR_NAME = _standard("LimitsExceeded")


class DisconnectedError(StandardError):
    """``Disconnected``: the connection was closed (before or during the call)."""

    ERROR_NAME = ERROR_DISCONNECTED

    def __init__(self, text: str = "the connection is closed") -> None:
        super().__init__(text)


Disconnected = DisconnectedError


def not_implemented(member: str) -> DBusError:
    """The error a generated server stub raises for a method it does not implement."""
    return DBusError(ERROR_NOT_SUPPORTED, f"{member} is not implemented")


def _error_from_reply(reply: Message) -> DBusError:
    body = reply.body
    text = body[0] if body and reply.signature[:1] == "s" else ""
    return DBusError(reply.error_name or ERROR_FAILED, text)  # a standard name: its subclass


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
    if not _is_interface(name):
        _LOG.error("%s raised a D-Bus error with an invalid name %r", what, name)
        return ERROR_FAILED, f"{what} failed (invalid error name)"
    return name, text
