"""The error hierarchy: standard D-Bus error names are classes, both ways."""

from __future__ import annotations

import pickle

import pytest

import qdbusgen_runtime as rt
from qdbusgen_runtime.errors import _STANDARD, _exception_to_error

STANDARD = {
    "Failed": rt.Failed,
    "NotSupported": rt.NotSupported,
    "UnknownMethod": rt.UnknownMethod,
    "UnknownObject": rt.UnknownObject,
    "UnknownInterface": rt.UnknownInterface,
    "UnknownProperty": rt.UnknownProperty,
    "PropertyReadOnly": rt.PropertyReadOnly,
    "InvalidArgs": rt.InvalidArgs,
    "InvalidSignature": rt.InvalidSignature,
    "AccessDenied": rt.AccessDenied,
    "NoReply": rt.NoReply,
    "Timeout": rt.Timeout,
    "TimedOut": rt.TimedOut,
    "ServiceUnknown": rt.ServiceUnknown,
    "NameHasNoOwner": rt.NameHasNoOwner,
    "LimitsExceeded": rt.LimitsExceeded,
    "Disconnected": rt.Disconnected,
}


@pytest.mark.parametrize("short", sorted(STANDARD))
def test_a_standard_name_builds_its_class(short: str) -> None:
    name = f"org.freedesktop.DBus.Error.{short}"
    cls = STANDARD[short]
    assert _STANDARD[name] is cls and cls.__name__ in rt.__all__
    built = rt.DBusError(name, "why")  # what a received ERROR reply becomes
    assert type(built) is cls and isinstance(built, rt.DBusError)
    assert (built.name, built.text, str(built)) == (name, "why", f"{name}: why")
    direct = cls("why")
    assert (direct.name, direct.text) == (name, "why")
    again = pickle.loads(pickle.dumps(built))
    assert type(again) is cls and (again.name, again.text) == (name, "why")
    # raised in a server handler, the class sends its name
    assert _exception_to_error(cls("no"), "handler") == (name, "no")


def test_other_names_stay_dbus_error() -> None:
    err = rt.DBusError("com.example.Error.Mine", "text")
    assert type(err) is rt.DBusError and err.name == "com.example.Error.Mine"
    assert type(rt.DBusError(name="com.example.E")) is rt.DBusError


def test_disconnected_and_timeouts() -> None:
    assert rt.Disconnected is rt.DisconnectedError
    assert rt.DisconnectedError().text == "the connection is closed"
    assert isinstance(rt.TimedOut(), rt.Timeout) and not isinstance(rt.NoReply(), rt.Timeout)


def test_an_own_subclass_keeps_its_name() -> None:
    class Busy(rt.DBusError):
        def __init__(self, text: str = "") -> None:
            super().__init__("com.example.Error.Busy", text)

    err = Busy("later")
    assert type(err) is Busy and err.name == "com.example.Error.Busy"
    assert _exception_to_error(err, "h") == ("com.example.Error.Busy", "later")
