#!/usr/bin/env python3
"""The generated client against other Python D-Bus clients, each in its own process, one server.

    python3 benchmarks/bench_bindings.py [--quick] [--repeat N]

Setup (one run): a private ``dbus-daemon`` (tests/dbus_harness.py) and on it one server
process, the generated server of bench_client.py (VMState1: Save, Load, property Id;
Bench1: Ping; a VMState1 answering 64 MiB on a second path), generated afresh through
qdbusgen's Python API.  Five client processes talk to it, one at a time:

    generated    the generated proxies (Bench1Proxy, VMState1Proxy) on the package's connect()
    dbus-fast    raw ``await bus.call(Message(...))`` on a plain dbus_fast MessageBus (baseline)
    sdbus        python-sdbus (async proxies, sd-bus underneath)
    dbus-python  dbus-python (the system's python3-dbus, run by /usr/bin/python3; blocking
                 calls, and reply handlers on a GLib main loop for the in-flight row)
    floor        no D-Bus code at all: frames marshalled once, sent with their serial patched,
                 replies matched by REPLY_SERIAL unread (floor_ops): for the small calls, about
                 the least a client on asyncio can spend (a future, a reader callback, two
                 loop turns and the syscalls); its 1 MiB rows copy through a bytearray and
                 are no floor.  No peak rows.

Each client measures itself: calls/s (``time.perf_counter``) and its own CPU time per
call (``time.process_time``).  Rows: Ping sequential, Ping 64 in flight, Properties.Get,
Save 1 MiB (``ay`` out), Load 1 MiB (``ay`` in).  A round runs each row in six short
blocks per client, the clients alternating in a rotating order, so the clients compared
are measured close together in time; each figure is the median over the rounds and each ratio the median of the
per-round ratios against dbus-fast (min-max in brackets).  Then each client, in a fresh
process, makes two 64 MiB Save calls and, in another, two 64 MiB Load calls, and reports
its peak RSS (``ru_maxrss``) against the issue's bound of 2.5 x payload + 30 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import (  # noqa: E402
    BENCH_IFACE,
    BIG,
    GEN_SERVICE,
    ID_VALUE,
    PATH,
    PATH_BIG,
    PING_TEXT,
    PROPERTIES_IFACE,
    ROOT,
    SMALL,
    VMSTATE_IFACE,
    Worker,
    machine_line,
    median,
    payload,
    profile_env,
    profile_summary,
    ratio_cell,
    raw_ops,
    rotate,
    run_once,
    start_profile,
)

CLIENTS = ("generated", "dbus-fast", "sdbus", "dbus-python", "floor")
NO_PEAK = ("floor",)  # clients without the 64 MiB peak rows
BASELINE = "dbus-fast"
SYSTEM_PYTHON = "/usr/bin/python3"
# row key, label, unit, kind ("seq", "inflight", "transfer"), full count
ROWS = (
    ("ping", "Ping, sequential", "calls/s", "seq", 3000),
    ("ping64", "Ping, 64 in flight", "calls/s", "inflight", 5000),
    ("get", "Properties.Get Id", "calls/s", "seq", 2000),
    ("save", "Save 1 MiB", "MB/s", "transfer", 60),
    ("load", "Load 1 MiB", "MB/s", "transfer", 60),
)
IN_FLIGHT = 64
BLOCKS = 6  # blocks per client, row and round

Op = Callable[..., Awaitable[Any]]


# --------------------------------------------------------------------------- the clients


def _check_save(data: bytes, size: int) -> None:
    if len(data) != size:
        raise RuntimeError(f"Save answered {len(data)} bytes, expected {size}")


async def generated_ops(address: str, stubs: Path) -> dict[str, Op]:
    sys.path.insert(0, str(stubs))
    import bench_ping  # type: ignore[import-not-found]
    import bench_vmstate  # type: ignore[import-not-found]

    bus = await bench_vmstate.connect(address)
    pinger = bench_ping.Bench1Proxy(bus, GEN_SERVICE, PATH)
    helper = bench_vmstate.VMState1Proxy(bus, GEN_SERVICE, PATH)
    big = bench_vmstate.VMState1Proxy(bus, GEN_SERVICE, PATH_BIG)
    return {
        "ping": lambda: pinger.ping(PING_TEXT),
        "get": helper.get_id,
        "save": helper.save,
        "load": helper.load,
        "save_big": big.save,
    }


async def dbus_fast_ops(address: str, stubs: Path) -> dict[str, Op]:
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_address=address, negotiate_unix_fd=True).connect()
    ops = raw_ops(bus, GEN_SERVICE, PATH, PATH_BIG)
    return {
        "ping": ops["ping"],
        "get": ops["get_id"],
        "save": ops["save"],
        "load": ops["load_data"],
        "save_big": ops["save_big"],
    }


async def sdbus_ops(address: str, stubs: Path) -> dict[str, Op]:
    import sdbus
    from sdbus import DbusInterfaceCommonAsync, dbus_method_async, dbus_property_async

    class Bench1(DbusInterfaceCommonAsync, interface_name=BENCH_IFACE):
        @dbus_method_async(input_signature="s", result_signature="s")
        async def ping(self, text: str) -> str:
            raise NotImplementedError

    class VMState1(DbusInterfaceCommonAsync, interface_name=VMSTATE_IFACE):
        @dbus_method_async(result_signature="ay")
        async def save(self) -> bytes:
            raise NotImplementedError

        @dbus_method_async(input_signature="ay")
        async def load(self, data: bytes) -> None:
            raise NotImplementedError

        @dbus_property_async("s")
        def id(self) -> str:
            raise NotImplementedError

    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    bus = sdbus.sd_bus_open_user()
    pinger = Bench1.new_proxy(GEN_SERVICE, PATH, bus=bus)
    helper = VMState1.new_proxy(GEN_SERVICE, PATH, bus=bus)
    big = VMState1.new_proxy(GEN_SERVICE, PATH_BIG, bus=bus)

    async def get() -> str:
        return await helper.id.get_async()

    return {
        "ping": lambda: pinger.ping(PING_TEXT),
        "get": get,
        "save": helper.save,
        "load": helper.load,
        "save_big": big.save,
    }


async def floor_ops(address: str, stubs: Path) -> dict[str, Op]:
    """The floor of an asyncio client, not a usable one: each call's frame is marshalled once
    (only its serial patched per call), written with one ``send``, and its reply matched by
    REPLY_SERIAL without the body being read or checked.  What is left is the cost of
    asyncio (a future, a reader callback, two loop turns a call) and of the syscalls: for
    small calls, about the least any client on asyncio spends, whatever its D-Bus code."""
    import struct

    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_address=address, negotiate_unix_fd=True).connect()
    loop = asyncio.get_running_loop()
    sock: Any = bus._sock
    loop.remove_reader(sock.fileno())  # the connection is ours from here on
    pending: dict[int, asyncio.Future[None]] = {}
    buf = bytearray()
    serials = iter(range(1000, 1 << 31))

    def on_readable() -> None:
        buf.extend(sock.recv(1 << 22))
        while len(buf) >= 16:
            body_len, _serial, fields_len = struct.unpack_from("<III", buf, 4)
            total = 16 + fields_len + (-fields_len & 7) + body_len
            if len(buf) < total:
                return
            pos = 16
            while pos < 16 + fields_len:  # header fields: find REPLY_SERIAL (code 5)
                pos += -pos & 7
                code, sig_len = buf[pos], buf[pos + 1]
                sig = buf[pos + 2 : pos + 2 + sig_len]
                pos += 3 + sig_len
                if sig == b"u":
                    pos += -pos & 3
                    if code == 5:
                        fut = pending.pop(struct.unpack_from("<I", buf, pos)[0], None)
                        if fut is not None and not fut.done():
                            fut.set_result(None)
                    pos += 4
                elif sig in (b"s", b"o"):
                    pos += -pos & 3
                    pos += 4 + struct.unpack_from("<I", buf, pos)[0] + 1
                else:  # g
                    pos += 1 + buf[pos] + 1
            del buf[:total]

    loop.add_reader(sock.fileno(), on_readable)

    def op(msg: Message) -> Op:
        frame = bytearray(msg._marshall(True))

        async def call(*_args: Any) -> None:
            serial = next(serials)
            struct.pack_into("<I", frame, 8, serial)
            fut = pending[serial] = loop.create_future()
            await loop.sock_sendall(sock, frame)
            await fut

        return call

    def msg(member: str, iface: str = VMSTATE_IFACE, **kw: Any) -> Message:
        return Message(destination=GEN_SERVICE, path=PATH, interface=iface, member=member, **kw)

    return {
        "ping": op(msg("Ping", BENCH_IFACE, signature="s", body=[PING_TEXT])),
        "get": op(msg("Get", PROPERTIES_IFACE, signature="ss", body=[VMSTATE_IFACE, "Id"])),
        "save": op(msg("Save")),
        "load": op(msg("Load", signature="ay", body=[payload(SMALL)])),
    }


ASYNC_CLIENTS = {
    "generated": generated_ops,
    "dbus-fast": dbus_fast_ops,
    "sdbus": sdbus_ops,
    "floor": floor_ops,
}


async def timed_async(ops: dict[str, Op], row: str, count: int, data: bytes) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``count`` calls of ``row``."""
    kind = {r[0]: r[3] for r in ROWS}[row]
    op = ops["ping" if row == "ping64" else row]
    cpu0, t0 = time.process_time(), time.perf_counter()
    if kind == "inflight":
        sem = asyncio.Semaphore(IN_FLIGHT)

        async def one() -> None:
            async with sem:
                await op()

        await asyncio.gather(*(one() for _ in range(count)))
    elif row == "load":
        for _ in range(count):
            await op(data)
    elif row == "save":
        for _ in range(count):
            _check_save(await op(), SMALL)
    else:
        for _ in range(count):
            await op()
    return time.perf_counter() - t0, time.process_time() - cpu0


