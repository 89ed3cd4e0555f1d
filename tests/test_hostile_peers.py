"""One message from a peer never crashes, blinds or disables a generated peer (issue 9).

One regression test per class of the audit.  Each hand-builds the hostile frames
(tests/wire.py), sends them over a real p2p socketpair or a private dbus-daemon, and
then checks that a concurrent well-behaved client is still answered promptly, that the
fds and RSS of the process stayed bounded and that no traceback reached the log.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import Message, MessageFlag, MessageType, Variant

from wire import (
    IFACE,
    PATH,
    Harness,
    LogWatch,
    Peer,
    body_bytes,
    call,
    open_fds,
    proxy_class,
    raw_message,
    rss_mib,
    server_class,
    wait_until,
)

ROOT = Path(__file__).resolve().parent.parent
import qdbusgen_runtime as rt  # noqa: E402

INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
LIMITS = "org.freedesktop.DBus.Error.LimitsExceeded"


def async_test(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 60))

    return wrapper


async def harness(**limits: Any) -> Harness:
    h = Harness(rt, **limits)
    await h.start()
    return h


# ---------------------------------------------------------------------------
# Critical: a variant with an empty signature (dbus-fast's compiled reader segfaults)
# ---------------------------------------------------------------------------

EMPTY_VARIANT_BODY = b"\x00\x00"  # signature length 0, its NUL; no value


def test_dbus_fast_itself_still_segfaults_on_an_empty_variant_signature() -> None:
    """The upstream bug the boundary contains (docs/upstream/), reproduced in a child process."""
    script = ROOT / "docs" / "upstream" / "dbus_fast_empty_variant_segfault.py"
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60)
    assert proc.returncode == -11, (proc.returncode, proc.stdout, proc.stderr)


@async_test
async def test_empty_variant_signature_on_p2p_disconnects_only_the_sender() -> None:
    h = await harness()
    try:
        for member in ("EchoVariant", "Options"):
            peer = await h.hostile()
            sig = "v" if member == "EchoVariant" else "a{sv}"
            body = EMPTY_VARIANT_BODY
            if sig == "a{sv}":  # one entry {"k": <empty variant>}
                body = struct.pack("<I", 8) + b"\0\0\0\0" + struct.pack("<I", 1) + b"k\0" + body
            await peer.send(call(member, sig, body))
            await peer.disconnected()
            await h.assert_still_serving()
        assert any("invalid message" in w for w in h.log.warnings())
        assert h.impl.calls == 0
    finally:
        await h.close()


@async_test
async def test_empty_variant_signature_in_a_reply_fails_the_client_call_only() -> None:
    a, b = socket.socketpair()
    hostile_f = asyncio.ensure_future(rt.accept_p2p(a))
    client = await rt.connect_p2p(b)
    hostile = Peer(await hostile_f)
    log = LogWatch(rt.__name__)
    seen: list[Message] = []

    def on_call(msg: Message) -> bool:
        seen.append(msg)
        reply = raw_message(
            mtype=2, serial=99, reply_serial=msg.serial, signature="v", body=EMPTY_VARIANT_BODY
        )
        asyncio.ensure_future(hostile.send(reply))
        return True

    hostile.bus.add_message_handler(on_call)
    proxy = proxy_class(rt)(client, None, PATH, timeout=5)
    try:
        with pytest.raises(rt.DBusError) as err:
            await proxy.echo_variant(Variant("s", "x"))
        assert isinstance(err.value, rt.DisconnectedError)
        assert seen and not log.tracebacks()
    finally:
        log.close()
        for bus in (client, hostile.bus):
            if bus.connected:
                bus.disconnect()


# ---------------------------------------------------------------------------
# High: raw fd numbers (an h index with no fd attached)
# ---------------------------------------------------------------------------


@async_test
async def test_fd_index_without_fds_is_invalid_args_on_p2p() -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        server_sock_fd = h.servers[-1]._fd
        await peer.send(call("TakeFd", "h", struct.pack("<I", server_sock_fd), serial=5))
        reply = await peer.reply(5)
        assert reply.message_type is MessageType.ERROR and reply.error_name == INVALID_ARGS
        assert h.impl.fd_numbers == []  # the handler never saw a number
        assert peer.bus.connected and h.servers[-1].connected  # nobody's socket was closed
        await h.assert_still_serving()
    finally:
        await h.close()


@async_test
async def test_fd_index_without_fds_is_invalid_args_through_a_daemon(bus: Any) -> None:
    server = await rt.connect(bus.address)
    impl = server_class(rt)()
    impl.export(server, PATH)
    hostile = Peer(await rt.connect(bus.address))
    good = proxy_class(rt)(await rt.connect(bus.address), server.unique_name, PATH, timeout=5)
    log = LogWatch(rt.__name__)
    try:
        frame = call(
            "TakeFd", "h", struct.pack("<I", server._fd), serial=5, destination=server.unique_name
        )
        await hostile.send(frame)
        reply = await hostile.reply(5)
        assert reply.error_name == INVALID_ARGS, reply.body
        assert impl.fd_numbers == [] and server.connected
        # one fd referenced 200 times: refused, not 200 dups (nor a reply the daemon drops)
        r, w = os.pipe()
        frame = call(
            "TakeFds",
            "ah",
            body_bytes("ah", [[0] * 200]),
            serial=6,
            destination=server.unique_name,
            unix_fds=1,
        )
        await hostile.send(frame, [r])
        os.close(r)
        os.close(w)
        reply = await hostile.reply(6)
        assert reply.error_name == INVALID_ARGS, reply.body
        assert impl.fd_numbers == [] and server.connected
        assert await good.echo("x") == "x"
        assert not log.tracebacks()
    finally:
        log.close()
        for b in (server, hostile.bus, good._bus):
            b.disconnect()


@async_test
async def test_limits_given_to_connect_hold_on_a_bus(bus: Any) -> None:
    """``connect(address, limits=...)``: the server's own fd cap (2, below the daemon's 16)
    refuses a call with 3 fds, and a call with 2 is served."""
    server = await rt.connect(bus.address, limits=rt.Limits(max_message_fds=2))
    impl = server_class(rt)()
    impl.export(server, PATH)
    peer = Peer(await rt.connect(bus.address))
    fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(3)]
    try:
        for serial, n in ((7, 3), (8, 2)):
            frame = call(
                "TakeFds",
                "ah",
                body_bytes("ah", [list(range(n))]),
                serial=serial,
                destination=server.unique_name,
                unix_fds=n,
            )
            await peer.send(frame, fds[:n])
        refused, served = await peer.reply(7), await peer.reply(8)
        assert refused.error_name == INVALID_ARGS, refused.body
        assert served.message_type is MessageType.METHOD_RETURN and served.body == [2]
        assert len(impl.fd_numbers) == 2 and server.connected
    finally:
        for fd in fds:
            os.close(fd)
        for b in (server, peer.bus):
            b.disconnect()


@async_test
async def test_hostile_server_cannot_hand_the_client_its_own_fd_numbers() -> None:
    a, b = socket.socketpair()
    hostile_f = asyncio.ensure_future(rt.accept_p2p(a))
    client = await rt.connect_p2p(b)
    hostile = Peer(await hostile_f)

    def on_call(msg: Message) -> bool:
        reply = raw_message(
            mtype=2, serial=99, reply_serial=msg.serial, signature="i", body=struct.pack("<i", 1)
        )
        # answer TakeFd-like calls with an "h" referring to fd 2 (our stderr), no fd attached
        reply = raw_message(
            mtype=2, serial=99, reply_serial=msg.serial, signature="h", body=struct.pack("<I", 2)
        )
        asyncio.ensure_future(hostile.send(reply))
        return True

    hostile.bus.add_message_handler(on_call)

    class FdProxy(rt.ProxyBase):  # type: ignore[misc, name-defined]
        INTERFACE = IFACE

        async def get_fd(self) -> int:
            return (await self._call("GetFd", "", [], "h"))[0]  # type: ignore[no-any-return]

    try:
        with pytest.raises(rt.DBusError) as err:
            await FdProxy(client, None, PATH, timeout=5).get_fd()
        assert err.value.name == INVALID_ARGS
        os.fstat(2)  # still ours, still open
        assert client.connected
    finally:
        for bus in (client, hostile.bus):
            bus.disconnect()


# ---------------------------------------------------------------------------
# Large frames whose body is one ay: checked in chunks, dispatched by the gate itself
# ---------------------------------------------------------------------------

LARGE = 1 << 20  # read in chunks: the large-frame path (_check_large_frame, _deliver_blob)


@pytest.fixture()
def blobs_dispatched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Body lengths of the frames the gate dispatched itself (_deliver_blob), in order."""
    from qdbusgen_runtime import _adapter

    taken: list[int] = []
    deliver = _adapter._InboundGate._deliver_blob

    def spy(self: Any, chunks: list[bytes], head: Any) -> bool:
        body_len = head.body_len
        if deliver(self, chunks, head):
            taken.append(body_len)
            return True
        return False

    monkeypatch.setattr(_adapter._InboundGate, "_deliver_blob", spy)
    return taken


