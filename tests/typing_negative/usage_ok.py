"""Correct use of the generated stubs in generated_examples/: must pass mypy --strict.

The counterpart of misuse.py (tests/test_typing_negative.py type-checks both). Never executed.
"""

from __future__ import annotations

import os
import socket

from qemu_display import (
    ClipboardProxy,
    ClipboardRequestResult,
    ClipboardServer,
    ConsoleProperties,
    ConsolePropertiesChanged,
    ConsoleProxy,
    InvalidArgs,
    KeyboardServer,
    NameFlag,
    RequestNameReply,
    ListenerServer,
    MouseProxy,
    MouseServer,
    Subscription,
    UnixFD,
    accept_p2p,
    connect,
    connect_p2p,
    request_name,
)
from qemu_display import DBusError as DisplayError
from qemu_vmstate import DBusError, VMState1Proxy, VMState1Server


class Helper(VMState1Server):
    def __init__(self) -> None:
        self.state = b""

    async def get_id(self) -> str:
        return "helper"

    async def save(self) -> bytes:
        return self.state

    async def load(self, data: bytes) -> None:
        self.state = data


class Mouse(MouseServer):
    absolute = False

    async def set_abs_position(self, x: int, y: int) -> None:
        if not self.absolute:
            raise DisplayError("org.qemu.Display1.Error.Invalid", "not absolute")

    async def get_is_absolute(self) -> bool:
        return self.absolute


class Keyboard(KeyboardServer):
    async def get_modifiers(self) -> int:
        return 0

    async def press(self, keycode: int) -> None:
        self.notify_modifiers(1)


class Clipboard(ClipboardServer):
    async def request(self, selection: int, mimes: list[str]) -> tuple[str, bytes]:
        return (mimes[0], b"hello")


class Listener(ListenerServer):
    async def scanout(self, width: int, height: int, stride: int, pixman_format: int, data: bytes) -> None:
        pass

    async def scanout_dmabuf(
        self, dmabuf: UnixFD, width: int, height: int, stride: int, fourcc: int, modifier: int, y0_top: bool
    ) -> None:
        os.close(dmabuf)


def on_console_change(changed: ConsolePropertiesChanged, invalidated: list[str]) -> None:
    width: int = changed.get("Width", 0)
    print(width, invalidated)


async def client(address: str) -> None:
    bus = await connect(address)
    vm = VMState1Proxy(bus, "org.qemu.VMState1", "/org/qemu/VMState1")
    ident: str = await vm.get_id()
    data: bytes = await vm.save()
    await vm.load(data)
    await vm.load(bytearray(data))
    console = ConsoleProxy(bus, "org.qemu", "/org/qemu/Display1/Console_0", timeout=5.0)
    await console.set_ui_info(300, 200, 0, 0, 1920, 1080)
    sub: Subscription = await console.watch_properties(on_console_change)
    await sub.close()
    async with console.watch_properties(on_console_change) as watching:
        print(watching.active)
    props: ConsoleProperties = await console.get_all()
    label: str = props.get("Label", "")
    print(label)
    try:
        await console.set_ui_info(0, 0, 0, 0, 0, 0)
    except InvalidArgs as e:
        print(e.name, e.text)
    await console.close()
    reply_to_name: RequestNameReply = await request_name(bus, "org.example.Helper", NameFlag.DO_NOT_QUEUE)
    print(reply_to_name is RequestNameReply.PRIMARY_OWNER)
    mouse = await MouseProxy.new(bus, "org.qemu", "/org/qemu/Display1/Console_0")
    try:
        await mouse.set_abs_position(10, 20)
    except DBusError as e:
        print(e.name, e.text)
    clipboard = ClipboardProxy(bus, "org.qemu", "/org/qemu/Display1/Clipboard")
    reply: ClipboardRequestResult = await clipboard.request(0, ["text/plain"])
    print(ident, reply.reply_mime, len(reply.data))
    ours, theirs = socket.socketpair()
    await console.register_listener(UnixFD(theirs.fileno()))
    theirs.close()
    p2p = await connect_p2p(ours)
    Listener().export(p2p, "/org/qemu/Display1/Listener")
    Helper().export(bus, "/org/qemu/VMState1")
    Mouse().export(bus, "/org/qemu/Display1/Console_0")
    p2p.disconnect()


async def fake_qemu(fd: int) -> None:
    p2p = await accept_p2p(fd)
    p2p.disconnect()