async def async_worker(name: str, address: str, stubs: Path) -> None:
    ops = await ASYNC_CLIENTS[name](address, stubs)
    small = payload(SMALL)
    if name == "floor":  # it reads no reply: it just waits for them
        for op in ops.values():
            await op(small)
        ops["save"] = _unchecked(ops["save"])
    else:
        assert await ops["ping"]() == PING_TEXT
        assert await ops["get"]() == ID_VALUE
        _check_save(await ops["save"](), SMALL)
        await ops["load"](small)
    start_profile()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        row, count = line.split()
        elapsed, cpu = await timed_async(ops, row, int(count), small)
        print(f"{elapsed:.9f} {cpu:.9f}", flush=True)


def _unchecked(save: Op) -> Op:
    """The floor's Save, as timed_async checks it: the reply's size is taken as read."""

    async def call() -> bytes:
        await save()
        return bytes(SMALL)

    return call


async def async_peak(name: str, address: str, stubs: Path, what: str) -> None:
    import resource

    ops = await ASYNC_CLIENTS[name](address, stubs)
    assert await ops["ping"]() == PING_TEXT
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(2):
        if what == "save":
            _check_save(await ops["save_big"](), BIG)
        else:
            data = payload(BIG)
            await ops["load"](data)
            del data
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak} {base}", flush=True)


