"""A dbus-python peer that is not introspectable, for tests/test_thirdparty.py.

Run it with the system interpreter (python3-dbus, python3-gi)::

    /usr/bin/python3 e2e_peer_stubborn.py BUS_ADDRESS BUS_NAME MODE

MODE ``unknown-method`` answers every Introspect call with
org.freedesktop.DBus.Error.UnknownMethod (as a service that does not implement
org.freedesktop.DBus.Introspectable does); ``silent`` never answers one. Prints
``READY <unique name>`` once BUS_NAME is owned; exits when stdin is closed.
"""

import sys

import dbus
import dbus.lowlevel
import dbus.mainloop.glib
from gi.repository import GLib


def main():
    address, name, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)

    def on_message(conn, msg):
        if isinstance(msg, dbus.lowlevel.MethodCallMessage) and msg.get_member() == "Introspect":
            if mode == "unknown-method":
                conn.send_message(
                    dbus.lowlevel.ErrorMessage(
                        msg, "org.freedesktop.DBus.Error.UnknownMethod", "no Introspect here"
                    )
                )
            return dbus.lowlevel.HANDLER_RESULT_HANDLED
        return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED

    bus.add_message_filter(on_message)
    bus.request_name(name)
    loop = GLib.MainLoop()
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, lambda *a: loop.quit())
    print("READY", bus.get_unique_name(), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