def ay_body(n: int, claimed: int | None = None, after: bytes = b"") -> bytes:
    """An ``ay`` body of ``n`` bytes whose length field says ``claimed``, then ``after``."""
    return struct.pack("<I", n if claimed is None else claimed) + b"\xab" * n + after


LYING_AY = {
    "array longer than the body": ay_body(LARGE, claimed=LARGE + 1),
    "array shorter than the body": ay_body(LARGE, claimed=LARGE - 1),
    "array longer than the limit": ay_body(LARGE, claimed=(1 << 26) + 1),
    "a byte after the array": ay_body(LARGE, after=b"\x00"),
}


@pytest.mark.parametrize("case", sorted(LYING_AY))
@async_test
async def test_a_lying_large_ay_frame_disconnects_only_its_p2p_sender(
    case: str, blobs_dispatched: list[int]
) -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        await peer.send(call("Length", "ay", LYING_AY[case], serial=5))
        await peer.disconnected()
        assert h.impl.lengths == [] and blobs_dispatched == []  # nothing dispatched
        await h.assert_still_serving()
        assert await h.good.length(b"\x01" * LARGE) == LARGE  # the path still serves
        assert blobs_dispatched == [LARGE + 4] and h.impl.lengths == [LARGE]
    finally:
        await h.close()


