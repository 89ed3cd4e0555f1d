#!/usr/bin/env python3
"""Cost of the runtime's inbound boundary: the same calls with it on and off, in one run.

Both ends are the runtime of this tree (``templates/_runtime.py``) on a peer-to-peer
socketpair in this process: a server (``Echo(s) -> s``, ``Save() -> ay`` answering
64 MiB, ``Load(ay)``) and a client.  With the boundary on, every frame either end
receives is validated before dbus-fast's compiled reader decodes it (the call on the
server, the reply on the client); with it off, dbus-fast's own reader reads the socket.
Both ends run in this process, so the CPU-time rates
(``(cpu)`` rows) are the least disturbed by other load.  The variants alternate round by round (the order rotates), and the table gives the
medians and the median of the paired per-round ratios ``on/off`` (target: >= 0.95).

    python3 benchmarks/bench_boundary.py            # 7 rounds
    python3 benchmarks/bench_boundary.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import socket
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIG = 64 << 20


def load_runtime() -> ModuleType:
    path = ROOT / "templates" / "_runtime.py"
    spec = importlib.util.spec_from_file_location("bench_boundary_runtime", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


rt = load_runtime()
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
    rt._INBOUND_BOUNDARY = boundary
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


def record(out: dict[str, float], row: str, amount: float, c: Clock) -> None:
    out[row + " (wall)"] = amount / c.wall
    out[row + " (cpu)"] = amount / c.cpu


async def one_round(boundary: bool, n_calls: int, n_big: int, blob: bytes) -> dict[str, float]:
    server, client, proxy = await pair(boundary, blob)
    out: dict[str, float] = {}
    try:
        await proxy.echo("warm")
        with Clock() as c:
            for _ in range(n_calls):
                await proxy.echo("ping")
        record(out, "Echo(s) sequential, calls/s", n_calls, c)
        with Clock() as c:
            await asyncio.gather(*(proxy.echo("ping") for _ in range(n_calls)))
        record(out, "Echo(s) all in flight, calls/s", n_calls, c)
        props = {f"key{i}": rt.Variant("s", "value") for i in range(10)}
        props["n"] = rt.Variant("i", 7)
        props["nested"] = rt.Variant("a{sv}", {"b": rt.Variant("b", True)})
        with Clock() as c:
            for _ in range(n_calls // 2):
                await proxy.props(props)
        record(out, "Props(a{sv}, 12 entries), calls/s", n_calls // 2, c)
        with Clock() as c:
            for _ in range(n_big):
                assert len(await proxy.save()) == BIG
        record(out, "Save 64 MiB, MB/s", n_big * BIG / 1e6, c)
        with Clock() as c:
            for _ in range(n_big):
                await proxy.load(blob)
        record(out, "Load 64 MiB, MB/s", n_big * BIG / 1e6, c)
    finally:
        client.disconnect()
        server.disconnect()
        await asyncio.sleep(0)
    return out


async def main_async(rounds: int, n_calls: int, n_big: int) -> None:
    blob = bytes(range(256)) * (BIG // 256)
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for r in range(rounds):
        order = (True, False) if r % 2 == 0 else (False, True)
        for boundary in order:
            results[boundary].append(await one_round(boundary, n_calls, n_big, blob))
    rows = list(results[True][0])
    print(f"inbound boundary on vs off, {rounds} rounds (median; on/off ratio: median [min, max])")
    print("(wall) = per second of wall time; (cpu) = per second of this process's CPU time")
    print(f"{'row':44} {'on':>10} {'off':>10}  on/off")
    for row in rows:
        on = [x[row] for x in results[True]]
        off = [x[row] for x in results[False]]
        ratios = [a / b for a, b in zip(on, off)]
        print(
            f"{row:44} {statistics.median(on):10.1f} {statistics.median(off):10.1f}  "
            f"{statistics.median(ratios):.3f} [{min(ratios):.3f}, {max(ratios):.3f}]"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (noisy)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 7, quick 2)")
    args = parser.parse_args()
    rounds = args.repeat or (2 if args.quick else 7)
    asyncio.run(main_async(rounds, 300 if args.quick else 3000, 1 if args.quick else 3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
