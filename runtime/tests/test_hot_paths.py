"""The runtime's hot paths (issue 14): handlers without tasks, pieces for large ``ay`` bodies.

Both ends run on peer-to-peer socketpairs in this process (no daemon needed).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import random
import socket
from typing import Any

import pytest
from dbus_fast import Message, Variant

import qdbusgen_runtime as rt
from qdbusgen_runtime import _adapter
from qdbusgen_runtime._wire import ERROR_LIMITS_EXCEEDED

IFACE = "com.example.Hot"
PATH = "/com/example/Hot"
VAR: contextvars.ContextVar[str] = contextvars.ContextVar("hot", default="unset")


class Server(rt.ServerBase):  # type: ignore[misc]
    INTERFACE = IFACE
    _METHODS = {
        "Now": rt.MethodSpec("Now", "s", "s", "now"),
        "Later": rt.MethodSpec("Later", "s", "s", "later"),
        "Fail": rt.MethodSpec("Fail", "", "", "fail"),
        "Hang": rt.MethodSpec("Hang", "", "", "hang"),
        "Echo": rt.MethodSpec("Echo", "iay", "ay", "echo"),
        "Digest": rt.MethodSpec("Digest", "ay", "s", "digest"),
        "Mix": rt.MethodSpec("Mix", "ynqiuxtday", "ynqiuxtds", "mix", multiple_out=True),
        "Timed": rt.MethodSpec("Timed", "d", "s", "timed"),
        "Group": rt.MethodSpec("Group", "b", "s", "group"),
    }
    _PROPERTIES = {"Id": rt.PropertySpec("Id", "s", "read", getter="get_id")}
    _INTROSPECTION_XML = f'<interface name="{IFACE}"/>'

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.hung = 0

    async def now(self, text: str) -> str:
        VAR.set(text)  # must not leak into the next handler
        return text

    async def later(self, text: str) -> str:
        seen = VAR.get()
        VAR.set(text)
        await self.gate.wait()
        return f"{seen} {VAR.get()}"

    async def fail(self) -> None:
        raise rt.DBusError("com.example.Hot.Error.Nope", "nope")

    async def hang(self) -> None:
        self.hung += 1
        await asyncio.Event().wait()

    async def echo(self, n: int, data: bytes) -> bytes:
        return data[:n]

    async def digest(self, data: bytes) -> str:
        assert type(data) is bytes
        return f"{len(data)} {hashlib.sha256(data).hexdigest()}"

    async def mix(self, *values: Any) -> tuple[Any, ...]:
        *scalars, data = values
        assert type(data) is bytes
        return (*scalars, hashlib.sha256(data).hexdigest())

    async def get_id(self) -> str:
        return "hot"

    async def timed(self, wait: float) -> str:
        # asyncio.timeout() needs a current task, before the handler has a real one
        assert asyncio.current_task() is not None
        try:
            async with asyncio.timeout(0.05):
                if wait:
                    await asyncio.sleep(wait)
        except TimeoutError:
            return "timed out"
        return "in time"

    async def group(self, suspend: bool) -> str:
        async with asyncio.TaskGroup() as tg:
            if suspend:
                child = tg.create_task(asyncio.sleep(0.01, "child"))
        return child.result() if suspend else "no child"


class Proxy(rt.ProxyBase):  # type: ignore[misc]
    INTERFACE = IFACE

    async def call(self, member: str, sig: str, body: list[Any], out: str) -> list[Any]:
        return await self._call(member, sig, body, out)  # type: ignore[no-any-return]


async def _pair(**kw: Any) -> tuple[Any, Any, Server, Proxy]:
    a, b = socket.socketpair()
    server_bus = asyncio.ensure_future(rt.accept_p2p(a, **kw))
    client_bus = await rt.connect_p2p(b)
    sbus = await server_bus
    server = Server()
    server.export(sbus, PATH)
    return sbus, client_bus, server, Proxy(client_bus, None, PATH)


def test_a_handler_that_does_not_suspend_runs_without_a_task() -> None:
    async def main() -> None:
        sbus, cbus, server, proxy = await _pair()
        registry = rt._bus._registry_for(sbus)  # type: ignore[attr-defined]
        made: list[Any] = []
        loop = asyncio.get_running_loop()
        real = loop.create_task

        def counting(coro: Any, **kw: Any) -> Any:
            made.append(coro)
            return real(coro, **kw)

        loop.create_task = counting  # type: ignore[method-assign]
        try:
            assert await proxy.call("Now", "s", ["a"], "s") == ["a"]
            assert await proxy._get_property("Id", "s") == "hot"
            assert made == []
            assert registry is not None and registry.inflight == {} and not registry.tasks
            # one that suspends gets a task, and its context is its own
            VAR.set("outer")
            call = asyncio.ensure_future(proxy.call("Later", "s", ["b"], "s"))
            await asyncio.sleep(0.05)
            assert len(made) >= 1 and registry.inflight == {"": 1}
            assert await proxy.call("Now", "s", ["c"], "s") == ["c"]
            server.gate.set()
            assert await call == ["unset b"]
        finally:
            loop.create_task = real  # type: ignore[method-assign]
        assert registry.inflight == {} and not registry.tasks
        with pytest.raises(rt.DBusError) as err:
            await proxy.call("Fail", "", [], "")
        assert err.value.name == "com.example.Hot.Error.Nope"
        cbus.disconnect()
        sbus.disconnect()

    asyncio.run(main())


def test_asyncio_timeout_and_task_groups_work_before_and_after_the_first_suspension() -> None:
    async def main() -> None:
        sbus, cbus, _server, proxy = await _pair()
        assert await proxy.call("Timed", "d", [0.0], "s") == ["in time"]
        assert await proxy.call("Timed", "d", [0.01], "s") == ["in time"]
        assert await proxy.call("Timed", "d", [5.0], "s") == ["timed out"]
        assert await proxy.call("Group", "b", [False], "s") == ["no child"]
        assert await proxy.call("Group", "b", [True], "s") == ["child"]
        cbus.disconnect()
        sbus.disconnect()

    asyncio.run(main())


def test_the_inflight_limit_holds_for_handlers_that_suspend() -> None:
    async def main() -> None:
        sbus, cbus, server, proxy = await _pair(
            limits=rt.Limits(max_inflight_per_peer=3, max_queued_per_peer=2)
        )
        registry = rt._bus._registry_for(sbus)  # type: ignore[attr-defined]
        assert registry is not None
        calls = [asyncio.ensure_future(proxy.call("Hang", "", [], "")) for _ in range(5)]
        await asyncio.sleep(0.1)
        assert server.hung == 3 and registry.inflight == {"": 3}
        assert len(registry.backlog[""]) == 2
        with pytest.raises(rt.DBusError) as err:
            await proxy.call("Now", "s", ["x"], "s")
        assert err.value.name == ERROR_LIMITS_EXCEEDED
        for task in list(registry.tasks):
            task.cancel()  # the slots pass on to the waiting calls
        await asyncio.sleep(0.1)
        assert server.hung == 5
        for task in [*registry.tasks, *calls]:
            task.cancel()
        await asyncio.sleep(0)
        cbus.disconnect()
        sbus.disconnect()

    asyncio.run(main())


def test_an_exception_from_a_handler_that_did_not_suspend_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        sbus, cbus, _server, _proxy = await _pair()
        registry = rt._bus._registry_for(sbus)  # type: ignore[attr-defined]
        assert registry is not None

        async def broken() -> None:
            raise RuntimeError("boom")

        registry.spawn(broken(), "the broken one")
        cbus.disconnect()
        sbus.disconnect()

    with caplog.at_level(logging.ERROR, logger="qdbusgen_runtime"):
        asyncio.run(main())
    assert "the broken one raised an exception" in caplog.text


@pytest.mark.parametrize(
    "sig, body",
    [
        ("ay", lambda b: [b]),
        ("iiiiuuay", lambda b: [1, 2, 3, 4, 5, 6, b]),
        ("ayay", lambda b: [b, b[:70001]]),
        ("yayt", lambda b: [7, b, 2**40]),
        ("sayaayd", lambda b: ["x", b, [b"ab", b"c"], 1.5]),
        ("a{sv}ay(ii)", lambda b: [{"k": Variant("u", 3)}, b, (1, 2)]),
    ],
)
@pytest.mark.parametrize("size", [65536, 65537, 65539, 70003, 1 << 20])
def test_large_ay_pieces_are_the_bytes_dbus_fast_writes(sig: str, body: Any, size: int) -> None:
    data = random.Random(size).randbytes(size)
    for fds in ([], [3]):
        msg = Message(
            destination="a.b", path="/a", interface="a.b", member="M",
            signature=sig, body=body(data), serial=5, unix_fds=fds,
        )  # fmt: skip
        parts = _adapter._marshall_parts(msg, True)
        assert parts is not None and any(p is data for p in parts)
        assert b"".join(parts) == bytes(msg._marshall(True))


def test_large_ay_bodies_cross_a_connection_whole() -> None:
    async def main() -> None:
        sbus, cbus, _server, proxy = await _pair()
        data = random.Random(1).randbytes(3 << 20)
        for n in (0, 1, 65536, 65543, len(data)):
            assert await proxy.call("Echo", "iay", [n, data], "ay") == [data[:n]]
        cbus.disconnect()
        sbus.disconnect()

    asyncio.run(main())


def test_large_ay_frames_are_dispatched_by_the_gate_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large frame whose body is one ``ay`` skips dbus-fast's reader (one copy less): the
    bytes, their order among other messages and the replies stay the same."""
    built: list[int] = []
    deliver = _adapter._InboundGate._deliver_blob

    def spy(self: Any, chunks: list[bytes], head: Any) -> bool:
        taken = deliver(self, chunks, head)
        if taken:
            built.append(head.body_len)
        return taken

    monkeypatch.setattr(_adapter._InboundGate, "_deliver_blob", spy)

    async def main() -> None:
        sbus, cbus, _server, proxy = await _pair()
        data = random.Random(2).randbytes(5 << 20)
        for n in (65536, 65537, 1 << 20, len(data)):
            want = f"{n} {hashlib.sha256(data[:n]).hexdigest()}"
            assert await proxy.call("Digest", "ay", [data[:n]], "s") == [want]
            # a reply whose body is one ay comes the same way
            assert await proxy.call("Echo", "iay", [n, data], "ay") == [data[:n]]
        # small calls sent before and after a large one are answered in order
        calls = [proxy.call("Now", "s", [str(i)], "s") for i in range(20)]
        calls.insert(10, proxy.call("Digest", "ay", [data], "s"))
        results = await asyncio.gather(*calls)
        assert [r[0] for r in results[:10] + results[11:]] == [str(i) for i in range(20)]
        assert results[10] == [f"{len(data)} {hashlib.sha256(data).hexdigest()}"]
        cbus.disconnect()
        sbus.disconnect()

    asyncio.run(main())
    # the server got 5 large Digest calls and 4 large Echo calls (iay: a fixed-size value
    # before the array), the client 4 large Echo replies
    assert len(built) == 13, built


