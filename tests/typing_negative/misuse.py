"""Misuse of the generated stubs in generated_examples/: mypy --strict rejects every marked line.

tests/test_typing_negative.py runs mypy on this file and compares its output with
expected.txt (line numbers included): keep the line of each mistake stable, or
update expected.txt in the same change. Never executed.
"""

from __future__ import annotations

from qemu_display import (
    ClipboardProxy,
    ClipboardServer,
    ConsolePropertiesChanged,
    ConsoleProxy,
    KeyboardServer,
    MouseProxy,
    MouseServer,
)
from qemu_vmstate import VMState1Proxy, VMState1Server


async def wrong_arguments(vm: VMState1Proxy, console: ConsoleProxy, mouse: MouseProxy) -> None:
    await vm.load("state as text")  # E: str for ay
    await console.set_ui_info(300, 200, 0, 0, 1920)  # E: one argument missing
    await mouse.set_abs_position(1.5, 2)  # E: float for u
    await console.register_listener("/tmp/socket")  # E: str for h
    await console.register_listener(3)  # E: a plain int is not a UnixFD


async def wrong_results(vm: VMState1Proxy, clipboard: ClipboardProxy) -> None:
    text: str = await vm.save()  # E: Save returns bytes
    reply = await clipboard.request(0, ["text/plain"])
    print(reply.mime)  # E: the field is reply_mime
    print(reply[2])  # E: the result has two fields
    mime, data, extra = reply  # E: two fields, three names
    ident: bytes = await vm.get_id()  # E: Id is a str
    print(text, mime, data, extra, ident)


async def unknown_members(vm: VMState1Proxy, mouse: MouseProxy) -> None:
    await vm.get_identifier()  # E: no such property
    await vm.set_id("x")  # E: Id is read-only: no setter
    await mouse.scroll(1)  # E: no such method
    await vm.watch_properties(lambda changed, invalidated: None, True)  # E: one argument too many
    await vm.load(b"x", timeout=1)  # E: no such keyword


def on_console_change(changed: dict[str, int], invalidated: list[str]) -> None:
    pass


def on_one_arg(changed: ConsolePropertiesChanged) -> None:
    pass


def on_good(changed: ConsolePropertiesChanged, invalidated: list[str]) -> None:
    pass


async def wrong_callbacks(console: ConsoleProxy) -> None:
    await console.watch_properties(on_console_change)  # E: changed is a TypedDict
    await console.watch_properties(on_one_arg)  # E: the callback takes two arguments
    await console.watch_properties(lambda changed, invalidated: changed["Widht"])  # E: no such key
    width: str = (await console.watch_properties(on_good)).active  # E: a Subscription, not the value
    print(width)


class BadHelper(VMState1Server):
    async def save(self) -> str:  # E: Save returns bytes
        return "state"

    async def load(self, data: str) -> None:  # E: data is bytes
        pass

    async def get_id(self) -> int:  # E: Id is a str
        return 1


class BadMouse(MouseServer):
    async def set_abs_position(self, x: int) -> None:  # E: y is missing
        pass

    def press(self, button: int) -> None:  # E: handlers are async
        pass


class BadKeyboard(KeyboardServer):
    async def get_modifiers(self) -> str:  # E: Modifiers is a u
        return "shift"


class BadClipboard(ClipboardServer):
    async def request(self, selection: int, mimes: list[str]) -> tuple[str, str]:  # E: data is ay
        return ("text/plain", "hello")


def wrong_emits(keyboard: KeyboardServer) -> None:
    keyboard.notify_modifiers("shift")  # E: Modifiers is a u
    keyboard.notify_nothing(1)  # E: no such property


async def wrong_properties(console: ConsoleProxy) -> None:
    props = await console.get_all()
    label: int = props["Label"]  # E: Label is a str
    print(props["Lable"], label)  # E: no such key
    sub = console.watch_properties(on_good)
    await sub.cancel(1)  # E: close()/cancel() take no argument
