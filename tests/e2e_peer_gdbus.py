"""A com.example.Foreign1 server written with GDBus (PyGObject's Gio), for tests/test_e2e_bus.py.

Run it with the system interpreter (python3-gi)::

    /usr/bin/python3 e2e_peer_gdbus.py BUS_ADDRESS BUS_NAME INTERFACE_XML_FILE

It serves the interface straight from the XML file through
``Gio.DBusConnection.register_object``. Prints ``READY <unique name>`` once BUS_NAME
is owned; exits when stdin is closed.
"""

import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

IFACE = "com.example.Foreign1"
PATH = "/com/example/Foreign"
REFUSED = "com.example.Foreign1.Error.Refused"


def main():
    address, name, xml_file = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(xml_file, encoding="utf-8") as f:
        info = Gio.DBusNodeInfo.new_for_xml(f.read()).lookup_interface(IFACE)
    flags = (
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    )
    conn = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
    state = {"title": "gdbus peer"}

    def method_call(conn, sender, path, interface, method, params, invocation):
        if method == "Stats":
            (values,) = params.unpack()
            total = sum(values)
            mean = total / len(values) if values else 0.0
            invocation.return_value(
                GLib.Variant("(ids)", (total, mean, "%d values from gdbus" % len(values)))
            )
        elif method == "Tick":
            (seq,) = params.unpack()
            conn.emit_signal(
                None, PATH, IFACE, "Ticked", GLib.Variant("(us)", (seq, "tick %d" % seq))
            )
            invocation.return_value(None)
        elif method == "Refuse":
            (reason,) = params.unpack()
            invocation.return_dbus_error(REFUSED, reason)
        else:
            invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)

    def get_property(conn, sender, path, interface, prop):
        if prop == "Title":
            return GLib.Variant("s", state["title"])
        return GLib.Variant("u", 3)

    def set_property(conn, sender, path, interface, prop, value):
        state["title"] = value.unpack()
        changed = GLib.Variant("a{sv}", {"Title": GLib.Variant("s", state["title"])})
        conn.emit_signal(
            None,
            PATH,
            "org.freedesktop.DBus.Properties",
            "PropertiesChanged",
            GLib.Variant.new_tuple(GLib.Variant("s", IFACE), changed, GLib.Variant("as", [])),
        )
        return True

    conn.register_object(PATH, info, method_call, get_property, set_property)
    loop = GLib.MainLoop()

    def acquired(conn, owned):
        print("READY", conn.get_unique_name(), flush=True)

    def lost(conn, owned):
        print("LOST", owned, flush=True)
        loop.quit()

    Gio.bus_own_name_on_connection(conn, name, Gio.BusNameOwnerFlags.DO_NOT_QUEUE, acquired, lost)

    def on_stdin(*_args):
        loop.quit()
        return False

    GLib.io_add_watch(
        sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin
    )
    loop.run()


if __name__ == "__main__":
    main()
