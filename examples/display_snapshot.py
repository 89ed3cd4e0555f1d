#!/usr/bin/env python3
"""Take a PNG snapshot of a QEMU console over D-Bus, with the stubs qdbusgen generates.

QEMU started with ``-display dbus`` exports ``org.qemu.Display1.*`` objects. This client:

1. connects either to the VM's message bus (``--address``; QEMU owns the name
   ``org.qemu``) or peer to peer through QMP (``--qmp SOCKET`` for
   ``-display dbus,p2p=yes``: it makes a socket pair, hands one end to QEMU with ``getfd``
   + ``add_client`` protocol ``@dbus-display`` and authenticates as the D-Bus client on
   the other end; there is no bus name then);
2. reads the VM (``Name``, ``UUID``, ``ConsoleIDs``) and console (``Label``, ``Width``,
   ``Height``, ``Type``) properties with the generated ``VMProxy`` / ``ConsoleProxy``;
3. registers a listener: ``Console.RegisterListener(fd)`` with one end of a new socket
   pair; QEMU then authenticates as the *server* on that fd and blocks its main loop
   until the handshake is done, so the client runs ``connect_p2p`` on its end at once and
   exports its subclass of the generated ``ListenerServer`` at
   ``/org/qemu/Display1/Listener`` before QEMU's first call is read;
4. builds the picture from ``Scanout`` and ``Update``: updates are clipped to the current
   display size, which follows the console's ``Width``/``Height`` PropertiesChanged
   (QEMU 7.2 sends a registered listener a new Scanout when the guest switches to
   another graphics mode, but none when it switches back to VGA text mode; the part of
   an update beyond the current size is kept off screen, because the updates for the
   new mode may arrive before the PropertiesChanged that announces it);
5. optionally types keys (``--keys "ret"``, ``--keys "ctrl-alt-delete 0x1c"``) with the
   generated ``KeyboardProxy`` (Press/Release of QEMU key numbers) once the picture has
   settled (see 6; a BIOS drops keys typed before its prompt), then lets it settle again;
6. writes a PNG (encoded here with zlib and struct) of the console's Width x Height when
   the picture has shown nothing new for ``--settle`` seconds (a blinking cursor, which
   only returns to pictures already shown, does not count), or after ``--wait`` seconds,
   and prints a JSON summary on stdout.

It needs the package generated from QEMU's interface files, importable through PYTHONPATH::

    python3 -m qdbusgen generate interfaces/org.qemu.Display1.*.xml -D HOST_OS=linux -o GEN/qemu_display
    PYTHONPATH=GEN python3 examples/display_snapshot.py --address unix:path=/run/vm1/bus.sock -o vm1.png
    PYTHONPATH=GEN python3 examples/display_snapshot.py --qmp /run/vm1/qmp-display.sock -o vm1.png

See docs/qemu-helpers.md for the walkthrough.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import hashlib
import importlib
import json
import os
import re
import socket
import struct
import sys
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported for real only once the arguments are parsed (--help works without it)
    import qemu_display

SERVICE = "org.qemu"
VM_PATH = "/org/qemu/Display1/VM"
LISTENER_PATH = "/org/qemu/Display1/Listener"
MAX_SIDE = 16384  # refuse pictures larger than this (per side)

GENERATE_HINT = (
    "generate it first and put its parent directory on PYTHONPATH:\n"
    "    python3 -m qdbusgen generate interfaces/org.qemu.Display1.*.xml -D HOST_OS=linux -o GEN/qemu_display\n"
    "    PYTHONPATH=GEN python3 examples/display_snapshot.py --address ADDRESS -o shot.png"
)

# QEMU key numbers ("qnum": PC scancode set 1, 0x80 added for E0-prefixed keys), by the
# names of QEMU's sendkey command.
KEYS: dict[str, int] = {
    "esc": 0x01,
    "minus": 0x0C,
    "equal": 0x0D,
    "backspace": 0x0E,
    "tab": 0x0F,
    "bracket_left": 0x1A,
    "bracket_right": 0x1B,
    "ret": 0x1C,
    "ctrl": 0x1D,
    "semicolon": 0x27,
    "apostrophe": 0x28,
    "grave_accent": 0x29,
    "shift": 0x2A,
    "backslash": 0x2B,
    "comma": 0x33,
    "dot": 0x34,
    "slash": 0x35,
    "shift_r": 0x36,
    "asterisk": 0x37,
    "alt": 0x38,
    "spc": 0x39,
    "caps_lock": 0x3A,
    "num_lock": 0x45,
    "scroll_lock": 0x46,
    "f11": 0x57,
    "f12": 0x58,
    "ctrl_r": 0x9D,
    "alt_r": 0xB8,
    "home": 0xC7,
    "up": 0xC8,
    "pgup": 0xC9,
    "left": 0xCB,
    "right": 0xCD,
    "end": 0xCF,
    "down": 0xD0,
    "pgdn": 0xD1,
    "insert": 0xD2,
    "delete": 0xD3,
    "meta_l": 0xDB,
    "meta_r": 0xDC,
    "menu": 0xDD,
}
KEYS.update({str(d): 0x01 + d for d in range(1, 10)})  # "1" = 0x02 ... "9" = 0x0a
KEYS["0"] = 0x0B
for _row, _first in (("qwertyuiop", 0x10), ("asdfghjkl", 0x1E), ("zxcvbnm", 0x2C)):
    KEYS.update({c: _first + i for i, c in enumerate(_row)})
KEYS.update({f"f{i}": 0x3A + i for i in range(1, 11)})


def parse_keys(spec: str) -> list[list[int]]:
    """``"ctrl-alt-delete ret 0x1c"`` -> ``[[0x1d, 0x38, 0xd3], [0x1c], [0x1c]]``.

    Items are separated by spaces or commas; ``-`` joins keys pressed together (pressed
    in order, released in reverse). A key is a sendkey name or a number (``28``, ``0x1c``).
    """
    combos: list[list[int]] = []
    for item in re.split(r"[\s,]+", spec.strip()):
        if not item:
            continue
        combo = []
        for key in item.split("-"):
            name = key.lower()
            if name in KEYS:
                combo.append(KEYS[name])
                continue
            try:
                code = int(name, 0)
            except ValueError:
                raise ValueError(
                    f"unknown key {key!r} (a sendkey name such as ret, esc, a, f1, or a number)"
                ) from None
            if not 0 < code < 0x100:
                raise ValueError(f"key number {key!r} is out of range (1..255)")
            combo.append(code)
        combos.append(combo)
    if not combos:
        raise ValueError("no keys given")
    return combos


# --------------------------------------------------------------------------- pixels


def channel_offsets(pixman_format: int) -> tuple[int, int, int]:
    """Byte offsets of red, green and blue inside one 32-bit pixel in memory."""
    bpp = pixman_format >> 24
    kind = (pixman_format >> 16) & 0xFF
    bits = pixman_format & 0xFFF  # r, g, b field widths
    if bpp != 32 or bits != 0x888:
        raise ValueError(f"pixman format 0x{pixman_format:08x} is not a 32-bit 8:8:8 format")
    # bit positions of r, g, b in the 32-bit word, per pixman type
    shifts = {2: (16, 8, 0), 3: (0, 8, 16), 8: (8, 16, 24), 9: (24, 16, 8)}.get(kind)
    if shifts is None:
        raise ValueError(f"pixman format 0x{pixman_format:08x} has an unsupported channel order")
    if sys.byteorder == "little":
        return shifts[0] // 8, shifts[1] // 8, shifts[2] // 8
    return 3 - shifts[0] // 8, 3 - shifts[1] // 8, 3 - shifts[2] // 8


class Frame:
    """The picture as RGB bytes, built from Scanout and Update.

    ``width`` x ``height`` is what is shown (set by Scanout and by the console's
    Width/Height). Updates are drawn on a canvas that may be larger: what lies beyond the
    current size is invisible until the size grows to cover it.
    """

    def __init__(self) -> None:
        self.width = self.height = 0
        self.canvas_w = self.canvas_h = 0
        self.canvas = bytearray()
        self.scanouts = 0
        self.scanout_sizes: list[tuple[int, int]] = []  # width x height of each Scanout
        self.updates = 0
        self.changes = 0
        self.last_change = 0.0  # when a picture not seen before appeared
        self._seen: set[bytes] = set()
        self.first_frame = asyncio.Event()
        self.disabled = False

    @property
    def ready(self) -> bool:
        return self.scanouts > 0

    def _grow(self, width: int, height: int) -> None:
        width, height = min(max(width, self.canvas_w), MAX_SIDE), min(
            max(height, self.canvas_h), MAX_SIDE
        )
        if (width, height) == (self.canvas_w, self.canvas_h):
            return
        canvas = bytearray(width * height * 3)
        row = self.canvas_w * 3
        for y in range(min(self.canvas_h, height)):
            canvas[y * width * 3 : y * width * 3 + row] = self.canvas[y * row : (y + 1) * row]
        self.canvas, self.canvas_w, self.canvas_h = canvas, width, height

    def resize(self, width: int, height: int) -> None:
        """The console's size changed (PropertiesChanged Width/Height)."""
        width, height = min(width, MAX_SIDE), min(height, MAX_SIDE)
        if (width, height) != (self.width, self.height):
            self._grow(width, height)
            self.width, self.height = width, height
            self._changed()

    def _changed(self) -> None:
        """Pixels changed: note the time unless the picture is one already shown.

        A blinking text cursor makes the picture alternate between two states forever;
        returning to a known state does not count as a change, so such a picture settles.
        """
        self.changes += 1
        digest = hashlib.blake2b(
            self.canvas,
            digest_size=16,
            key=struct.pack(">4I", self.width, self.height, self.canvas_w, self.canvas_h),
        ).digest()
        if digest not in self._seen:
            if len(self._seen) > 4096:
                self._seen.clear()
            self._seen.add(digest)
            self.last_change = time.monotonic()

    def _draw(
        self, x: int, y: int, width: int, height: int, stride: int, pixman_format: int, data: bytes
    ) -> bool:
        if width <= 0 or height <= 0:
            return False
        if stride < width * 4 or len(data) < stride * (height - 1) + width * 4:
            raise ValueError(
                f"{len(data)} bytes with stride {stride} cannot hold {width}x{height} pixels"
            )
        r, g, b = channel_offsets(pixman_format)
        # clip to the canvas limit (and to non-negative coordinates)
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + width, MAX_SIDE), min(y + height, MAX_SIDE)
        if x0 >= x1 or y0 >= y1:
            return False
        self._grow(x1, y1)
        cols = x1 - x0
        rgb = bytearray(cols * 3)
        changed = False
        row_bytes = self.canvas_w * 3
        for cy in range(y0, y1):
            start = (cy - y) * stride + (x0 - x) * 4
            src = data[start : start + cols * 4]
            rgb[0::3] = src[r::4]
            rgb[1::3] = src[g::4]
            rgb[2::3] = src[b::4]
            at = cy * row_bytes + x0 * 3
            if not changed and cy < self.height and x0 < self.width:
                visible = (min(x1, self.width) - x0) * 3
                changed = self.canvas[at : at + visible] != rgb[:visible]
            self.canvas[at : at + cols * 3] = rgb
        return changed

    def scanout(
        self, width: int, height: int, stride: int, pixman_format: int, data: bytes
    ) -> None:
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ValueError(f"Scanout size {width}x{height} is out of range")
        channel_offsets(pixman_format)  # refuse unsupported formats before replacing the picture
        self.canvas_w = self.canvas_h = 0
        self.canvas = bytearray()
        self.width, self.height = width, height
        self._grow(width, height)
        self._draw(0, 0, width, height, stride, pixman_format, data)
        self.scanouts += 1
        self.scanout_sizes.append((width, height))
        self.disabled = False
        self._changed()
        self.first_frame.set()

    def update(
        self, x: int, y: int, width: int, height: int, stride: int, pixman_format: int, data: bytes
    ) -> None:
        if not self.ready:
            raise ValueError("Update before the first Scanout")
        self.updates += 1
        if self._draw(x, y, width, height, stride, pixman_format, data):
            self._changed()

    def rgb(self) -> bytes:
        """The visible picture, ``width`` x ``height`` RGB pixels."""
        self._grow(self.width, self.height)
        row = self.width * 3
        stride = self.canvas_w * 3
        if stride == row:
            return bytes(self.canvas[: row * self.height])
        return b"".join(
            bytes(self.canvas[y * stride : y * stride + row]) for y in range(self.height)
        )