def measure_body(
    endian: str, x: int, d: float, y: int, n: int, claimed: int | None = None
) -> bytes:
    """An ``xdyay`` body (as Measure takes) in either byte order, built by hand."""
    e = "<" if endian == "l" else ">"
    head = struct.pack(e + "qdB", x, d, y) + b"\x00" * 3  # y, then padding to the length
    return head + struct.pack(e + "I", n if claimed is None else claimed) + b"\xcd" * n


@pytest.mark.parametrize("endian", ["l", "B"])
@async_test
async def test_fixed_size_values_before_a_large_ay_in_either_byte_order(
    endian: str, blobs_dispatched: list[int]
) -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        body = measure_body(endian, -(2**40), -2.5, 250, LARGE)
        await peer.send(call("Measure", "xdyay", body, serial=5, endian=endian))
        reply = await peer.reply(5)
        assert reply.body == [-(2**40), -2.5, 250, LARGE], reply.body
        assert blobs_dispatched == [len(body)] and h.impl.lengths == [LARGE]
        # the array's length lies: refused before any value is read, p2p peer dropped
        lying = measure_body(endian, 1, 1.0, 1, LARGE, claimed=LARGE + 8)
        await peer.send(call("Measure", "xdyay", lying, serial=6, endian=endian))
        await peer.disconnected()
        assert blobs_dispatched == [len(body)] and h.impl.lengths == [LARGE]
        await h.assert_still_serving()
    finally:
        await h.close()


@async_test
async def test_a_large_ay_frame_claiming_an_fd_it_lacks_is_refused_on_p2p(
    blobs_dispatched: list[int],
) -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        await peer.send(call("Length", "ay", ay_body(LARGE), serial=5, unix_fds=1))
        reply = await peer.reply(5)
        assert reply.message_type is MessageType.ERROR and reply.error_name == INVALID_ARGS
        assert h.impl.lengths == [] and blobs_dispatched == []
        assert peer.bus.connected  # a well-formed frame: refused, not disconnected
        await h.assert_still_serving()
    finally:
        await h.close()


@async_test
async def test_a_large_ay_frame_with_an_unreferenced_fd_is_served_and_the_fd_closed(
    blobs_dispatched: list[int],
) -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        r, w = os.pipe()
        try:
            await peer.send(call("Length", "ay", ay_body(LARGE), serial=5, unix_fds=1), fds=[r])
        finally:
            os.close(r)
        reply = await peer.reply(5)
        assert reply.message_type is MessageType.METHOD_RETURN and reply.body == [LARGE]
        assert blobs_dispatched == []  # with fds: through dbus-fast's reader, not the gate
        await h.assert_still_serving()
        # every copy of the read end is closed: the write end sees no reader
        await wait_until(lambda: _no_reader(w), 5)
        os.close(w)
    finally:
        await h.close()


