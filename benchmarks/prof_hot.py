"""Hot-path measurements of the runtime (issue 14): CPU per call, client peak RSS, p2p frames.

    python3 benchmarks/prof_hot.py bus [--n 3000] [--rounds 5] [--profile client|server]
    python3 benchmarks/prof_hot.py rss            # 64 MiB ay: client peak RSS (Save, Load)
    python3 benchmarks/prof_hot.py p2p [--frames 300] [--rounds 5]

``bus``: a private dbus-daemon, two server processes (the runtime's ServerBase and dbus-fast
ServiceInterface with plain ``def`` handlers), this process the client on one runtime
connection.  Client CPU: the runtime proxy (``rt``) against ``bus.call(Message(...))``
on the same connection (``raw``) and on a plain dbus-fast connection (``plain``), all to the
runtime server.  Server CPU: the runtime server against the dbus-fast
one, both called raw.  Medians over the rounds of CPU us per call, and of per-round ratios.
``p2p``: Listener.Update(iiiiuuay) with a 1920x1080x4 frame over a socketpair, one frame at a
time, to a runtime server in another process: frames/s and client CPU ms per frame.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

IFACE = "com.example.Bench1"
PROPS = "org.freedesktop.DBus.Properties"
RT_NAME = "com.example.HotRt"
SYNC_NAME = "com.example.HotSync"
PATH = "/com/example/Bench1"
BIG = 64 << 20
FRAME = 1920 * 1080 * 4


def _server_classes() -> tuple[type, type]:
    import qdbusgen_runtime as rt

    class Server(rt.ServerBase):  # type: ignore[misc]
        INTERFACE = IFACE
        _METHODS = {
            "Ping": rt.MethodSpec("Ping", "s", "s", "ping"),
            "Save": rt.MethodSpec("Save", "", "ay", "save"),
            "Load": rt.MethodSpec("Load", "ay", "", "load"),
            "Update": rt.MethodSpec("Update", "iiiiuuay", "", "update"),
        }
        _PROPERTIES = {"Id": rt.PropertySpec("Id", "s", "read", getter="get_id")}
        _INTROSPECTION_XML = f'<interface name="{IFACE}"/>'

        def __init__(self) -> None:
            self.blob = bytes(BIG)
            self.frames = 0

        async def ping(self, text: str) -> str:
            return text

        async def save(self) -> bytes:
            return self.blob

        async def load(self, data: bytes) -> None:
            pass

        async def update(self, x: int, y: int, w: int, h: int, s: int, f: int, d: bytes) -> None:
            self.frames += 1

        async def get_id(self) -> str:
            return "hot"

    class Proxy(rt.ProxyBase):  # type: ignore[misc]
        INTERFACE = IFACE

        async def ping(self, text: str) -> str:
            return (await self._call("Ping", "s", [text], "s"))[0]  # type: ignore[no-any-return]

        async def save(self) -> bytes:
            return (await self._call("Save", "", [], "ay"))[0]  # type: ignore[no-any-return]

        async def load(self, data: bytes) -> None:
            await self._call("Load", "ay", [data], "")

        async def update(self, data: bytes) -> None:
            await self._call("Update", "iiiiuuay", [0, 0, 1920, 1080, 7680, 0, data], "")

        async def get_id(self) -> str:
            return await self._get_property("Id", "s")  # type: ignore[no-any-return]

    return Server, Proxy


def _sync_class() -> type:
    from dbus_fast.constants import PropertyAccess
    from dbus_fast.service import ServiceInterface, dbus_property, method

    class Sync(ServiceInterface):
        def __init__(self) -> None:
            super().__init__(IFACE)

        @method()
        def Ping(self, text: "s") -> "s":  # type: ignore[name-defined]  # noqa: F821, N802
            return text

        @dbus_property(access=PropertyAccess.READ)
        def Id(self) -> "s":  # type: ignore[name-defined]  # noqa: F821, N802
            return "hot"

    return Sync


async def serve(kind: str, address: str | None, fd: int | None, profile: str | None) -> None:
    import qdbusgen_runtime as rt

    prof = cProfile.Profile() if profile else None
    if os.environ.get("PROF_NO_GATE"):
        from qdbusgen_runtime import _adapter

        _adapter._INBOUND_BOUNDARY = False  # what the inbound gate costs
    if os.environ.get("PROF_NO_WRITER"):
        from qdbusgen_runtime import _bus

        _bus._install_writer = lambda bus: None  # what the limited writer costs
    if fd is not None:
        bus = await rt.connect_p2p(fd)
    elif kind == "rt":
        bus = await rt.connect(address)
    else:
        from dbus_fast.aio import MessageBus

        bus = await MessageBus(bus_address=address, negotiate_unix_fd=True).connect()
    if kind == "rt" and not os.environ.get("PROF_RT_SI"):
        Server, _ = _server_classes()
        Server().export(bus, PATH)
    else:  # PROF_RT_SI: dbus-fast's ServiceInterface on the runtime's connection
        bus.export(PATH, _sync_class()())
    if fd is None:
        await bus.request_name(RT_NAME if kind == "rt" else SYNC_NAME)
    print("ready", flush=True)
    if prof:
        prof.enable()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    if prof:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats(
            os.environ.get("PROF_SORT", "tottime")
        ).print_stats(45)


def start(
    args: list[str], pass_fds: tuple[int, ...] = (), wait: bool = True
) -> subprocess.Popen[bytes]:
    wrap = os.environ.get("PROF_WRAP", "").split()  # e.g. "strace -c -f -o /tmp/x"
    if wrap and "--fd" not in args:
        wrap = [*wrap[:-1], f"{wrap[-1]}.{args[1]}"]
    proc = subprocess.Popen(
        [*wrap, sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        pass_fds=pass_fds,
    )
    assert proc.stdout is not None
    if wait and proc.stdout.readline().strip() != b"ready":
        raise RuntimeError(f"server {args} failed")
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)


def cpu_of(pid: int) -> float:
    return (
        sum(
            int((t / "schedstat").read_bytes().split()[0])
            for t in Path(f"/proc/{pid}/task").iterdir()
        )
        / 1e9
    )


def raw_op(bus: Any, name: str, what: str) -> Any:
    from dbus_fast import Message

    if what == "ping":

        async def op() -> Any:
            r = await bus.call(
                Message(
                    destination=name,
                    path=PATH,
                    interface=IFACE,
                    member="Ping",
                    signature="s",
                    body=["ping"],
                )
            )
            return r.body[0]

    else:

        async def op() -> Any:
            r = await bus.call(
                Message(
                    destination=name,
                    path=PATH,
                    interface=PROPS,
                    member="Get",
                    signature="ss",
                    body=[IFACE, "Id"],
                )
            )
            return r.body[0].value

    return op


async def bench_bus(args: argparse.Namespace) -> None:
    import qdbusgen_runtime as rt
    from dbus_harness import private_bus

    with tempfile.TemporaryDirectory() as tmp, private_bus(Path(tmp)) as pb:
        prof_server = ["--profile", "1"] if args.profile == "server" else []
        srv = start(["serve", "rt", "--address", pb.address, *prof_server])
        prof_sync = ["--profile", "1"] if args.profile == "sync" else []
        sync = start(["serve", "sync", "--address", pb.address, *prof_sync])
        bus = await rt.connect(pb.address)
        from dbus_fast.aio import MessageBus

        plain = await MessageBus(bus_address=pb.address, negotiate_unix_fd=True).connect()
        _, Proxy = _server_classes()
        proxy = Proxy(bus, RT_NAME, PATH)
        ops = {
            ("ping", "plain"): (raw_op(plain, RT_NAME, "ping"), srv.pid),
            ("get", "plain"): (raw_op(plain, RT_NAME, "get"), srv.pid),
            ("ping", "rt"): (lambda: proxy.ping("ping"), srv.pid),
            ("ping", "raw"): (raw_op(bus, RT_NAME, "ping"), srv.pid),
            ("ping", "sync"): (raw_op(bus, SYNC_NAME, "ping"), sync.pid),
            ("get", "rt"): (proxy.get_id, srv.pid),
            ("get", "raw"): (raw_op(bus, RT_NAME, "get"), srv.pid),
            ("get", "sync"): (raw_op(bus, SYNC_NAME, "get"), sync.pid),
        }
        if args.only:
            ops = {k: v for k, v in ops.items() if k[1] == args.only}
        for (what, _v), (op, _pid) in ops.items():
            assert await op() in ("ping", "hot")
        prof = cProfile.Profile() if args.profile == "client" else None
        cli: dict[tuple[str, str], list[float]] = {}
        ser: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for key, (op, pid) in ops.items():
                gc.collect()
                c0, s0 = time.process_time(), cpu_of(pid)
                if prof and key[1] == "rt":
                    prof.enable()
                for _ in range(args.n):
                    await op()
                if prof:
                    prof.disable()
                c1, s1 = time.process_time(), cpu_of(pid)
                cli.setdefault(key, []).append((c1 - c0) / args.n * 1e6)
                ser.setdefault(key, []).append((s1 - s0) / args.n * 1e6)
        bus.disconnect()
        plain.disconnect()
        stop(sync)
        stop(srv)
        med = statistics.median
        print(f"{'op':6}{'variant':8}{'client us':>10}{'server us':>10}")
        for key in ops:
            print(f"{key[0]:6}{key[1]:8}{med(cli[key]):10.1f}{med(ser[key]):10.1f}")
        for what in ("ping", "get"):
            if (what, "rt") in cli and (what, "raw") in cli:
                rc = med([a / b for a, b in zip(cli[(what, "rt")], cli[(what, "raw")])])
                print(f"{what}: client rt/raw {rc:.3f}")
            if (what, "rt") in cli and (what, "plain") in cli:
                rc = med([a / b for a, b in zip(cli[(what, "rt")], cli[(what, "plain")])])
                print(f"{what}: client rt/plain dbus-fast connection {rc:.3f}")
            if (what, "raw") in ser and (what, "sync") in ser:
                rs = med([a / b for a, b in zip(ser[(what, "raw")], ser[(what, "sync")])])
                print(f"{what}: server rt/sync-def {rs:.3f}")
        if prof:
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)


async def rss_child(what: str) -> None:
    import qdbusgen_runtime as rt
    from dbus_harness import private_bus

    with tempfile.TemporaryDirectory() as tmp, private_bus(Path(tmp)) as pb:
        srv = start(["serve", "rt", "--address", pb.address])
        bus = await rt.connect(pb.address)
        _, Proxy = _server_classes()
        proxy = Proxy(bus, RT_NAME, PATH)
        await proxy.ping("x")
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if what == "save":
            data = await proxy.save()
            assert len(data) == BIG
            del data
        else:
            data = b"\x01" * BIG
            base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            await proxy.load(data)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        bus.disconnect()
        stop(srv)
    print(
        f"{what}: peak {peak:.0f} MiB (before the call {base:.0f} MiB); "
        f"target 2.5 x 64 + 30 = 190 MiB"
    )


async def bench_p2p(args: argparse.Namespace) -> None:
    import qdbusgen_runtime as rt

    a, b = socket.socketpair()
    srv = start(
        [
            "serve",
            "rt",
            "--fd",
            str(b.fileno()),
            *(["--profile", "1"] if args.profile == "server" else []),
        ],
        pass_fds=(b.fileno(),),
        wait=False,
    )
    b.close()
    bus = await rt.accept_p2p(a)
    assert srv.stdout is not None
    await asyncio.get_running_loop().run_in_executor(None, srv.stdout.readline)
    _, Proxy = _server_classes()
    proxy = Proxy(bus, None, PATH)
    frame = b"\x01" * FRAME
    await proxy.update(frame)
    prof = cProfile.Profile() if args.profile == "client" else None
    fps, cpu, server_cpu = [], [], []
    for _ in range(args.rounds):
        gc.collect()
        c0, t0, s0 = time.process_time(), time.perf_counter(), cpu_of(srv.pid)
        if prof:
            prof.enable()
        for _ in range(args.frames):
            await proxy.update(frame)
        if prof:
            prof.disable()
        c1, t1, s1 = time.process_time(), time.perf_counter(), cpu_of(srv.pid)
        fps.append(args.frames / (t1 - t0))
        cpu.append((c1 - c0) / args.frames * 1e3)
        server_cpu.append((s1 - s0) / args.frames * 1e3)
    bus.disconnect()
    stop(srv)
    print(
        f"p2p Update 1080p: {statistics.median(fps):.1f} frames/s, "
        f"client CPU {statistics.median(cpu):.2f} ms/frame, server (listener) CPU "
        f"{statistics.median(server_cpu):.2f} ms/frame (rounds: "
        + " ".join(f"{f:.0f}" for f in fps)
        + ")"
    )
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["bus", "rss", "p2p", "serve", "rss-child"])
    ap.add_argument("kind", nargs="?")
    ap.add_argument("--address")
    ap.add_argument("--fd", type=int)
    ap.add_argument("--profile")
    ap.add_argument("--only")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--frames", type=int, default=200)
    args = ap.parse_args()
    if args.mode == "serve":
        asyncio.run(serve(args.kind, args.address, args.fd, args.profile))
    elif args.mode == "bus":
        asyncio.run(bench_bus(args))
    elif args.mode == "p2p":
        asyncio.run(bench_p2p(args))
    elif args.mode == "rss-child":
        asyncio.run(rss_child(args.kind))
    else:
        for what in ("save", "load"):
            subprocess.run([sys.executable, __file__, "rss-child", what], check=True)


if __name__ == "__main__":
    main()