# dbus-python: run by the system interpreter, blocking calls plus a GLib loop for in-flight


def dbus_python_client(address: str) -> tuple[Any, dict[str, Any]]:
    import dbus  # type: ignore[import-not-found]
    import dbus.bus  # type: ignore[import-not-found]
    import dbus.mainloop.glib  # type: ignore[import-not-found]

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    obj = bus.get_object(GEN_SERVICE, PATH, introspect=False)
    big = bus.get_object(GEN_SERVICE, PATH_BIG, introspect=False)
    ping = obj.get_dbus_method("Ping", BENCH_IFACE)
    get = obj.get_dbus_method("Get", PROPERTIES_IFACE)
    save = obj.get_dbus_method("Save", VMSTATE_IFACE)
    load = obj.get_dbus_method("Load", VMSTATE_IFACE)
    save_big = big.get_dbus_method("Save", VMSTATE_IFACE)
    return dbus, {
        "ping": lambda **kw: ping(PING_TEXT, signature="s", **kw),
        "get": lambda: get(VMSTATE_IFACE, "Id", signature="ss"),
        "save": lambda: save(byte_arrays=True),
        "load": lambda data: load(data, signature="ay"),
        "save_big": lambda: save_big(byte_arrays=True),
    }


def dbus_python_in_flight(ops: dict[str, Any], count: int) -> None:
    from gi.repository import GLib  # type: ignore[import-not-found]

    loop = GLib.MainLoop()
    state: dict[str, Any] = {"sent": 0, "done": 0, "error": None}

    def send() -> None:
        state["sent"] += 1
        ops["ping"](reply_handler=replied, error_handler=failed)

    def replied(_echo: str) -> None:
        state["done"] += 1
        if state["sent"] < count:
            send()
        elif state["done"] == count:
            loop.quit()

    def failed(exc: Exception) -> None:
        state["error"] = exc
        loop.quit()

    for _ in range(min(IN_FLIGHT, count)):
        send()
    loop.run()
    if state["error"] is not None:
        raise RuntimeError(str(state["error"]))