def _no_reader(w: int) -> bool:
    try:
        os.write(w, b"x")
    except BrokenPipeError:
        return True
    return False


@async_test
async def test_a_hostile_p2p_server_cannot_crash_a_client_with_a_lying_large_ay_reply(
    blobs_dispatched: list[int],
) -> None:
    a, b = socket.socketpair()
    hostile_f = asyncio.ensure_future(rt.accept_p2p(a))
    client = await rt.connect_p2p(b)
    hostile = Peer(await hostile_f)
    log = LogWatch(rt.__name__)
    bodies = [ay_body(LARGE, after=b"\x00"), ay_body(LARGE)]

    def on_call(msg: Message) -> bool:
        body = bodies.pop(0)
        reply = raw_message(mtype=2, serial=99, reply_serial=msg.serial, signature="ay", body=body)
        asyncio.ensure_future(hostile.send(reply))
        return True

    hostile.bus.add_message_handler(on_call)
    try:
        proxy = proxy_class(rt)(client, None, PATH, timeout=5)
        with pytest.raises(rt.DBusError):
            await proxy.blob(LARGE)
        assert not client.connected  # the lying server is dropped
        assert blobs_dispatched == [] and not log.tracebacks(), log.tracebacks()
    finally:
        log.close()
        for bus in (client, hostile.bus):
            if bus.connected:
                bus.disconnect()


# ---------------------------------------------------------------------------
# High: fd amplification (one fd referenced N times)
# ---------------------------------------------------------------------------


@async_test
async def test_one_fd_referenced_many_times_is_refused() -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        r, w = os.pipe()
        try:
            for n, serial in ((17, 3), (200, 4), (5000, 5)):
                body = body_bytes("ah", [[0] * n])
                await peer.send(call("TakeFds", "ah", body, serial=serial, unix_fds=1), [r])
                reply = await peer.reply(serial)
                assert reply.error_name == INVALID_ARGS, reply.body
        finally:
            os.close(r)
            os.close(w)
        assert h.impl.fd_numbers == []
        await h.assert_still_serving()
    finally:
        await h.close()


@async_test
async def test_sixteen_references_are_sixteen_fds_and_replies_stay_within_the_cap() -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        r, w = os.pipe()
        try:
            body = body_bytes("ah", [[0] * 16])
            await peer.send(call("TakeFds", "ah", body, serial=3, unix_fds=1), [r])
            reply = await peer.reply(3)
            assert reply.body == [16]
            assert len(set(h.impl.fd_numbers)) == 16  # each occurrence is its own fd
            # echoing 17 fds back would exceed the cap: an error, not a broken connection
            r2 = [os.dup(r) for _ in range(17)]
            try:
                body = body_bytes("ah", [list(range(16))])
                await peer.send(call("EchoFds", "ah", body, serial=4, unix_fds=16), r2[:16])
                reply = await peer.reply(4)
                assert reply.message_type is MessageType.METHOD_RETURN
                for fd in reply.unix_fds:
                    os.close(fd)
            finally:
                for fd in r2:
                    os.close(fd)
        finally:
            os.close(r)
            os.close(w)
        await h.assert_still_serving()
    finally:
        await h.close()


@async_test
async def test_a_reply_with_more_fds_than_the_cap_is_an_error() -> None:
    h = await harness(max_message_fds=4)
    try:
        peer = await h.hostile()
        fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(4)]
        try:
            body = body_bytes("ah", [[0, 1, 2, 3, 0]])
            await peer.send(call("EchoFds", "ah", body, serial=4, unix_fds=4), fds)
            reply = await peer.reply(4)
            assert reply.error_name == INVALID_ARGS  # 5 h values > 4
            body = body_bytes("ah", [[0, 1, 2, 3]])
            await peer.send(call("EchoFds", "ah", body, serial=5, unix_fds=4), fds)
            reply = await peer.reply(5)
            assert reply.message_type is MessageType.METHOD_RETURN and len(reply.unix_fds) == 4
            for fd in reply.unix_fds:
                os.close(fd)
        finally:
            for fd in fds:
                os.close(fd)
        await h.assert_still_serving()
    finally:
        await h.close()


# ---------------------------------------------------------------------------
# Medium: fds inside variants
# ---------------------------------------------------------------------------


