"""dbus-daemon configuration for a private, per-VM D-Bus (QEMU's ``docs/interop/dbus.rst`` model).

QEMU's security guidance: give every VM its own bus, run each helper under its own UID
and let the bus daemon enforce who may own which name and who may talk to whom.
:func:`render_policy` writes a complete, self-contained ``dbus-daemon`` configuration
for that shape; the result is passed to ``dbus-daemon --config-file=FILE``.

What the generated configuration enforces (everything not listed is denied):

* **Connecting**: only the QEMU user, the helper users and the client users may
  connect (``<deny user="*"/>`` then one ``<allow user=…/>`` each). The daemon's own
  user is *not* implicitly allowed, unless it is one of them. Authentication is
  ``EXTERNAL`` only (Unix credentials), so the UID is trustworthy. The file is
  self-contained: no ``<includedir>``, no ``<servicedir>`` (no activation), no
  ``<user>`` (start the daemon as the user you want, e.g. a dedicated bus user). The
  socket's directory must be searchable by all those users.
* **Owning names**: a helper's user may own its service name(s); the QEMU user may own
  the names in ``qemu_owns`` (``org.qemu`` for ``-display dbus``); nobody else may own
  anything.
* **Sending**: the QEMU user may send anything (method calls, unicast signals) to the
  owner of every helper service; the client users may send to the owner of every name in
  ``qemu_owns``. Everybody may talk to the bus driver (``org.freedesktop.DBus``, minus
  ``UpdateActivationEnvironment`` and ``Debug.Stats``), may send exactly one reply
  (return or error) to each method call it received, and the QEMU user and the helpers
  may broadcast signals. A helper's user may call ``org.freedesktop.DBus.Properties.Get``
  on the owners of its own service names, so that a helper can read the ``Id`` of the
  other helpers queued for a shared name before it queues (two dbus-vmstate helpers with
  one Id make QEMU 7.2 abort). Any other message - for example a helper calling a helper
  of another service, or calling a method of one of its own service, directly or through
  its unique name - is refused with ``org.freedesktop.DBus.Error.AccessDenied``.
* **Receiving**: messages addressed to a connection are received normally (no
  eavesdropping); broadcasts and unrequested messages whose sender owns a helper service
  are received by the QEMU user only (dbus.rst's ``receive_sender`` rule).

``send_destination``/``receive_sender`` rules in dbus-daemon match the *owner* of a name,
queued owners included, so they also hold when a peer is addressed by its unique name and
when several helpers queue for one shared name (``org.qemu.VMState1``: every dbus-vmstate
helper requests it, QEMU finds them with ``ListQueuedOwners``). For such a shared name
give several users: ``services={"org.qemu.VMState1": ["helper-a", "helper-b"]}``.

Names and users come from users of the tool, so they are validated (bus names per the
D-Bus specification, users as POSIX-style login names or numeric UIDs) and the XML is
built with an ElementTree (escaping done by the serializer), never by string pasting. The output is deterministic: users and names
are sorted, duplicates merged, numeric UIDs normalised (``"0042"`` -> ``"42"``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence

import xml.etree.ElementTree as etree

__all__ = ["PolicyError", "render_policy", "validate_bus_name", "validate_user"]

DOCTYPE = (
    '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
    ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
)

BUS_DRIVER = "org.freedesktop.DBus"
MAX_BUS_NAME = 255
# sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL.
MAX_SOCKET_PATH = 107
MAX_USER_NAME = 32
MAX_UID = 2**32 - 2  # (uid_t)-1 is "no user"

_ELEMENT = re.compile(r"[A-Za-z_-][A-Za-z0-9_-]*\Z")
_INTERFACE_ELEMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # no '-', unlike bus names
_USER_NAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?\Z")
_UID = re.compile(r"[0-9]+\Z")
# Bytes that may appear unescaped in a D-Bus address value (the specification's
# "optionally-escaped bytes", minus the backslash, which we always escape).
_ADDRESS_SAFE = frozenset(
    b"-_/." b"0123456789" b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" b"abcdefghijklmnopqrstuvwxyz"
)


class PolicyError(ValueError):
    """An input of :func:`render_policy` is invalid; the message names it and says why."""


def validate_bus_name(name: object, *, what: str = "bus name") -> str:
    """Return ``name`` if it is a well-known bus name that a policy may grant, else raise.

    Rules of the D-Bus specification: at most 255 characters, at least two elements
    separated by ``.``, each element non-empty, made of ``[A-Za-z0-9_-]`` and not
    starting with a digit. Unique names (``:1.42``) are assigned by the bus and cannot be
    owned, ``*`` is not a name, and ``org.freedesktop.DBus`` belongs to the bus itself.
    """
    if not isinstance(name, str):
        raise PolicyError(f"{what} must be a string, not {type(name).__name__}: {name!r}")
    if not name:
        raise PolicyError(f"{what} is empty")
    if name.startswith(":"):
        raise PolicyError(
            f"{what} {name!r} is a unique connection name; only well-known names can be owned"
        )
    if len(name) > MAX_BUS_NAME:
        raise PolicyError(
            f"{what} {name[:40]!r}... is {len(name)} characters long; the limit is {MAX_BUS_NAME}"
        )
    elements = name.split(".")
    if len(elements) < 2:
        raise PolicyError(f"{what} {name!r} must have at least two elements separated by '.'")
    for element in elements:
        if not element:
            raise PolicyError(
                f"{what} {name!r} has an empty element (leading, trailing or doubled '.')"
            )
        if not _ELEMENT.match(element):
            if element[0].isdigit():
                raise PolicyError(f"{what} {name!r}: element {element!r} starts with a digit")
            bad = next(c for c in element if not (c.isascii() and (c.isalnum() or c in "_-")))
            raise PolicyError(
                f"{what} {name!r}: character {bad!r} is not allowed (elements are [A-Za-z0-9_-])"
            )
    if name == BUS_DRIVER:
        raise PolicyError(f"{what} {name!r} is the bus driver's own name and cannot be granted")
    return name


def _validate_interface_name(name: object, *, what: str = "interface name") -> str:
    """Return ``name`` if it is an interface name (bus-name structure, but no '-'), else raise."""
    validate_bus_name(name, what=what)
    assert isinstance(name, str)
    for element in name.split("."):
        if not _INTERFACE_ELEMENT.match(element):
            raise PolicyError(
                f"{what} {name!r}: element {element!r} is not allowed (elements are [A-Za-z0-9_], no '-')"
            )
    return name


def validate_user(user: object, *, what: str = "user") -> str:
    """Return ``user`` normalised if it is a login name or a numeric UID, else raise.

    Names follow the shadow-utils rule (``[A-Za-z0-9_.][A-Za-z0-9_.-]*`` with an
    optional trailing ``$``, not all digits, not ``.``/``..``, at most 32 characters).
    All-digit strings (or ints) are UIDs, returned without leading zeros. Whether the
    user exists is not checked: dbus-daemon resolves users when it loads the file and
    ignores (with an ``Unknown username`` warning) rules for unknown ones, which fails
    closed. dbus-daemon 1.14 resolves numeric uids through the passwd database too, so a
    uid without a passwd entry is "unknown" as well.
    """
    if isinstance(user, bool):
        raise PolicyError(f"{what} must be a user name or a numeric uid, not {user!r}")
    if isinstance(user, int):
        user = str(user)
    if not isinstance(user, str):
        raise PolicyError(
            f"{what} must be a user name or a numeric uid, not {type(user).__name__}: {user!r}"
        )
    if not user:
        raise PolicyError(f"{what} is empty")
    if _UID.match(user):
        uid = int(user)
        if uid > MAX_UID:
            raise PolicyError(f"{what} {user!r}: uid out of range (0..{MAX_UID})")
        return str(uid)
    if user in (".", ".."):
        raise PolicyError(f"{what} {user!r} is not a valid user name")
    if len(user) > MAX_USER_NAME:
        raise PolicyError(
            f"{what} {user[:40]!r} is {len(user)} characters long; the limit is {MAX_USER_NAME}"
        )
    if not _USER_NAME.match(user):
        if user.startswith("-"):
            raise PolicyError(f"{what} {user!r} must not start with '-'")
        raise PolicyError(
            f"{what} {user!r} is neither a numeric uid nor a user name ([A-Za-z0-9_.][A-Za-z0-9_.-]*, optional final '$')"
        )
    return user


def _listen_address(listen: str | os.PathLike[str]) -> str:
    path = os.fspath(listen)
    if not isinstance(path, str):
        raise PolicyError(
            f"listen must be a filesystem path given as str, not {type(path).__name__}"
        )
    if path.startswith("unix:"):
        raise PolicyError(
            f"listen {path!r} looks like a D-Bus address; pass the socket path only (e.g. /run/vm1/bus.sock)"
        )
    if not path:
        raise PolicyError("listen (the bus socket path) is empty")
    if "\0" in path:
        raise PolicyError("listen (the bus socket path) contains a NUL character")
    if not path.startswith("/"):
        raise PolicyError(
            f"listen {path!r} must be an absolute path (dbus-daemon would resolve it against its cwd)"
        )
    try:
        raw = os.fsencode(path)
    except UnicodeError as exc:
        raise PolicyError(f"listen {path!r} cannot be encoded: {exc}") from None
    if len(raw) > MAX_SOCKET_PATH:
        raise PolicyError(
            f"listen {path!r} is {len(raw)} bytes long; a Unix socket path is limited to {MAX_SOCKET_PATH} bytes"
        )
    escaped = "".join(chr(b) if b in _ADDRESS_SAFE else f"%{b:02x}" for b in raw)
    return f"unix:path={escaped}"


def _users(value: object, what: str) -> list[str]:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [validate_user(value, what=what)]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        users = [validate_user(u, what=what) for u in value]
        if not users:
            raise PolicyError(f"{what}: the list of users is empty")
        return users
    raise PolicyError(
        f"{what} must be a user or a list of users, not {type(value).__name__}: {value!r}"
    )


def _name_list(value: object, what: str) -> list[str]:
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, Iterable)
        or isinstance(value, Mapping)
    ):
        raise PolicyError(
            f"{what} must be a list of bus names, not {type(value).__name__}: {value!r}"
        )
    return [validate_bus_name(n, what=f"{what} entry") for n in value]


def _user_list(value: object, what: str) -> list[str]:
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, Iterable)
        or isinstance(value, Mapping)
    ):
        raise PolicyError(f"{what} must be a list of users, not {type(value).__name__}: {value!r}")
    return [validate_user(u, what=f"{what} entry") for u in value]


def _sub(parent: etree.Element, tag: str, **attrs: str) -> etree.Element:
    element = etree.SubElement(parent, tag)
    for key, value in attrs.items():  # keyword order = attribute order (deterministic)
        element.set(key, value)
    return element


def render_policy(
    *,
    listen: str | os.PathLike[str],
    qemu_user: str,
    services: Mapping[str, str | Sequence[str]],
    qemu_owns: Sequence[str] = (),
    qemu_clients: Sequence[str] = (),
    interfaces: Sequence[str] | None = None,
) -> str:
    """Return a complete ``dbus-daemon`` configuration (XML text) for one VM's private bus.

    :param listen: absolute path of the Unix socket the daemon listens on (escaped into a
        ``unix:path=`` address; at most 107 bytes).
    :param qemu_user: the user QEMU runs as (name or numeric uid).
    :param services: helper bus name -> the user that may own it. A value may also be a
        list of users, for a name several helpers queue for (``org.qemu.VMState1``). The
        QEMU user may send to the owners of these names and receive their replies and
        signals; nobody else may own them or send to them.
    :param qemu_owns: names the QEMU user may own itself (``org.qemu`` for
        ``-display dbus``; ``org.qemu.VMState1`` needs no entry: QEMU only calls it).
    :param qemu_clients: users (besides QEMU) that may connect and call the names in
        ``qemu_owns``, e.g. a display client's UID. Empty: nobody else may call QEMU.
    :param interfaces: when given, the QEMU user may call the helpers only on these
        interfaces (plus the standard Properties, Introspectable and Peer), instead of
        on any interface. ``qdbusgen policy FILES`` passes the interfaces of FILES.
    :raises PolicyError: on an invalid path, bus name, interface name or user, a name given both as a
        helper service and in ``qemu_owns``, or ``qemu_clients`` without ``qemu_owns``.

    The text is deterministic for equal inputs (sorted, deduplicated) and starts with the
    busconfig DOCTYPE. See the module docstring for the rules it enforces.
    """
    address = _listen_address(listen)
    qemu = validate_user(qemu_user, what="qemu_user")
    if not isinstance(services, Mapping):
        raise PolicyError(
            f"services must be a mapping of bus name -> user, not {type(services).__name__}"
        )

    owners: dict[str, set[str]] = {}  # helper bus name -> users
    for name, value in services.items():
        validate_bus_name(name, what="service name")
        owners.setdefault(name, set()).update(_users(value, what=f"user of service {name!r}"))
    qemu_names = sorted(set(_name_list(qemu_owns, "qemu_owns")))
    clients = sorted(set(_user_list(qemu_clients, "qemu_clients")), key=_user_key)
    for name in qemu_names:
        if name in owners:
            raise PolicyError(
                f"bus name {name!r} is both a helper service and in qemu_owns; give it to one owner"
            )
    if clients and not qemu_names:
        raise PolicyError(
            "qemu_clients is set but qemu_owns is empty: there is nothing for the clients to call"
        )

    service_names = sorted(owners)
    helper_users = sorted({u for users in owners.values() for u in users}, key=_user_key)
    # Per-user grants. dbus-daemon applies every <policy user=...> that matches the
    # connection; we emit one block per user, QEMU's first.
    own: dict[str, list[str]] = {}
    for name in service_names:
        for user in owners[name]:
            own.setdefault(user, []).append(name)

    root = etree.Element("busconfig")
    root.append(
        etree.Comment(
            " Generated by qdbusgen (qdbusgen.policy.render_policy): private D-Bus for one QEMU VM. "
        )
    )
    _sub(root, "listen").text = address
    _sub(root, "auth").text = "EXTERNAL"

    default = _sub(root, "policy", context="default")
    default.append(etree.Comment(" Only these users may connect. "))
    _sub(default, "deny", user="*")
    for user in sorted({qemu, *helper_users, *clients}, key=_user_key):
        _sub(default, "allow", user=user)
    default.append(etree.Comment(" Nothing may be owned or sent unless allowed below. "))
    _sub(default, "deny", own="*")
    _sub(default, "deny", send_destination="*")
    default.append(etree.Comment(" One reply (return or error) per method call received. "))
    _sub(default, "allow", send_type="method_return", send_requested_reply="true")
    _sub(default, "allow", send_type="error", send_requested_reply="true")
    default.append(etree.Comment(" Everybody may use the bus driver, minus a few methods. "))
    for interface in (
        BUS_DRIVER,
        f"{BUS_DRIVER}.Introspectable",
        f"{BUS_DRIVER}.Properties",
        f"{BUS_DRIVER}.Peer",
    ):
        _sub(default, "allow", send_destination=BUS_DRIVER, send_interface=interface)
    _sub(
        default,
        "deny",
        send_destination=BUS_DRIVER,
        send_interface=BUS_DRIVER,
        send_member="UpdateActivationEnvironment",
    )
    _sub(default, "deny", send_destination=BUS_DRIVER, send_interface=f"{BUS_DRIVER}.Debug.Stats")
    default.append(
        etree.Comment(
            " Receive what is addressed to you (no eavesdropping); helpers' broadcasts go to QEMU only. "
        )
    )
    _sub(default, "allow", receive_sender="*")
    for name in service_names:
        if qemu not in owners[name]:
            _sub(default, "deny", receive_sender=name)

    qemu_policy = _sub(root, "policy", user=qemu)
    for name in sorted({*qemu_names, *own.get(qemu, [])}):
        _sub(qemu_policy, "allow", own=name)
    _sub(qemu_policy, "allow", send_type="signal", send_broadcast="true")
    allowed_interfaces: list[str] | None = None
    if interfaces is not None:
        allowed_interfaces = sorted(
            {_validate_interface_name(i) for i in interfaces}
            | {f"{BUS_DRIVER}.Properties", f"{BUS_DRIVER}.Introspectable", f"{BUS_DRIVER}.Peer"}
        )
    for name in service_names:
        if allowed_interfaces is None:
            _sub(qemu_policy, "allow", send_destination=name)
        else:
            for interface in allowed_interfaces:
                _sub(qemu_policy, "allow", send_destination=name, send_interface=interface)
        _sub(qemu_policy, "allow", receive_sender=name)

    for user in helper_users:
        if user == qemu:
            continue
        helper_policy = _sub(root, "policy", user=user)
        for name in own[user]:
            _sub(helper_policy, "allow", own=name)
        for name in own[user]:  # read the Id of another helper queued for the same name
            _sub(
                helper_policy,
                "allow",
                send_destination=name,
                send_interface=f"{BUS_DRIVER}.Properties",
                send_member="Get",
            )
        _sub(helper_policy, "allow", send_type="signal", send_broadcast="true")
        if user in clients:
            for name in qemu_names:
                _sub(helper_policy, "allow", send_destination=name)

    for user in clients:
        if user == qemu or user in own:
            continue
        client_policy = _sub(root, "policy", user=user)
        for name in qemu_names:
            _sub(client_policy, "allow", send_destination=name)

    etree.indent(root, space="  ")
    body = etree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{DOCTYPE}\n{body}\n'


def _user_key(user: str) -> tuple[int, int, str]:
    """Sort numeric uids numerically after names, deterministically."""
    return (1, int(user), "") if user.isdigit() else (0, 0, user)
