"""A com.example.Foreign1 server written with dbus-python, for tests/test_e2e_bus.py.

Run it with the system interpreter (python3-dbus, python3-gi)::

    /usr/bin/python3 e2e_peer_dbus_python.py BUS_ADDRESS BUS_NAME

Prints ``READY <unique name>`` once BUS_NAME is owned; exits when stdin is closed.
dbus-python has no property support, so org.freedesktop.DBus.Properties is written
out by hand (Get, GetAll, Set and PropertiesChanged).
"""

import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "com.example.Foreign1"
PATH = "/com/example/Foreign"
REFUSED = "com.example.Foreign1.Error.Refused"


class Refused(dbus.exceptions.DBusException):
    _dbus_error_name = REFUSED


class Foreign(dbus.service.Object):
    def __init__(self, conn):
        super().__init__(conn, PATH)
        self.title = "dbus-python peer"

    @dbus.service.method(IFACE, in_signature="ai", out_signature="ids")
    def Stats(self, values):
        total = sum(int(v) for v in values)
        mean = total / len(values) if len(values) else 0.0
        return (
            dbus.Int32(total),
            dbus.Double(mean),
            dbus.String("%d values from dbus-python" % len(values)),
        )

    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def Tick(self, seq):
        self.Ticked(dbus.UInt32(seq), "tick %d" % seq)

    @dbus.service.method(IFACE, in_signature="s", out_signature="")
    def Refuse(self, reason):
        raise Refused(reason)

    @dbus.service.signal(IFACE, signature="us")
    def Ticked(self, seq, note):
        pass

    def _props(self):
        return {"Title": dbus.String(self.title), "Version": dbus.UInt32(2)}

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        if interface != IFACE or prop not in self._props():
            raise dbus.exceptions.DBusException(
                "no property %s" % prop, name="org.freedesktop.DBus.Error.UnknownProperty"
            )
        return self._props()[prop]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return self._props() if interface == IFACE else {}

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ssv", out_signature="")
    def Set(self, interface, prop, value):
        if interface != IFACE or prop != "Title":
            raise dbus.exceptions.DBusException(
                "%s is read-only" % prop, name="org.freedesktop.DBus.Error.PropertyReadOnly"
            )
        self.title = str(value)
        self.PropertiesChanged(
            IFACE, {"Title": dbus.String(self.title)}, dbus.Array([], signature="s")
        )

    @dbus.service.signal(dbus.PROPERTIES_IFACE, signature="sa{sv}as")
    def PropertiesChanged(self, interface, changed, invalidated):
        pass


def main():
    address, name = sys.argv[1], sys.argv[2]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    conn = dbus.bus.BusConnection(address)
    Foreign(conn)
    conn.request_name(name, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
    loop = GLib.MainLoop()

    def on_stdin(*_args):
        loop.quit()
        return False

    GLib.io_add_watch(
        sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin
    )
    print("READY", conn.get_unique_name(), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