@pytest.mark.parametrize("size", [65536, 65539, 1 << 20])
def test_fixed_size_values_before_a_large_ay_are_read_by_the_gate(
    monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """``ynqiuxtd`` then ``ay``, each at its extremes: the gate reads the values itself and
    hands the handler what dbus-fast's reader would."""
    built: list[int] = []
    deliver = _adapter._InboundGate._deliver_blob

    def spy(self: Any, chunks: list[bytes], head: Any) -> bool:
        taken = deliver(self, chunks, head)
        built.append(taken)
        return taken

    monkeypatch.setattr(_adapter._InboundGate, "_deliver_blob", spy)
    data = random.Random(size).randbytes(size)
    cases = [
        [0, 0, 0, 0, 0, 0, 0, 0.0],
        [255, -(2**15), 2**16 - 1, -(2**31), 2**32 - 1, -(2**63), 2**64 - 1, -1.5e300],
        [7, 2**15 - 1, 1, 2**31 - 1, 1, 2**63 - 1, 1, float("inf")],
    ]

    async def main() -> None:
        sbus, cbus, _server, proxy = await _pair()
        for scalars in cases:
            got = await proxy.call("Mix", "ynqiuxtday", [*scalars, data], "ynqiuxtds")
            assert got == [*scalars, hashlib.sha256(data).hexdigest()]
        cbus.disconnect()
        sbus.disconnect()

    asyncio.run(main())
    assert built == [True] * len(cases)