@async_test
async def test_fds_inside_variants_are_closed_unless_the_handler_keeps_them() -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        for i in range(200):
            r, w = os.pipe()
            body = body_bytes("a{sv}", [{"fd": Variant("h", 0), "n": Variant("i", i)}])
            await peer.send(call("Options", "a{sv}", body, serial=10 + i, unix_fds=1), [r])
            os.close(r)
            os.close(w)
            assert (await peer.reply(10 + i)).body == [2]
        await h.assert_still_serving()  # 200 calls, no fd left behind
        h.impl.keep = True
        r, w = os.pipe()
        body = body_bytes("a{sv}", [{"fd": Variant("h", 0)}])
        await peer.send(call("Options", "a{sv}", body, serial=1000, unix_fds=1), [r])
        os.close(r)
        await peer.reply(1000)
        (kept,) = h.impl.kept
        os.write(w, b"x")
        assert os.read(kept, 1) == b"x"  # a kept fd stays open: the handler owns it
        os.close(kept)
        os.close(w)
        await h.assert_still_serving()
    finally:
        await h.close()


@async_test
async def test_a_client_owns_fds_received_inside_variants_and_dropped_signals_close_theirs() -> (
    None
):
    """Client side: fds in variants are the caller's (results, signals); a stream closes
    the fds of the signals it drops."""
    a, b = socket.socketpair()
    hostile_f = asyncio.ensure_future(rt.accept_p2p(a))
    client = await rt.connect_p2p(b)
    hostile = Peer(await hostile_f)
    body = body_bytes("a{sv}", [{"fd": Variant("h", 0), "n": Variant("i", 1)}])

    def on_call(msg: Message) -> bool:
        r, w = os.pipe()
        os.write(w, b"r")
        reply = raw_message(
            mtype=2, serial=99, reply_serial=msg.serial, signature="a{sv}", unix_fds=1, body=body
        )

        async def answer() -> None:
            await hostile.send(reply, [r])
            os.close(r)
            os.close(w)

        asyncio.ensure_future(answer())
        return True

    hostile.bus.add_message_handler(on_call)

    class OptionsProxy(rt.ProxyBase):  # type: ignore[misc, name-defined]
        INTERFACE = IFACE

        async def options(self) -> dict[str, Any]:
            return (await self._call("GetOptions", "", [], "a{sv}"))[0]  # type: ignore

    proxy = OptionsProxy(client, None, PATH, timeout=5)
    log = LogWatch(rt.__name__)
    try:
        before = len(open_fds())
        options = await proxy.options()
        fd = options["fd"].value
        assert os.read(fd, 1) == b"r"  # a new fd of ours, open: the caller's to close
        os.close(fd)
        async with proxy._signals("Opened", signature="a{sv}", maxsize=2) as stream:
            for i in range(50):
                r, w = os.pipe()
                frame = raw_message(
                    mtype=4,
                    serial=1000 + i,
                    path=PATH,
                    interface=IFACE,
                    member="Opened",
                    signature="a{sv}",
                    unix_fds=1,
                    body=body,
                )
                await hostile.send(frame, [r])
                os.close(r)
                os.close(w)
            await wait_until(lambda: stream.dropped == 48)
            assert len(open_fds()) <= before + 2  # the two queued signals' fds, no more
            for _ in range(2):
                (received,) = await stream.__anext__()
                os.close(received["fd"].value)
        await wait_until(lambda: len(open_fds()) <= before)
        assert client.connected and not log.tracebacks()
    finally:
        log.close()
        for bus in (client, hostile.bus):
            bus.disconnect()


# ---------------------------------------------------------------------------
# Medium: unbounded output queues
# ---------------------------------------------------------------------------


@async_test
async def test_a_p2p_peer_that_stops_reading_is_disconnected() -> None:
    h = await harness()
    try:
        server, client = await h.connect()
        client._loop.remove_reader(client._fd)  # the peer stops reading
        obj = server_class(rt)()
        obj.export(server, "/org/qdbusgen/Emitter")
        rss0 = rss_mib()
        for i in range(100_000):
            obj._emit_signal("Tick", "s", [f"tick {i:040d}" * 16])
            if not server.connected:
                break
            if i % 1000 == 0:
                await asyncio.sleep(0)
        await wait_until(lambda: not server.connected)
        assert rss_mib() - rss0 < 200
        assert any("does not read" in w for w in h.log.warnings())
        client.disconnect()
        await h.assert_still_serving(rss_slack_mib=256)
    finally:
        await h.close()