def png_bytes(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG (filter type 0 on every row, zlib-compressed)."""
    if len(rgb) != width * height * 3:
        raise ValueError(f"{len(rgb)} bytes are not {width}x{height} RGB pixels")
    row = width * 3
    raw = b"".join(b"\x00" + rgb[y * row : (y + 1) * row] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(
        ">IIBBBBB", width, height, 8, 2, 0, 0, 0
    )  # 8 bits, truecolour, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def write_png(path: Path, width: int, height: int, rgb: bytes) -> None:
    """Write the PNG atomically (a temporary file beside it, then rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(png_bytes(width, height, rgb))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- QMP (p2p mode)


def qmp_add_display_client(qmp_path: str, fd: int, timeout: float = 10.0) -> None:
    """``getfd`` (fd passed with SCM_RIGHTS) + ``add_client`` protocol ``@dbus-display``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(qmp_path)
        reader = sock.makefile("rb")

        def read_reply() -> dict[str, Any]:
            while True:
                line = reader.readline()
                if not line:
                    raise ConnectionError(f"QMP socket {qmp_path} closed")
                message: dict[str, Any] = json.loads(line)
                if "event" in message:
                    continue
                if "error" in message:
                    raise RuntimeError(
                        f"QMP error: {message['error'].get('desc', message['error'])}"
                    )
                return message

        def execute(
            command: str, arguments: dict[str, Any] | None = None, fds: tuple[int, ...] = ()
        ) -> None:
            data = (
                json.dumps(
                    {"execute": command, **({"arguments": arguments} if arguments else {})}
                ).encode()
                + b"\n"
            )
            if fds:
                sent = sock.sendmsg(
                    [data],
                    [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())],
                )
                data = data[sent:]
            if data:
                sock.sendall(data)
            read_reply()

        greeting = read_reply()
        if "QMP" not in greeting:
            raise ConnectionError(f"{qmp_path} is not a QMP socket: {greeting!r}")
        execute("qmp_capabilities")
        fdname = f"display-snapshot-{os.getpid()}"
        execute("getfd", {"fdname": fdname}, fds=(fd,))
        execute("add_client", {"protocol": "@dbus-display", "fdname": fdname})


# --------------------------------------------------------------------------- D-Bus


def require_generated() -> None:
    """Exit with a hint when the generated package is not importable."""
    try:
        importlib.import_module("qemu_display")
    except ImportError as exc:
        sys.exit(
            f"display_snapshot: cannot import the generated package 'qemu_display' ({exc});\n{GENERATE_HINT}"
        )


def make_listener(frame: Frame) -> qemu_display.ListenerServer:
    """The org.qemu.Display1.Listener object: a subclass of the generated server drawing into ``frame``."""
    import qemu_display as gen

    class FrameListener(gen.ListenerServer):
        def __init__(self) -> None:
            self.frame = frame

        async def scanout(
            self, width: int, height: int, stride: int, pixman_format: int, data: bytes
        ) -> None:
            try:
                self.frame.scanout(width, height, stride, pixman_format, data)
            except ValueError as exc:
                raise gen.InvalidArgs(str(exc)) from None

        async def update(
            self,
            x: int,
            y: int,
            width: int,
            height: int,
            stride: int,
            pixman_format: int,
            data: bytes,
        ) -> None:
            try:
                self.frame.update(x, y, width, height, stride, pixman_format, data)
            except ValueError as exc:
                raise gen.InvalidArgs(str(exc)) from None

        async def scanout_dmabuf(
            self,
            dmabuf: int,
            width: int,
            height: int,
            stride: int,
            fourcc: int,
            modifier: int,
            y0_top: bool,
        ) -> None:
            os.close(dmabuf)  # a received fd belongs to us; this client cannot map DMABUFs
            raise gen.NotSupported(
                "this listener takes Scanout/Update only (run QEMU without gl=on)"
            )

        async def update_dmabuf(self, x: int, y: int, width: int, height: int) -> None:
            raise gen.NotSupported("no DMABUF scanout")

        async def disable(self) -> None:
            self.frame.disabled = True

        async def mouse_set(self, x: int, y: int, on: int) -> None:
            pass

        async def cursor_define(
            self, width: int, height: int, hot_x: int, hot_y: int, data: bytes
        ) -> None:
            pass

        async def get_interfaces(self) -> list[str]:
            return []  # no optional Listener.* interfaces

    return FrameListener()


NOT_THERE_YET = {
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
}


async def read_vm(vm: qemu_display.VMProxy, connect_timeout: float) -> dict[str, Any]:
    import qemu_display as gen

    deadline = time.monotonic() + connect_timeout
    while True:
        try:
            name = await vm.get_name()
            break
        except gen.DBusError as exc:
            if exc.name not in NOT_THERE_YET or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)  # QEMU has not taken org.qemu on the bus yet
    return {
        "name": name,
        "uuid": await vm.get_uuid(),
        "console_ids": list(await vm.get_console_ids()),
    }


async def read_console(console: qemu_display.ConsoleProxy) -> dict[str, Any]:
    props = await console.get_all()  # one Properties.GetAll round trip, typed per property
    return {
        "label": props.get("Label", ""),
        "type": props.get("Type", ""),
        "width": props.get("Width", 0),
        "height": props.get("Height", 0),
    }


async def run(args: argparse.Namespace) -> int:
    require_generated()
    import qemu_display as gen

    keys = parse_keys(args.keys) if args.keys else []
    started = time.monotonic()
    if args.qmp:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            await asyncio.to_thread(qmp_add_display_client, args.qmp, theirs.fileno())
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        bus = await gen.connect_p2p(ours)  # QEMU is the server on this socket; no bus name
        service = None
    else:
        bus = await gen.connect(args.address)
        service = SERVICE
    listener_bus = None
    try:
        timeout = args.call_timeout
        vm = gen.VMProxy(bus, service, VM_PATH, timeout=timeout)
        vm_info = await read_vm(vm, args.connect_timeout)
        ids = vm_info["console_ids"]
        console_id = args.console if args.console is not None else (ids[0] if ids else 0)
        if console_id not in ids:
            emit(
                "error",
                stage="console",
                reason=f"console {console_id} does not exist (ConsoleIDs {ids})",
            )
            return 2
        console_path = f"/org/qemu/Display1/Console_{console_id}"
        console = gen.ConsoleProxy(bus, service, console_path, timeout=timeout)
        console_info = await read_console(console)
        emit(
            "connected",
            mode="p2p" if args.qmp else "bus",
            vm=vm_info,
            console=console_info,
            path=console_path,
        )

        frame = Frame()
        size_changes: list[tuple[int, int]] = []

        def on_properties(
            changed: qemu_display.ConsolePropertiesChanged, invalidated: list[str]
        ) -> None:
            if "Width" in changed or "Height" in changed:
                width = changed.get("Width", frame.width or console_info["width"])
                height = changed.get("Height", frame.height or console_info["height"])
                console_info["width"], console_info["height"] = width, height
                size_changes.append((width, height))
                if frame.ready:
                    frame.resize(width, height)

        subscription = await console.watch_properties(on_properties)

        # RegisterListener: QEMU replies, then blocks until we authenticate on our end.
        listener = make_listener(frame)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            await console.register_listener(
                gen.UnixFD(theirs.fileno())
            )  # the runtime sends a dup of it
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        listener_bus = await gen.connect_p2p(ours)
        listener.export(listener_bus, LISTENER_PATH)  # before anything else is awaited

        deadline = started + args.wait
        try:
            await asyncio.wait_for(frame.first_frame.wait(), max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            emit("error", stage="frame", reason=f"no Scanout within {args.wait} s")
            return 1

        async def settle(until: float) -> str:
            """Wait until nothing new was shown for --settle seconds ("stable") or until ``until``."""
            while True:
                now = time.monotonic()
                if now - frame.last_change >= args.settle:
                    return "stable"
                if now >= until:
                    return "timeout"
                await asyncio.sleep(min(0.05, until - now))

        reason = await settle(deadline)
        sent_keys: list[list[int]] = []
        if keys:
            # Type into the settled picture (a BIOS drops keys typed before its prompt),
            # then give the guest a new settle period to react.
            keyboard = gen.KeyboardProxy(bus, service, console_path, timeout=timeout)
            for combo in keys:
                for code in combo:
                    await keyboard.press(code)
                for code in reversed(combo):
                    await keyboard.release(code)
                sent_keys.append(combo)
                await asyncio.sleep(args.key_delay)
            frame.last_change = time.monotonic()
            reason = await settle(max(deadline, frame.last_change + args.settle))

        # The console's own size is authoritative for the picture.
        console_info.update(await read_console(console))
        frame.resize(console_info["width"], console_info["height"])
        modifiers = await gen.KeyboardProxy(
            bus, service, console_path, timeout=timeout
        ).get_modifiers()
        await subscription.close()
        output = Path(args.output)
        try:
            write_png(output, frame.width, frame.height, frame.rgb())
        except OSError as exc:
            emit(
                "error",
                stage="write",
                output=str(output),
                reason=f"{exc.strerror or exc}: {exc.filename or output}",
            )
            return 2
        emit(
            "snapshot",
            output=str(output),
            width=frame.width,
            height=frame.height,
            reason=reason,
            elapsed=round(time.monotonic() - started, 3),
            scanouts=frame.scanouts,
            scanout_sizes=frame.scanout_sizes,
            updates=frame.updates,
            changes=frame.changes,
            size_changes=size_changes,
            disabled=frame.disabled,
            keys=sent_keys,
            modifiers=modifiers,
            vm=vm_info,
            console=console_info,
        )
        return 0
    finally:
        if listener_bus is not None:
            listener_bus.disconnect()  # unregisters the listener
        bus.disconnect()


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}, sort_keys=True) + "\n")
    sys.stdout.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="display_snapshot.py",
        description="Save a PNG of a QEMU console (-display dbus) using the org.qemu.Display1 stubs generated by qdbusgen.",
        epilog=GENERATE_HINT.replace(
            "generate it first and put",
            "It needs the generated package qemu_display: generate it and put",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--address", help="D-Bus address of the bus QEMU was given with -display dbus,addr=ADDRESS"
    )
    where.add_argument(
        "--qmp",
        metavar="SOCKET",
        help="QMP socket of a VM started with -display dbus,p2p=yes "
        "(a QMP monitor nobody else is connected to)",
    )
    parser.add_argument(
        "-o", "--output", default="snapshot.png", help="PNG file to write (default: %(default)s)"
    )
    parser.add_argument(
        "--console", type=int, help="console number (default: the first of ConsoleIDs)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=10.0,
        help="write the picture after at most this many seconds (after typing --keys, "
        "at least --settle more) (default: %(default)s)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=1.0,
        help="... or as soon as it has shown nothing new for this many seconds; "
        "a blinking cursor does not count (default: %(default)s)",
    )
    parser.add_argument(
        "--keys",
        help='keys to type once the picture has settled, e.g. "ret" or "ctrl-alt-delete 0x1c" '
        "(sendkey names or QEMU key numbers; - presses keys together)",
    )
    parser.add_argument(
        "--key-delay", type=float, default=0.05, help="pause after each key (default: %(default)s)"
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        help="how long to wait for QEMU to own org.qemu on the bus (default: %(default)s)",
    )
    parser.add_argument(
        "--call-timeout",
        type=float,
        default=10.0,
        help="timeout of each D-Bus call (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.keys:
        try:
            parse_keys(args.keys)
        except ValueError as exc:
            parser.error(f"--keys: {exc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    require_generated()
    import qemu_display as gen

    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
    except (
        OSError,
        RuntimeError,
        ValueError,
        gen.DBusError,
    ) as exc:  # no VM there, QMP refused, bus error ...
        emit("error", stage="run", reason=f"{type(exc).__name__}: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
