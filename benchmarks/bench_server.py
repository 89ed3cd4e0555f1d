#!/usr/bin/env python3
"""Server CPU per call: the generated server against dbus-fast's ServiceInterface, one client.

    python3 benchmarks/bench_server.py [--quick] [--repeat N] [--profile DIR]

Setup (one run): a private ``dbus-daemon`` and two server processes on it.

    generated   the generated VMState1Server / Bench1Server subclasses (``async def``
                handlers, as generated code always has) on the package's connect()
    SI def      dbus-fast ``ServiceInterface`` with plain ``def`` handlers (baseline)
    SI async    the same with ``async def`` handlers (what an asyncio task per call costs
                dbus-fast itself)

Both processes are driven by the same client, this process: raw ``bus.call(Message(...))``
on a plain dbus-fast connection, Ping(s) and Properties.Get(VMState1, Id), one call after
the other.  Each server reports its own CPU time (``time.process_time``, all its threads)
before and after each block of calls, through a pipe; the differences summed over a
round's blocks, divided by its calls, are the server's CPU per call.  A round runs each
row in six short blocks per variant, the variants alternating in a rotating order, so
the variants compared are measured close together in time; each figure is the median over the rounds and each ratio the median
of the per-round ratios against ``SI def`` (min-max in brackets).  The issue's target is
<= 1.10.

``--profile DIR`` runs each server under cProfile (Ping only, generated and SI def only)
and prints where each spends its time per call; the profiles are kept in DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import (  # noqa: E402
    FAST_ASYNC_PATH,
    FAST_SERVICE,
    FAST_SYNC_PATH,
    GEN_SERVICE,
    ID_VALUE,
    PATH,
    PING_TEXT,
    ROOT,
    raw_ops,
    Worker,
    generate_bench_stubs,
    machine_line,
    profile_env,
    profile_summary,
    median,
    ratio_cell,
    rotate,
    server_argv,
)

# variant -> (server process, service, path)
VARIANTS = {
    "generated": ("generated", GEN_SERVICE, PATH),
    "SI def": ("fast", FAST_SERVICE, FAST_SYNC_PATH),
    "SI async": ("fast", FAST_SERVICE, FAST_ASYNC_PATH),
}
BASELINE = "SI def"
BLOCKS = 6  # blocks per variant, row and round
ROWS = (("ping", "Ping, sequential", 3000), ("get", "Properties.Get Id", 2000))


def call_of(bus: Any, row: str, service: str, path: str) -> Any:
    """The raw dbus-fast call of ``row`` (bench_support.raw_ops), and a checked variant."""
    call = raw_ops(bus, service, path, path)["ping" if row == "ping" else "get_id"]

    async def checked() -> None:
        got = await call()
        if got != (PING_TEXT if row == "ping" else ID_VALUE):
            raise RuntimeError(f"{row} on {service} answered {got!r}")

    return call, checked


async def drive(
    address: str, servers: dict[str, Worker], repeat: int, scale: int, profile_only: bool
) -> tuple[dict[tuple[str, str], list[float]], dict[tuple[str, str], list[float]]]:
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_address=address).connect()
    calls = {}
    for name, (proc, service, path) in VARIANTS.items():
        for row, _label, _n in ROWS:
            call, checked = call_of(bus, row, service, path)
            await checked()
            calls[row, name] = (call, servers[proc])
    server_us: dict[tuple[str, str], list[float]] = {}
    client_rate: dict[tuple[str, str], list[float]] = {}
    names = list(VARIANTS)
    rows = ROWS[:1] if profile_only else ROWS
    for r in range(-1, repeat):  # round -1: warm-up, not recorded
        for row, _label, n in rows:
            count = max(2, (n // scale) if r >= 0 else n // 20)
            block = max(1, count // BLOCKS)
            cpu = dict.fromkeys(names, 0.0)
            wall = dict.fromkeys(names, 0.0)
            for b in range(BLOCKS):  # short blocks, the order rotating: paired in time
                for name in rotate(names, b + max(r, 0)):
                    call, server = calls[row, name]
                    cpu0 = float(server.ask("cpu")[0])
                    t0 = time.perf_counter()
                    for _ in range(block):
                        await call()
                    wall[name] += time.perf_counter() - t0
                    cpu[name] += float(server.ask("cpu")[0]) - cpu0
            if r >= 0:
                for name in names:
                    calls_done = block * BLOCKS
                    server_us.setdefault((row, name), []).append(cpu[name] / calls_done * 1e6)
                    client_rate.setdefault((row, name), []).append(calls_done / wall[name])
        if r >= 0:
            print(f"  round {r + 1}/{repeat} done", file=sys.stderr, flush=True)
    bus.disconnect()
    return server_us, client_rate


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick", action="store_true", help="smoke run: a tenth of the calls, 2 rounds"
    )
    ap.add_argument("--repeat", type=int, help="rounds (default 7, or 2 with --quick)")
    ap.add_argument(
        "--profile", type=Path, help="run the servers under cProfile, keep the profiles here"
    )
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.dbus_harness import dbus_daemon_available, private_bus

    if not dbus_daemon_available():
        print(
            "dbus-daemon not found; install it with: apt-get install dbus-daemon", file=sys.stderr
        )
        return 2
    repeat = args.repeat or (2 if args.quick else 7)
    scale = 10 if args.quick else 1
    started, load_before = time.monotonic(), os.getloadavg()[0]
    profiles = {}
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        profiles = {k: args.profile.resolve() / f"server-{k}.prof" for k in ("generated", "fast")}
        # the fast process then serves SI def only, so its profile is of plain def handlers
        VARIANTS.pop("SI async")
    with tempfile.TemporaryDirectory(prefix="qdbusgen-bench-") as tmp:
        stubs = Path(tmp) / "stubs"
        generate_bench_stubs(stubs)
        with private_bus(Path(tmp) / "bus") as bus:
            servers: dict[str, Worker] = {}
            try:
                for kind in ("generated", "fast"):
                    argv = server_argv(kind, bus.address, stubs)
                    servers[kind] = Worker(argv, profile_env(profiles.get(kind)))
                server_us, rates = asyncio.run(
                    drive(bus.address, servers, repeat, scale, bool(profiles))
                )
            finally:
                for worker in servers.values():
                    worker.close()
    print(
        f"{repeat} rounds, servers alternating in rotating order, one raw dbus-fast client;"
        " median per cell"
    )
    print("per round: " + ", ".join(f"{label} x{max(2, n // scale)}" for _r, label, n in ROWS))
    if profiles:
        print("(under cProfile: the figures include the profiler's own cost)")
    print()
    others = [n for n in VARIANTS if n != BASELINE]
    print("SERVER CPU per call (us, the server process) and ratio to SI def (target <= 1.10)")
    head = f"{'row':<22}" + "".join(f"{n:>12}" for n in VARIANTS)
    head += "".join(f"  {n + '/SI def':<20}" for n in others)
    print(head)
    print("-" * len(head))
    for row, label, _n in ROWS[:1] if profiles else ROWS:
        line = f"{label:<22}" + "".join(f"{median(server_us[row, n]):12.1f}" for n in VARIANTS)
        line += "".join(
            f"  {ratio_cell(server_us[row, n], server_us[row, BASELINE], 20)}" for n in others
        )
        print(line)
    print()
    print("calls/s seen by the client (the daemon and both processes share the machine)")
    for row, label, _n in ROWS[:1] if profiles else ROWS:
        line = f"{label:<22}" + "".join(f"{median(rates[row, n]):12.0f}" for n in VARIANTS)
        line += "".join(f"  {ratio_cell(rates[row, n], rates[row, BASELINE], 20)}" for n in others)
        print(line)
    print()
    print(machine_line(started, load_before))
    for kind, path in profiles.items():
        profile_summary(path, "ping" if kind == "generated" else "Ping", f"server {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