@async_test
async def test_fds_of_messages_still_queued_when_the_connection_drops_are_closed() -> None:
    a, b = socket.socketpair()
    hostile_f = asyncio.ensure_future(rt.accept_p2p(a))
    client = await rt.connect_p2p(b)
    hostile = Peer(await hostile_f)
    hostile.bus._loop.remove_reader(hostile.bus._fd)  # reads nothing: the client's queue fills

    class PutProxy(rt.ProxyBase):  # type: ignore[misc, name-defined]
        INTERFACE = IFACE

        async def put(self, fd: int, data: bytes) -> None:
            await self._call("Put", "hay", [fd, data], "")

    proxy = PutProxy(client, None, PATH, timeout=30)
    log = LogWatch(rt.__name__)
    try:
        before = len(open_fds())
        r, w = os.pipe()
        calls = [asyncio.ensure_future(proxy.put(r, b"x" * (1 << 20))) for _ in range(20)]
        await asyncio.sleep(0.2)
        writer = client._writer
        assert len(writer.messages) >= 10  # waiting in the queue, each with its dup of r
        assert len(open_fds()) >= before + 2 + 10
        hostile.bus.disconnect()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(e, rt.DisconnectedError) for e in results), results
        os.close(r)
        os.close(w)
        await wait_until(lambda: len(open_fds()) <= before)
        assert not log.tracebacks()
    finally:
        log.close()
        for bus in (client, hostile.bus):
            bus.disconnect()


@pytest.mark.parametrize("runtime_limit", [True, False], ids=["runtime limit", "control"])
def test_a_bus_caller_that_does_not_read_cannot_delay_others(
    tmp_path: Path, runtime_limit: bool
) -> None:
    """A caller that never reads its 1 MiB replies, through a daemon that holds at most
    16 MiB for it (then the daemon stops reading the server: its replies to everybody
    queue up in the server's socket).  With the runtime's per-destination limit
    (``max_outgoing_bytes_per_peer``, 8 MiB) another caller is answered at once; the
    control, the same server with the limit lifted, leaves that caller without replies:
    it is the runtime's limit that keeps it served, not the daemon's."""
    from dbus_harness import bus_config, private_bus

    config = bus_config(tmp_path / "d" / "bus.sock").replace(
        '<limit name="max_outgoing_bytes">1000000000</limit>',
        '<limit name="max_outgoing_bytes">16777216</limit>',
    )
    limits = None if runtime_limit else rt.Limits(max_outgoing_bytes_per_peer=1 << 40)

    async def main(address: str) -> None:
        server = await rt.connect(address, limits=limits)
        impl = server_class(rt)()
        impl.export(server, PATH)
        hog = Peer(await rt.connect(address))
        timeout = 10 if runtime_limit else 3
        good = proxy_class(rt)(await rt.connect(address), server.unique_name, PATH, timeout=timeout)
        log = LogWatch(rt.__name__)
        try:
            hog.bus._loop.remove_reader(hog.bus._fd)  # sends, never reads
            for i in range(300):
                frame = call("Blob", "u", [1 << 20], serial=100 + i, destination=server.unique_name)
                await hog.send(frame)
            if not runtime_limit:
                await asyncio.sleep(0.5)  # the server has answered what it read by now
                with pytest.raises(rt.NoReply):
                    await good.echo("x")
                return
            loop = asyncio.get_running_loop()
            worst = 0.0
            for i in range(20):
                t = loop.time()
                assert await good.echo(f"x{i}") == f"x{i}"
                worst = max(worst, loop.time() - t)
                await asyncio.sleep(0.05)
            assert worst < 2.0, worst
            assert server.connected and not log.tracebacks()
        finally:
            log.close()
            for b in (server, hog.bus, good._bus):
                b.disconnect()

    with private_bus(tmp_path / "d", config) as bus:
        asyncio.run(asyncio.wait_for(main(bus.address), 60))


# ---------------------------------------------------------------------------
# Medium: signal streams are bounded
# ---------------------------------------------------------------------------