def dbus_python_worker(address: str) -> None:
    _dbus, ops = dbus_python_client(address)
    small = payload(SMALL)
    assert ops["ping"]() == PING_TEXT
    assert ops["get"]() == ID_VALUE
    _check_save(ops["save"](), SMALL)
    ops["load"](small)
    print("ready", flush=True)
    for line in sys.stdin:
        row, text = line.split()
        count = int(text)
        cpu0, t0 = time.process_time(), time.perf_counter()
        if row == "ping64":
            dbus_python_in_flight(ops, count)
        elif row == "load":
            for _ in range(count):
                ops["load"](small)
        elif row == "save":
            for _ in range(count):
                _check_save(ops["save"](), SMALL)
        else:
            op = ops[row]
            for _ in range(count):
                op()
        print(f"{time.perf_counter() - t0:.9f} {time.process_time() - cpu0:.9f}", flush=True)


def dbus_python_peak(address: str, what: str) -> None:
    import resource

    _dbus, ops = dbus_python_client(address)
    assert ops["ping"]() == PING_TEXT
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(2):
        if what == "save":
            _check_save(ops["save_big"](), BIG)
        else:
            data = payload(BIG)
            ops["load"](data)
            del data
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak} {base}", flush=True)


# --------------------------------------------------------------------------- orchestration


def client_argv(name: str, address: str, stubs: Path, peak: str | None = None) -> list[str]:
    python = SYSTEM_PYTHON if name == "dbus-python" else sys.executable
    argv = [python, str(Path(__file__).resolve()), "--client", name, address, str(stubs)]
    return argv + ([peak] if peak else [])


