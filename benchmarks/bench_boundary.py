#!/usr/bin/env python3
"""Cost of the runtime's inbound boundary: the same calls with it on and off, in one run.

Both ends are the runtime of this tree (``runtime/``, qdbusgen_runtime) on peer-to-peer
socketpairs in this process: a server (``Echo(s) -> s``, ``Props(a{sv}) -> a{sv}``,
``Save() -> ay`` answering 64 MiB, ``Load(ay)``) and a client, once with the boundary on
and once with it off.  With it on, every frame either end receives is validated before
dbus-fast's compiled reader decodes it (the call on the server, the reply on the client);
with it off, dbus-fast's own reader reads the socket.  Each row runs in short blocks that
alternate between the two (on, off, off, on, ...), so a change in the machine's load hits
both alike; both ends run in this process, so the CPU-time rates (``(cpu)`` rows) are the
least disturbed by other load.  The table gives the medians over the rounds and the median
of the per-round ratios ``on/off`` (target: >= 0.95).  The Props rows send a 12-entry
``a{sv}``: the same every call, with one value new in every call, and with two values
whose lengths change every call, so that no frame is like one seen before.  Bodies are
checked by the compiled check (``_cwire``) where it is built, each in full; with
``--pure`` they are checked in pure Python, as without it: there a valid frame with
variants is remembered (the "same" row costs one set lookup), a body like a remembered
one but in its string texts and numbers is checked against it ("a value new"), and only
the "new lengths" row is walked in full (the pure-Python validator's worst case).

    python3 benchmarks/bench_boundary.py            # 7 rounds
    python3 benchmarks/bench_boundary.py --quick    # smoke run
    python3 benchmarks/bench_boundary.py --pure     # bodies checked as without _cwire
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

BIG = 64 << 20


import qdbusgen_runtime as rt  # noqa: E402
from qdbusgen_runtime import _adapter, _wire  # noqa: E402

IFACE = "com.example.Bench1"
PATH = "/com/example/Bench1"
XML = f'<interface name="{IFACE}"/>'


class Server(rt.ServerBase):  # type: ignore[misc, name-defined]
    INTERFACE = IFACE
    _METHODS = {
        "Echo": rt.MethodSpec("Echo", "s", "s", "echo"),
        "Save": rt.MethodSpec("Save", "", "ay", "save"),
        "Load": rt.MethodSpec("Load", "ay", "", "load"),
        "Props": rt.MethodSpec("Props", "a{sv}", "a{sv}", "props"),
    }
    _INTROSPECTION_XML = XML

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    async def echo(self, text: str) -> str:
        return text

    async def save(self) -> bytes:
        return self.blob

    async def load(self, data: bytes) -> None:
        if len(data) != BIG:
            raise rt.DBusError("com.example.Bench1.Error", "short")

    async def props(self, props: dict[str, Any]) -> dict[str, Any]:
        return props


class Proxy(rt.ProxyBase):  # type: ignore[misc, name-defined]
    INTERFACE = IFACE

    async def echo(self, text: str) -> str:
        return (await self._call("Echo", "s", [text], "s"))[0]  # type: ignore[no-any-return]

    async def save(self) -> bytes:
        return (await self._call("Save", "", [], "ay"))[0]  # type: ignore[no-any-return]

    async def load(self, data: bytes) -> None:
        await self._call("Load", "ay", [data], "")

    async def props(self, props: dict[str, Any]) -> dict[str, Any]:
        return (await self._call("Props", "a{sv}", [props], "a{sv}"))[0]  # type: ignore


async def pair(boundary: bool, blob: bytes) -> tuple[Any, Any, Any]:
    _adapter._INBOUND_BOUNDARY = boundary
    a, b = socket.socketpair()
    server, client = await asyncio.gather(rt.accept_p2p(a), rt.connect_p2p(b))
    Server(blob).export(server, PATH)
    return server, client, Proxy(client, None, PATH)


class Clock:
    """Wall time and CPU time of this process (both ends run here) over a block."""

    def __enter__(self) -> Clock:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


Block = Callable[[Any, int], Awaitable[None]]  # (proxy, block number) -> one block of a row
_fresh = itertools.count()  # values never sent before (in this run)


async def interleaved(
    proxies: dict[bool, Any], blocks: int, block: Block
) -> dict[bool, tuple[float, float]]:
    """Run ``block`` ``blocks`` times on each variant, alternating (on, off, off, on, ...).

    Returns each variant's summed (wall, cpu) seconds.  Blocks a few ms long, paired:
    a change in the machine's load hits both variants alike.
    """
    spent = {True: [0.0, 0.0], False: [0.0, 0.0]}
    for k in range(blocks):
        for boundary in (True, False) if k % 2 == 0 else (False, True):
            with Clock() as c:
                await block(proxies[boundary], k)
            spent[boundary][0] += c.wall
            spent[boundary][1] += c.cpu
    return {v: (w, c) for v, (w, c) in spent.items()}


async def one_round(n_calls: int, n_big: int, blob: bytes) -> dict[bool, dict[str, float]]:
    ends = {v: await pair(v, blob) for v in (True, False)}
    proxies = {v: e[2] for v, e in ends.items()}
    out: dict[bool, dict[str, float]] = {True: {}, False: {}}

    async def row(name: str, blocks: int, amount: float, block: Block) -> None:
        for v, (wall, cpu) in (await interleaved(proxies, blocks, block)).items():
            out[v][name + " (wall)"] = amount / wall
            out[v][name + " (cpu)"] = amount / cpu

    size = 100  # calls per block
    blocks = max(2, n_calls // size)
    props = {f"key{i}": rt.Variant("s", "value") for i in range(10)}
    props["n"] = rt.Variant("i", 7)
    props["nested"] = rt.Variant("a{sv}", {"b": rt.Variant("b", True)})

    async def echo_seq(proxy: Any, k: int) -> None:
        for _ in range(size):
            await proxy.echo("ping")

    async def echo_all(proxy: Any, k: int) -> None:
        await asyncio.gather(*(proxy.echo("ping") for _ in range(size * 10)))

    async def props_same(proxy: Any, k: int) -> None:
        for _ in range(size // 2):
            await proxy.props(props)

    async def props_new(proxy: Any, k: int) -> None:
        fresh = [dict(props, key0=rt.Variant("s", f"v{next(_fresh)}")) for _ in range(size // 2)]
        for p in fresh:
            await proxy.props(p)

    async def props_reshaped(proxy: Any, k: int) -> None:
        fresh = []
        for _ in range(size // 2):
            n = next(_fresh)
            # two lengths that come again together only after 97 * 89 calls
            fresh.append(
                dict(
                    props,
                    key0=rt.Variant("s", "v" * (n % 97)),
                    key1=rt.Variant("s", "w" * (n // 97 % 89)),
                    key2=rt.Variant("s", f"{n:09d}"),  # and never the same frame twice
                )
            )
        for p in fresh:
            await proxy.props(p)

    async def save(proxy: Any, k: int) -> None:
        assert len(await proxy.save()) == BIG

    async def load(proxy: Any, k: int) -> None:
        await proxy.load(blob)

    try:
        for p in proxies.values():
            await p.echo("warm")
            await p.props(props)
        await row("Echo(s) sequential, calls/s", blocks, blocks * size, echo_seq)
        few = max(2, blocks // 2)  # 15 blocks of 1000 calls (7 were too few: noisy)
        await row("Echo(s) 1000 in flight, calls/s", few, few * size * 10, echo_all)
        await row("Props(a{sv}, 12 entries), calls/s", blocks, blocks * size // 2, props_same)
        await row("Props(a{sv}, 12, a value new), calls/s", blocks, blocks * size // 2, props_new)
        reshaped = "Props(a{sv}, 12, new lengths), calls/s"
        await row(reshaped, blocks, blocks * size // 2, props_reshaped)
        await row("Save 64 MiB, MB/s", n_big * 2, n_big * 2 * BIG / 1e6, save)
        await row("Load 64 MiB, MB/s", n_big * 2, n_big * 2 * BIG / 1e6, load)
    finally:
        for server, client, _proxy in ends.values():
            client.disconnect()
            server.disconnect()
        await asyncio.sleep(0)
    return out


async def main_async(rounds: int, n_calls: int, n_big: int) -> None:
    blob = bytes(range(256)) * (BIG // 256)
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for _ in range(rounds):
        out = await one_round(n_calls, n_big, blob)
        for v in (True, False):
            results[v].append(out[v])
    rows = list(results[True][0])
    checks = "compiled (_cwire)" if _wire._compiled_body is not None else "pure Python"
    print(f"inbound boundary on vs off, bodies checked in {checks}")
    print(f"{rounds} rounds (median; on/off ratio: median [min, max])")
    print("(wall) = per second of wall time; (cpu) = per second of this process's CPU time")
    print(f"{'row':46} {'on':>10} {'off':>10}  on/off")
    for row in rows:
        on = [x[row] for x in results[True]]
        off = [x[row] for x in results[False]]
        ratios = [a / b for a, b in zip(on, off)]
        print(
            f"{row:46} {statistics.median(on):10.1f} {statistics.median(off):10.1f}  "
            f"{statistics.median(ratios):.3f} [{min(ratios):.3f}, {max(ratios):.3f}]"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (noisy)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 7, quick 2)")
    parser.add_argument(
        "--pure", action="store_true", help="check bodies in pure Python (as without _cwire)"
    )
    args = parser.parse_args()
    if args.pure:
        _wire._compiled_body = None
    rounds = args.repeat or (2 if args.quick else 7)
    asyncio.run(main_async(rounds, 300 if args.quick else 3000, 1 if args.quick else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