@async_test
async def test_signal_streams_are_bounded_by_default() -> None:
    h = await harness()
    try:
        server, client = await h.connect()
        obj = server_class(rt)()
        obj.export(server, "/org/qdbusgen/Emitter")
        proxy = proxy_class(rt)(client, None, "/org/qdbusgen/Emitter")
        rss0 = rss_mib()
        async with proxy._signals("Tick", signature="s") as stream:
            for i in range(50_000):
                obj._emit_signal("Tick", "s", ["x" * 1000])
                if i % 100 == 0:  # a reading peer, a stream nobody reads
                    await asyncio.sleep(0.001)
            await wait_until(lambda: stream.dropped + stream._queue.qsize() >= 50_000, 20)
            assert stream._queue.qsize() == rt.DEFAULT_STREAM_MAXSIZE == 1024
            assert stream.dropped == 50_000 - 1024
            first = await stream.__anext__()
            assert first == ["x" * 1000]
        assert rss_mib() - rss0 < 64
        async with proxy._signals("Tick", signature="s", maxsize=2, overflow="raise") as s2:
            for _ in range(5):
                obj._emit_signal("Tick", "s", ["y"])
            await wait_until(lambda: s2.dropped == 3)
            with pytest.raises(rt.SignalOverflowError) as err:
                await s2.__anext__()
            assert err.value.dropped == 3
            assert await s2.__anext__() == ["y"]
        await h.assert_still_serving()
    finally:
        await h.close()


# ---------------------------------------------------------------------------
# Low-medium: a flood of calls from one peer does not starve the others
# ---------------------------------------------------------------------------


@async_test
async def test_a_flood_of_no_reply_calls_does_not_starve_another_client() -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        frames = b"".join(
            call("Nothing", serial=1 + i, flags=int(MessageFlag.NO_REPLY_EXPECTED))
            for i in range(50_000)
        )
        flood = asyncio.ensure_future(peer.send(frames))
        loop = asyncio.get_running_loop()
        worst = 0.0
        while not flood.done():
            t = loop.time()
            assert await h.good.echo("me") == "me"
            worst = max(worst, loop.time() - t)
        await flood
        assert worst < 1.0, worst
        await h.assert_still_serving()
    finally:
        await h.close()


@async_test
async def test_service_interface_objects_are_outside_the_per_peer_cap() -> None:
    """Documented (README Security, Limits): the in-flight cap holds for generated objects;
    a dbus-fast ServiceInterface on the same connection is dispatched by dbus-fast itself."""
    from dbus_fast.service import ServiceInterface, method

    release = asyncio.Event()
    peaks = {"generated": [0, 0], "service": [0, 0]}  # running now, most at once

    async def hold(kind: str) -> None:
        now = peaks[kind]
        now[0] += 1
        now[1] = max(now[1], now[0])
        await release.wait()
        now[0] -= 1

    class Generated(rt.ServerBase):  # type: ignore[misc, name-defined]
        INTERFACE = "org.qdbusgen.Generated1"
        _METHODS = {"Hold": rt.MethodSpec("Hold", "", "", "hold")}
        _INTROSPECTION_XML = '<interface name="org.qdbusgen.Generated1"/>'

        async def hold(self) -> None:
            await hold("generated")

    class Service(ServiceInterface):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__("org.qdbusgen.Service1")

        @method()  # type: ignore[untyped-decorator]
        async def Hold(self):  # type: ignore[no-untyped-def]  # noqa: N802 - D-Bus name
            await hold("service")

    h = await harness(max_inflight_per_peer=2)
    try:
        server, client = await h.connect()
        Generated().export(server, "/org/qdbusgen/Generated")
        server.export("/org/qdbusgen/Service", Service())

        def hold_call(path: str, iface: str) -> Any:
            return client.call(Message(path=path, interface=iface, member="Hold"))

        calls = [hold_call("/org/qdbusgen/Generated", "org.qdbusgen.Generated1") for _ in range(6)]
        calls += [hold_call("/org/qdbusgen/Service", "org.qdbusgen.Service1") for _ in range(6)]
        tasks = [asyncio.ensure_future(c) for c in calls]
        await wait_until(lambda: peaks["service"][0] == 6 and peaks["generated"][0] == 2)
        await asyncio.sleep(0.1)
        assert peaks["generated"][1] == 2  # the cap: 2 run, 4 wait in the peer's backlog
        assert peaks["service"][1] == 6  # dbus-fast's own dispatch: not under the cap
        await h.assert_still_serving()  # another peer is served meanwhile
        release.set()
        replies = await asyncio.gather(*tasks)
        assert all(r.message_type is MessageType.METHOD_RETURN for r in replies)
    finally:
        await h.close()


