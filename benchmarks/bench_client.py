"""Time generated stubs against raw dbus-fast on one private dbus-daemon.

    python3 benchmarks/bench_client.py [--quick] [--repeat N]

Setup (one run): a private ``dbus-daemon`` (tests/dbus_harness.py), two server
processes and this process as the client, all on that daemon.

* The *generated* server process exports a subclass of the generated
  ``VMState1Server`` (Save, Load, property Id; from interfaces/org.qemu.VMState1.xml)
  and of ``Bench1Server`` (``Ping(s) -> s``, from benchmarks/com.example.Bench1.xml)
  on ``/org/qemu/VMState1``, plus a second VMState1 object on
  ``/org/qemu/VMState1/big`` whose Save answers 64 MiB.
* The *dbus-fast* server process exports the same members as plain dbus-fast
  ``ServiceInterface`` classes, once with ``async def`` handlers (the shape of
  the generated handlers) and once with plain ``def`` handlers.

The stubs are generated afresh through qdbusgen's Python API into a temporary
directory, so the figures are for the generator as it is in this tree; the servers are
bench_support.py's (``serve_generated``, ``serve_fast``), shared with bench_server.py
and bench_bindings.py.

The client uses one connection for everything and measures, per row, these
variants, alternating between them (the order rotates every round, so machine
load and drift hit all of them alike):

    gen   generated proxy (VMState1Proxy / Bench1Proxy)  -> generated server
    raw   bus.call(Message(...)) with the same signature  -> generated server
    fast  bus.call(Message(...))  -> dbus-fast ServiceInterface, async def handlers
    sync  bus.call(Message(...))  -> dbus-fast ServiceInterface, plain def handlers

Client-side cost = gen / raw (same server, same connection).  Server-side cost =
raw / fast and raw / sync (same raw client).  Each figure is the median over the
rounds; each ratio is the median of the per-round ratios (min-max in brackets).
Rates are calls/s; transfers are MB/s with 1 MB = 10^6 bytes (of payload).

Rates include the daemon and the other process, so on a small machine they move
with any load.  The tables therefore also give CPU time per call: of this client
process (``time.process_time``) for the client side, and of the server process
under test (from /proc/PID/task/*/schedstat, in ns) for the server side.
These isolate the stub's own cost and are much steadier than the rates.
"""

import argparse
import asyncio
import gc
import importlib.metadata
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import (  # noqa: E402  (the services, paths and payloads of every benchmark)
    BENCH_IFACE,
    BIG,
    FAST_ASYNC_BIG,
    FAST_ASYNC_PATH,
    FAST_SERVICE,
    FAST_SYNC_BIG,
    FAST_SYNC_PATH,
    GEN_SERVICE,
    ID_VALUE,
    PATH,
    PATH_BIG,
    PING_TEXT,
    PROPERTIES_IFACE,
    SMALL,
    VMSTATE_IFACE,
    generate_bench_stubs,
    payload,
    ratio_cell,
    raw_ops,
    server_argv,
)

# --------------------------------------------------------------------------- servers


def _fast_classes() -> tuple[type, type, type, type]:
    # Annotations are D-Bus signature strings, as dbus-fast expects (no
    # ``from __future__ import annotations`` in this module for that reason).
    from dbus_fast.constants import PropertyAccess
    from dbus_fast.service import ServiceInterface, dbus_property, method

    class AsyncVMState(ServiceInterface):
        def __init__(self, data: bytes) -> None:
            super().__init__(VMSTATE_IFACE)
            self.data = data
            self.loaded = 0

        @method()
        async def Save(self) -> "ay":  # noqa: F821, N802
            return self.data

        @method()
        async def Load(self, data: "ay") -> None:  # noqa: F821, N802
            self.loaded = len(data)

        @dbus_property(access=PropertyAccess.READ)
        async def Id(self) -> "s":  # noqa: F821, N802
            return ID_VALUE

    class AsyncBench(ServiceInterface):
        def __init__(self) -> None:
            super().__init__(BENCH_IFACE)

        @method()
        async def Ping(self, text: "s") -> "s":  # noqa: F821, N802
            return text

    class SyncVMState(ServiceInterface):
        def __init__(self, data: bytes) -> None:
            super().__init__(VMSTATE_IFACE)
            self.data = data
            self.loaded = 0

        @method()
        def Save(self) -> "ay":  # noqa: F821, N802
            return self.data

        @method()
        def Load(self, data: "ay") -> None:  # noqa: F821, N802
            self.loaded = len(data)

        @dbus_property(access=PropertyAccess.READ)
        def Id(self) -> "s":  # noqa: F821, N802
            return ID_VALUE

    class SyncBench(ServiceInterface):
        def __init__(self) -> None:
            super().__init__(BENCH_IFACE)

        @method()
        def Ping(self, text: "s") -> "s":  # noqa: F821, N802
            return text

    return AsyncVMState, AsyncBench, SyncVMState, SyncBench


# --------------------------------------------------------------------------- client operations

Op = Callable[[], Awaitable[Any]]