def client_env(name: str, profile: Path | None = None) -> dict[str, str] | None:
    if name != "dbus-python":
        return profile_env(profile)
    # the system interpreter with its own dist-packages only (not this venv's)
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def missing_clients() -> dict[str, str]:
    """Clients that cannot run here, with the reason."""
    import subprocess

    missing: dict[str, str] = {}
    try:
        import sdbus  # noqa: F401
    except ImportError as exc:
        missing["sdbus"] = f"python-sdbus not importable ({exc}); pip install sdbus"
    if shutil.which(SYSTEM_PYTHON) is None:
        missing["dbus-python"] = f"{SYSTEM_PYTHON} not found"
    else:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import dbus, dbus.mainloop.glib, gi.repository.GLib"],
            capture_output=True,
            text=True,
            env=client_env("dbus-python"),
        )
        if probe.returncode != 0:
            missing["dbus-python"] = (
                "dbus-python not importable by /usr/bin/python3; apt-get install python3-dbus"
                " python3-gi"
            )
    return missing


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick", action="store_true", help="smoke run: a tenth of the calls, 2 rounds"
    )
    ap.add_argument("--repeat", type=int, help="rounds (default 5, or 2 with --quick)")
    ap.add_argument("--no-peak", action="store_true", help="skip the 64 MiB peak RSS rows")
    ap.add_argument(
        "--profile",
        type=Path,
        help="profile the generated and dbus-fast clients (Ping only) with cProfile, keep the"
        " profiles in this directory and print their top functions",
    )
    ap.add_argument("--client", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        name, address, stubs, *peak = args.client
        if name == "dbus-python":
            if peak:
                dbus_python_peak(address, peak[0])
            else:
                dbus_python_worker(address)
        elif peak:
            asyncio.run(async_peak(name, address, Path(stubs), peak[0]))
        else:
            asyncio.run(async_worker(name, address, Path(stubs)))
        return 0

    sys.path.insert(0, str(ROOT))
    from bench_support import generate_bench_stubs, server_argv
    from tests.dbus_harness import dbus_daemon_available, private_bus

    if not dbus_daemon_available():
        print(
            "dbus-daemon not found; install it with: apt-get install dbus-daemon", file=sys.stderr
        )
        return 2
    repeat = args.repeat or (2 if args.quick else 5)
    scale = 10 if args.quick else 1
    started, load_before = time.monotonic(), os.getloadavg()[0]
    missing = missing_clients()
    clients = [c for c in CLIENTS if c not in missing]
    rows: tuple[tuple[str, str, str, str, int], ...] = ROWS
    profiles: dict[str, Path] = {}
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        clients, rows, args.no_peak = ["generated", BASELINE], ROWS[:1], True
        profiles = {c: args.profile.resolve() / f"client-{c}.prof" for c in clients}
    rates: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    peaks: dict[tuple[str, str], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="qdbusgen-bench-") as tmp:
        stubs = Path(tmp) / "stubs"
        generate_bench_stubs(stubs)
        with private_bus(Path(tmp) / "bus") as bus:
            server = Worker(server_argv("generated", bus.address, stubs))
            workers = {
                c: Worker(client_argv(c, bus.address, stubs), client_env(c, profiles.get(c)))
                for c in clients
            }
            try:
                for worker in workers.values():  # warm-up
                    for key, *_rest, count in rows:
                        worker.ask(f"{key} {max(1, count // 50)}")
                for r in range(repeat):
                    for key, _label, _unit, kind, count in rows:
                        block = max(1, count // scale // BLOCKS)
                        wall = dict.fromkeys(clients, 0.0)
                        cpu = dict.fromkeys(clients, 0.0)
                        for b in range(BLOCKS):  # short blocks, rotating: paired in time
                            for c in rotate(clients, b + r):
                                elapsed, used = workers[c].ask(f"{key} {block}")
                                wall[c] += float(elapsed)
                                cpu[c] += float(used)
                        n = block * BLOCKS
                        for c in clients:
                            work = SMALL * n / 1e6 if kind == "transfer" else n
                            rates.setdefault((key, c), []).append(work / wall[c])
                            cpus.setdefault((key, c), []).append(cpu[c] / n * 1e6)
                    print(f"  round {r + 1}/{repeat} done", file=sys.stderr, flush=True)
                for w in workers.values():
                    w.close()
                if not args.no_peak:
                    for what in ("save", "load"):
                        for c in clients:
                            if c in NO_PEAK:
                                continue
                            argv = client_argv(c, bus.address, stubs, what)
                            peak, base = run_once(argv, client_env(c))
                            peaks[(what, c)] = (int(peak) / 1024, int(base) / 1024)
            finally:
                for w in workers.values():
                    w.close()
                server.close()
    report(clients, missing, rates, cpus, peaks, repeat, scale, rows)
    print(machine_line(started, load_before))
    if profiles:
        print("(under cProfile: the figures above include the profiler's own cost)")
        for c, path in profiles.items():
            ping_calls = (
                max(1, ROWS[0][4] // 50) + repeat * max(1, ROWS[0][4] // scale // BLOCKS) * BLOCKS
            )
            profile_summary(path, "ping", f"client {c}", calls=ping_calls)
    return 0


def report(
    clients: list[str],
    missing: dict[str, str],
    rates: dict[tuple[str, str], list[float]],
    cpus: dict[tuple[str, str], list[float]],
    peaks: dict[tuple[str, str], tuple[float, float]],
    repeat: int,
    scale: int,
    rows: tuple[tuple[str, str, str, str, int], ...] = ROWS,
) -> None:
    import importlib.metadata

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    print(
        f"{repeat} rounds, clients alternating in rotating order, each its own process, one"
        " generated server; median per cell"
    )
    print(
        "per client and round, in 6 blocks: "
        + ", ".join(
            f"{label} x{max(1, n // scale // BLOCKS) * BLOCKS}" for _k, label, _u, _t, n in rows
        )
    )
    print(
        f"dbus-fast {version('dbus-fast')}, sdbus {version('sdbus')}, dbus-python: system python3-dbus"
    )
    for name, why in missing.items():
        print(f"NOT MEASURED: {name}: {why}")
    print()
    others = [c for c in clients if c != BASELINE]
    print("THROUGHPUT (calls/s or MB/s) and ratio to dbus-fast (higher is faster)")
    head = f"{'row':<22}{'unit':<8}" + "".join(f"{c:>12}" for c in clients)
    head += "".join(f"  {c + '/dbus-fast':<22}" for c in others)
    print(head)
    print("-" * len(head))
    for key, label, unit, _kind, _n in rows:
        line = f"{label:<22}{unit:<8}" + "".join(f"{median(rates[key, c]):12.0f}" for c in clients)
        line += "".join(f"  {ratio_cell(rates[key, c], rates[key, BASELINE], 22)}" for c in others)
        print(line)
    print()
    print("CLIENT CPU per call (us, the client process) and ratio to dbus-fast (lower is cheaper)")
    print(head)
    print("-" * len(head))
    for key, label, _unit, _kind, _n in rows:
        line = f"{label:<22}{'us':<8}" + "".join(f"{median(cpus[key, c]):12.1f}" for c in clients)
        line += "".join(f"  {ratio_cell(cpus[key, c], cpus[key, BASELINE], 22)}" for c in others)
        print(line)
    print()
    if "generated" in clients and "sdbus" in clients:
        print("generated vs python-sdbus, throughput (target: >= 1.00 on every row)")
        for key, label, *_ in rows:
            print(f"  {label:<22}{ratio_cell(rates[key, 'generated'], rates[key, 'sdbus'])}")
        print()
    if "sdbus" in clients and "floor" in clients:
        print("python-sdbus vs the floor, throughput (the floor: no D-Bus code on asyncio)")
        for key, label, *_ in rows:
            print(f"  {label:<22}{ratio_cell(rates[key, 'sdbus'], rates[key, 'floor'])}")
        print()
    if peaks:
        bound = 2.5 * BIG / 2**20 + 30
        print(
            f"64 MiB client peak RSS (MiB, ru_maxrss of a fresh client process making two 64 MiB"
            f" calls; bound 2.5 x payload + 30 MiB = {bound:.0f} MiB)"
        )
        print(
            f"{'client':<14}{'Save peak':>11}{'/bound':>8}{'Load peak':>11}{'/bound':>8}{'before':>9}"
        )
        for c in clients:
            if c in NO_PEAK:
                continue
            save, base = peaks["save", c]
            load, _ = peaks["load", c]
            print(
                f"{c:<14}{save:11.0f}{save / bound:8.2f}{load:11.0f}{load / bound:8.2f}{base:9.0f}"
            )
        print()


if __name__ == "__main__":
    sys.exit(main())