# ---------------------------------------------------------------------------
# Low: invalid values, missing header fields, long peer input, lax SASL
# ---------------------------------------------------------------------------


def _string(text: bytes, nul: bool = True) -> bytes:
    return struct.pack("<I", len(text)) + text + (b"\0" if nul else b"")


LOW_FRAMES = {
    "object path that is not one": call("EchoPath", "o", _string(b"not/a//path")),
    # dbus-fast's validators match with "$", which also matches before a final newline
    "object path ending in a newline": call("EchoPath", "o", _string(b"/a\n")),
    "object path with a newline in an element": call("EchoPath", "o", _string(b"/a\n/b")),
    "PATH ending in a newline": call("Echo", "s", ["x"], path=PATH + "\n"),
    "INTERFACE ending in a newline": call("Echo", "s", ["x"], interface=IFACE + "\n"),
    "MEMBER with a hyphen": call("Ec-ho", "s", ["x"]),
    "MEMBER ending in a newline": call("Echo\n", "s", ["x"]),
    "SENDER that is not a bus name": call("Echo", "s", ["x"], sender=": x"),
    "boolean 2": call("EchoBool", "b", struct.pack("<I", 2)),
    "boolean 0xDEADBEEF": call("EchoBool", "b", struct.pack("<I", 0xDEADBEEF)),
    "string without its NUL": call("Echo", "s", _string(b"abc", nul=False) + b"X"),
    "string with a NUL inside": call("Echo", "s", _string(b"a\0c")),
    "string that is not UTF-8": call("Echo", "s", _string(b"\xff\xfe")),
    "serial 0": call("Echo", "s", ["x"], serial=0),
    "Introspect without PATH": raw_message(
        member="Introspect", interface="org.freedesktop.DBus.Introspectable"
    ),
    "method call without MEMBER": raw_message(path=PATH, interface=IFACE),
    "body without SIGNATURE": raw_message(path=PATH, member="Echo", body=_string(b"x")),
    "bytes after the body": call("Echo", "s", _string(b"x") + b"\0\0\0\0"),
    "containers nested 65 deep": call("EchoVariant", "v", b"\x01v\x00" * 65 + b"\x01y\x00\x01"),
}


@pytest.mark.parametrize("case", sorted(LOW_FRAMES))
@async_test
async def test_invalid_values_disconnect_a_p2p_peer_with_one_log_line(case: str) -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        await peer.send(LOW_FRAMES[case])
        await peer.disconnected()
        lines = [w for w in h.log.warnings() if "invalid message" in w]
        assert len(lines) == 1, h.log.warnings()
        assert h.impl.calls == 0
        await h.assert_still_serving()
    finally:
        await h.close()


@async_test
async def test_error_texts_quote_peer_input_cut_short() -> None:
    h = await harness()
    try:
        peer = await h.hostile()
        name = "N" * (1 << 20)
        body = body_bytes("ss", [IFACE, name])
        frame = call("Get", "ss", body, serial=9, interface="org.freedesktop.DBus.Properties")
        await peer.send(frame)
        reply = await peer.reply(9)
        assert reply.error_name == "org.freedesktop.DBus.Error.UnknownProperty"
        assert len(reply.body[0]) < 200, len(reply.body[0])
        await h.assert_still_serving()
    finally:
        await h.close()


@pytest.mark.parametrize(
    ("identity", "accepted"),
    [("0", True), ("+0", False), ("0_0", False), (" 0", False), ("00", False), ("0 ", False)],
)
@async_test
async def test_sasl_identities_are_strict_decimal(identity: str, accepted: bool) -> None:
    if os.getuid() != 0:
        identity = (
            identity.replace("0", str(os.getuid()), 1)
            if identity != "00"
            else "0" + str(os.getuid())
        )
    a, b = socket.socketpair()
    server = asyncio.ensure_future(rt.accept_p2p(a, auth_timeout=5))
    loop = asyncio.get_running_loop()
    b.setblocking(False)
    await loop.sock_sendall(b, b"\0AUTH EXTERNAL " + identity.encode().hex().encode() + b"\r\n")
    answer = await asyncio.wait_for(loop.sock_recv(b, 200), 5)
    assert answer.startswith(b"OK " if accepted else b"REJECTED"), answer
    b.close()
    with pytest.raises(Exception):
        await server