@dataclass
class Row:
    label: str
    unit: str  # "calls/s" or "MB/s"
    kind: str  # "seq", "inflight" or "transfer"
    count: int
    size: int = 0  # payload bytes per call, for transfers
    ops: dict[str, Op] = field(default_factory=dict)
    results: dict[str, list[float]] = field(default_factory=dict)
    client_cpu: dict[str, list[float]] = field(default_factory=dict)  # us per call
    server_cpu: dict[str, list[float]] = field(default_factory=dict)  # us per call


def process_cpu(pid: int) -> float:
    """CPU time of another process (all its threads), in seconds.

    /proc/PID/task/TID/schedstat counts nanoseconds; /proc/PID/stat (the
    fallback when the kernel has no schedstat) only 10 ms ticks.
    """
    try:
        return (
            sum(
                int((t / "schedstat").read_bytes().split()[0])
                for t in Path(f"/proc/{pid}/task").iterdir()
            )
            / 1e9
        )
    except (OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(row: Row, op: Op, count: int, server_pid: int) -> tuple[float, float, float]:
    """One timed pass of ``row`` with ``op``: (calls/s or MB/s, client CPU us/call, server CPU us/call)."""
    gc.collect()
    cpu0, server0 = time.process_time(), process_cpu(server_pid)
    rate = await _timed(row, op, count)
    cpu1, server1 = time.process_time(), process_cpu(server_pid)
    return rate, (cpu1 - cpu0) / count * 1e6, (server1 - server0) / count * 1e6


async def _timed(row: Row, op: Op, count: int) -> float:
    if row.kind == "inflight":
        sem = asyncio.Semaphore(64)

        async def one() -> None:
            async with sem:
                await op()

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        elapsed = time.perf_counter() - start
    else:
        start = time.perf_counter()
        for _ in range(count):
            await op()
        elapsed = time.perf_counter() - start
    if row.kind == "transfer":
        return row.size * count / 1e6 / elapsed
    return count / elapsed


def generated_ops(bus: Any, stubs: Path, small: bytes, big: bytes) -> dict[str, Op]:
    sys.path.insert(0, str(stubs))
    from bench_ping import Bench1Proxy
    from bench_vmstate import VMState1Proxy

    pinger = Bench1Proxy(bus, GEN_SERVICE, PATH)
    helper = VMState1Proxy(bus, GEN_SERVICE, PATH)
    big_helper = VMState1Proxy(bus, GEN_SERVICE, PATH_BIG)
    return {
        "ping": lambda: pinger.ping(PING_TEXT),
        "get_id": helper.get_id,
        "save": helper.save,
        "save_big": big_helper.save,
        "load": lambda: helper.load(small),
        "load_big": lambda: helper.load(big),
    }


def checked_transfer(op: Op, size: int) -> Op:
    async def run() -> None:
        data = await op()
        if len(data) != size:
            raise RuntimeError(f"Save answered {len(data)} bytes, expected {size}")

    return run


# --------------------------------------------------------------------------- orchestration


def build_rows(variants: dict[str, dict[str, Op]], quick: bool) -> list[Row]:
    n = (
        {"seq": 300, "inflight": 500, "prop": 200, "small": 3, "big": 1}
        if quick
        else {"seq": 3000, "inflight": 5000, "prop": 2000, "small": 20, "big": 2}
    )
    rows = [
        Row("Ping, sequential", "calls/s", "seq", n["seq"]),
        Row("Ping, 64 in flight", "calls/s", "inflight", n["inflight"]),
        Row("Properties.Get Id", "calls/s", "seq", n["prop"]),
        Row("Save 1 MiB", "MB/s", "transfer", n["small"], SMALL),
        Row("Save 64 MiB", "MB/s", "transfer", n["big"], BIG),
        Row("Load 1 MiB", "MB/s", "transfer", n["small"], SMALL),
        Row("Load 64 MiB", "MB/s", "transfer", n["big"], BIG),
    ]
    for name, ops in variants.items():
        rows[0].ops[name] = ops["ping"]
        rows[1].ops[name] = ops["ping"]
        rows[2].ops[name] = ops["get_id"]
        rows[3].ops[name] = checked_transfer(ops["save"], SMALL)
        rows[4].ops[name] = checked_transfer(ops["save_big"], BIG)
        rows[5].ops[name] = ops["load"]
        rows[6].ops[name] = ops["load_big"]
    return rows


async def sanity(variants: dict[str, dict[str, Op]]) -> None:
    for name, ops in variants.items():
        assert await ops["ping"]() == PING_TEXT, name
        assert await ops["get_id"]() == ID_VALUE, name
        assert len(await ops["save"]()) == SMALL, name


async def client(
    address: str, stubs: Path, repeat: int, quick: bool, gen_pid: int, fast_pid: int
) -> list[Row]:
    sys.path.insert(0, str(stubs))
    from bench_vmstate import connect

    bus = await connect(address)  # one connection for every variant
    small, big = payload(SMALL), payload(BIG)
    variants: dict[str, dict[str, Op]] = {
        "gen": generated_ops(bus, stubs, small, big),
        "raw": raw_ops(bus, GEN_SERVICE, PATH, PATH_BIG, small, big),
        "fast": raw_ops(bus, FAST_SERVICE, FAST_ASYNC_PATH, FAST_ASYNC_BIG, small, big),
        "sync": raw_ops(bus, FAST_SERVICE, FAST_SYNC_PATH, FAST_SYNC_BIG, small, big),
    }
    await sanity(variants)
    server_pid = {"gen": gen_pid, "raw": gen_pid, "fast": fast_pid, "sync": fast_pid}
    rows = build_rows(variants, quick)
    names = list(variants)
    # warm-up: every operation a few times (imports, caches, first-call paths)
    for row in rows:
        for name in names:
            await measure(
                row, row.ops[name], min(row.count, 50 if row.size == 0 else 1), server_pid[name]
            )
    for r in range(repeat):
        order = names[r % len(names) :] + names[: r % len(names)]
        for row in rows:
            for name in order:
                rate, client_us, server_us = await measure(
                    row, row.ops[name], row.count, server_pid[name]
                )
                row.results.setdefault(name, []).append(rate)
                row.client_cpu.setdefault(name, []).append(client_us)
                row.server_cpu.setdefault(name, []).append(server_us)
        print(f"  round {r + 1}/{repeat} done", file=sys.stderr, flush=True)
    bus.disconnect()
    return rows


def start_server(kind: str, address: str, stubs: Path) -> subprocess.Popen[bytes]:
    """A server process of bench_support.py (``kind``: generated or fast), once ready."""
    args = server_argv(kind, address, stubs)
    proc = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != b"ready":
        proc.kill()
        raise RuntimeError(f"server {args} did not start (said {line!r}, exit {proc.wait()})")
    return proc


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def print_table(
    title: str,
    rows: list[Row],
    cols: list[tuple[str, str]],
    ratios: list[tuple[str, str, str]],
    cpu: str,
) -> None:
    print(title)
    head = f"{'row':<22}{'unit':<8}" + "".join(f"{h:>11}" for _, h in cols)
    head += "".join(f"  {h:<17}" for *_, h in ratios) + "".join(
        f"{'cpu ' + h:>15}" for _, h in cols
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        cpu_of = row.client_cpu if cpu == "client" else row.server_cpu
        line = f"{row.label:<22}{row.unit:<8}"
        line += "".join(f"{statistics.median(row.results[k]):11.0f}" for k, _ in cols)
        line += "".join(f"  {ratio_cell(row.results[a], row.results[b]):<17}" for a, b, _ in ratios)
        line += "".join(f"{statistics.median(cpu_of[k]):15.0f}" for k, _ in cols)
        print(line)
    print()


def report(rows: list[Row], repeat: int, started: float, load_before: tuple[float, ...]) -> None:
    daemon = subprocess.run(
        ["dbus-daemon", "--version"], capture_output=True, text=True
    ).stdout.splitlines()[0]
    counts = ", ".join(f"{r.label} x{r.count}" for r in rows)
    print(f"{repeat} rounds, variants alternating in rotating order; median per cell")
    print(f"per round: {counts}")
    print("'cpu' columns: CPU time per call in microseconds (median over rounds)")
    print()
    print_table(
        "CLIENT SIDE: generated proxy vs raw bus.call(Message(...)), same connection, same generated server;"
        " cpu = this client process",
        rows,
        [("gen", "generated"), ("raw", "raw")],
        [("gen", "raw", "gen/raw")],
        "client",
    )
    print_table(
        "SERVER SIDE: raw client -> generated ServerBase vs dbus-fast ServiceInterface with async def (SI async)"
        " or plain def (SI def) handlers; cpu = the server process",
        rows,
        [("raw", "ServerBase"), ("fast", "SI async"), ("sync", "SI def")],
        [("raw", "fast", "SB/SI async"), ("raw", "sync", "SB/SI def")],
        "server",
    )
    print(
        f"(Python {sys.version.split()[0]}, dbus-fast {importlib.metadata.version('dbus-fast')}, {daemon}, "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before / {os.getloadavg()[0]:.2f} after, "
        f"{time.monotonic() - started:.0f} s)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: small counts, 2 rounds (well under a minute)",
    )
    ap.add_argument(
        "--repeat", type=int, help="rounds (default 7, or 2 with --quick); the median is reported"
    )
    args = ap.parse_args()

    from tests.dbus_harness import dbus_daemon_available, private_bus

    if not dbus_daemon_available():
        print(
            "dbus-daemon not found; install it with: apt-get install dbus-daemon", file=sys.stderr
        )
        return 2
    repeat = args.repeat or (2 if args.quick else 7)
    started = time.monotonic()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="qdbusgen-bench-") as tmp:
        stubs = Path(tmp) / "stubs"
        generate_bench_stubs(stubs)
        with private_bus(Path(tmp) / "bus") as bus:
            servers = [
                start_server("generated", bus.address, stubs),
                start_server("fast", bus.address, stubs),
            ]
            try:
                rows = asyncio.run(
                    client(bus.address, stubs, repeat, args.quick, servers[0].pid, servers[1].pid)
                )
            finally:
                for proc in servers:
                    stop_server(proc)
    report(rows, repeat, started, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
