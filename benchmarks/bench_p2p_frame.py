#!/usr/bin/env python3
"""1080p frames over a peer-to-peer D-Bus connection, against a plain socket copy.

    python3 benchmarks/bench_p2p_frame.py [--quick] [--repeat N] [--profile DIR]

The display path of QEMU's D-Bus display: ``org.qemu.Display1.Listener.Update`` with a
full 1920x1080 frame, 4 bytes a pixel (stride 7680, x8r8g8b8; 8,294,400 bytes of ``ay``),
over one end of a ``socketpair()``.  The ``qemu_display`` package is generated afresh from
interfaces/org.qemu.Display1.*.xml through qdbusgen's Python API.  Four processes:

    D-Bus sender     plays QEMU: accept_p2p() on its end, ListenerProxy.update(...) one
                     frame at a time (each call awaits its reply before the next)
    D-Bus receiver   the display client: connect_p2p() on the other end, a ListenerServer
                     subclass whose update() keeps the frame's length and returns
    socket sender    baseline: ``sendall`` of the same 8,294,400 bytes, then waits for a
                     1-byte acknowledgement (one frame at a time too)
    socket receiver  ``recv_into`` a preallocated buffer until the frame is in, then acks

Each process measures its own CPU time (``time.process_time``); the senders time their
blocks (``time.perf_counter``).  A round sends frames in short blocks, alternating between
the D-Bus pair and the socket pair; each figure is the median over the rounds and each
ratio the median of the per-round ratios (min-max in brackets).  The issue's targets:
>= 60 frames/s and <= 5 ms CPU per frame.

``--profile DIR`` profiles the two D-Bus processes (cProfile) and prints where each spends
its CPU time per frame (the figures then include the profiler's cost).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import (  # noqa: E402
    INTERFACES,
    Worker,
    generate_package,
    machine_line,
    profile_env,
    profile_summary,
    start_profile,
    median,
    ratio_cell,
)

WIDTH, HEIGHT, BPP = 1920, 1080, 4
STRIDE = WIDTH * BPP
FRAME = STRIDE * HEIGHT  # 8,294,400 bytes
PIXMAN_X8R8G8B8 = 0x20020888
LISTENER_PATH = "/org/qemu/Display1/Listener"
BLOCKS = 6  # blocks per variant and round
TARGET_FPS = 60.0
TARGET_CPU_MS = 5.0


def frame_bytes() -> bytes:
    return bytes(range(256)) * (FRAME // 256)


def _answer_cpu(extra: Any, on_eof: Any) -> None:
    """Answer each stdin line ``cpu`` with ``CPU_SECONDS FRAMES`` (this process); at EOF
    call ``on_eof``."""
    for line in sys.stdin:
        if line.strip() == "cpu":
            print(f"{time.process_time():.9f} {extra()}", flush=True)
        else:
            print(f"error: unknown command {line.strip()!r}", flush=True)
    on_eof()


# --------------------------------------------------------------------------- D-Bus ends


def _import_display(stubs: Path) -> Any:
    sys.path.insert(0, str(stubs))
    import qemu_display  # type: ignore[import-not-found]

    return qemu_display


async def dbus_receiver(fd: int, stubs: Path) -> None:
    qd = _import_display(stubs)
    frames = [0]

    class Viewer(qd.ListenerServer):  # type: ignore[misc, name-defined]
        async def update(
            self,
            x: int,
            y: int,
            width: int,
            height: int,
            stride: int,
            pixman_format: int,
            data: bytes,
        ) -> None:
            if len(data) != FRAME:
                raise qd.DBusError("com.example.Bench.Error", f"frame of {len(data)} bytes")
            frames[0] += 1

    bus = await qd.connect_p2p(socket.socket(fileno=fd))
    Viewer().export(bus, LISTENER_PATH)
    start_profile()
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    print("ready", flush=True)
    await loop.run_in_executor(
        None, _answer_cpu, lambda: frames[0], lambda: loop.call_soon_threadsafe(done.set_result, 0)
    )
    await done
    bus.disconnect()


async def dbus_sender(fd: int, stubs: Path) -> None:
    qd = _import_display(stubs)
    bus = await qd.accept_p2p(socket.socket(fileno=fd))
    listener = qd.ListenerProxy(bus, None, LISTENER_PATH)
    data = frame_bytes()

    async def one() -> None:
        await listener.update(0, 0, WIDTH, HEIGHT, STRIDE, PIXMAN_X8R8G8B8, data)

    await one()  # the receiver answers: both ends are up
    start_profile()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        count = int(line.split()[1])
        cpu0, t0 = time.process_time(), time.perf_counter()
        for _ in range(count):
            await one()
        print(f"{time.perf_counter() - t0:.9f} {time.process_time() - cpu0:.9f}", flush=True)
    bus.disconnect()


# --------------------------------------------------------------------------- socket ends


def socket_receiver(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    buf = bytearray(FRAME)
    view = memoryview(buf)
    frames = [0]
    threading.Thread(
        target=_answer_cpu, args=(lambda: frames[0], lambda: os._exit(0)), daemon=True
    ).start()
    print("ready", flush=True)
    while True:
        got = 0
        while got < FRAME:
            n = sock.recv_into(view[got:])
            if n == 0:
                return
            got += n
        frames[0] += 1
        sock.sendall(b"k")


def socket_sender(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    data = frame_bytes()

    def one() -> None:
        sock.sendall(data)
        if sock.recv(1) != b"k":
            raise RuntimeError("the socket receiver did not acknowledge the frame")

    one()
    print("ready", flush=True)
    for line in sys.stdin:
        count = int(line.split()[1])
        cpu0, t0 = time.process_time(), time.perf_counter()
        for _ in range(count):
            one()
        print(f"{time.perf_counter() - t0:.9f} {time.process_time() - cpu0:.9f}", flush=True)
    sock.close()


# --------------------------------------------------------------------------- orchestration


def role_argv(role: str, fd: int, stubs: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--role", role, str(fd), str(stubs)]


def start_pair(kind: str, stubs: Path, profiles: dict[str, Path]) -> tuple[Worker, Worker]:
    """The sender and the receiver of ``kind`` ("dbus" or "socket") on a new socketpair."""
    a, b = socket.socketpair()
    try:
        receiver = Worker(
            role_argv(f"{kind}-receiver", b.fileno(), stubs),
            profile_env(profiles.get(f"{kind}-receiver")),
            pass_fds=[b.fileno()],
            wait=False,
        )
        sender = Worker(
            role_argv(f"{kind}-sender", a.fileno(), stubs),
            profile_env(profiles.get(f"{kind}-sender")),
            pass_fds=[a.fileno()],
        )
        receiver.wait_ready()
    finally:
        a.close()
        b.close()
    return sender, receiver


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: few frames, 2 rounds")
    ap.add_argument("--repeat", type=int, help="rounds (default 7, or 2 with --quick)")
    ap.add_argument("--profile", type=Path, help="profile the D-Bus ends, keep the profiles here")
    ap.add_argument("--role", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.role:
        role, fd_text, stubs_text = args.role
        fd, stubs = int(fd_text), Path(stubs_text)
        if role == "dbus-receiver":
            asyncio.run(dbus_receiver(fd, stubs))
        elif role == "dbus-sender":
            asyncio.run(dbus_sender(fd, stubs))
        elif role == "socket-receiver":
            socket_receiver(fd)
        elif role == "socket-sender":
            socket_sender(fd)
        else:
            return 2
        return 0

    repeat = args.repeat or (2 if args.quick else 7)
    per_block = 2 if args.quick else 10
    blocks = 2 if args.quick else BLOCKS
    started, load_before = time.monotonic(), os.getloadavg()[0]
    profiles: dict[str, Path] = {}
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        profiles = {
            r: args.profile.resolve() / f"{r}.prof" for r in ("dbus-sender", "dbus-receiver")
        }
    fps: dict[str, list[float]] = {}
    send_ms: dict[str, list[float]] = {}
    recv_ms: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="qdbusgen-bench-") as tmp:
        stubs = Path(tmp) / "stubs"
        generate_package(sorted(INTERFACES.glob("org.qemu.Display1.*.xml")), stubs, "qemu_display")
        pairs: dict[str, tuple[Worker, Worker]] = {}
        try:
            for kind in ("dbus", "socket"):
                pairs[kind] = start_pair(kind, stubs, profiles)
            for kind, (sender, receiver) in pairs.items():  # warm-up
                sender.ask(f"frames {per_block}")
            for r in range(repeat):
                wall = dict.fromkeys(pairs, 0.0)
                cpu_s = dict.fromkeys(pairs, 0.0)
                cpu_r = dict.fromkeys(pairs, 0.0)
                frames = dict.fromkeys(pairs, 0)
                for b in range(blocks):
                    for kind in (("dbus", "socket") if (b + r) % 2 == 0 else ("socket", "dbus")):
                        sender, receiver = pairs[kind]
                        before, seen0 = receiver.ask("cpu")
                        elapsed, used = sender.ask(f"frames {per_block}")
                        after, seen1 = receiver.ask("cpu")
                        if int(seen1) - int(seen0) != per_block:
                            raise RuntimeError(
                                f"{kind}: receiver saw {int(seen1) - int(seen0)} frames"
                            )
                        wall[kind] += float(elapsed)
                        cpu_s[kind] += float(used)
                        cpu_r[kind] += float(after) - float(before)
                        frames[kind] += per_block
                for kind in pairs:
                    fps.setdefault(kind, []).append(frames[kind] / wall[kind])
                    send_ms.setdefault(kind, []).append(cpu_s[kind] / frames[kind] * 1e3)
                    recv_ms.setdefault(kind, []).append(cpu_r[kind] / frames[kind] * 1e3)
                print(f"  round {r + 1}/{repeat} done", file=sys.stderr, flush=True)
        finally:
            for sender, receiver in pairs.values():
                sender.close()
                receiver.close()
    report(fps, send_ms, recv_ms, repeat, blocks * per_block, bool(profiles))
    print(machine_line(started, load_before))
    if profiles:
        for role, path in profiles.items():
            sent = per_block + repeat * blocks * per_block  # the warm-up block and the rounds
            profile_summary(path, "update", role, calls=sent)
    return 0


def report(
    fps: dict[str, list[float]],
    send_ms: dict[str, list[float]],
    recv_ms: dict[str, list[float]],
    repeat: int,
    per_round: int,
    profiled: bool,
) -> None:
    total = {k: [s + r for s, r in zip(send_ms[k], recv_ms[k])] for k in fps}
    print(
        f"{repeat} rounds of {per_round} frames per variant ({WIDTH}x{HEIGHT}x{BPP} ="
        f" {FRAME:,} bytes, one frame at a time), D-Bus and socket blocks alternating;"
        " median per cell"
    )
    if profiled:
        print("(under cProfile: the figures include the profiler's own cost)")
    print()
    print(f"{'':<28}{'D-Bus':>10}{'socket':>10}  {'D-Bus/socket':<22}{'D-Bus/target':<14}")
    print("-" * 80)
    mbs = {k: [f * FRAME / 1e6 for f in v] for k, v in fps.items()}
    rows: list[tuple[str, dict[str, list[float]], float | None, str]] = [
        ("frames/s", fps, TARGET_FPS, "{:10.1f}"),
        ("MB/s", mbs, None, "{:10.0f}"),
        ("sender CPU ms/frame", send_ms, TARGET_CPU_MS, "{:10.2f}"),
        ("receiver CPU ms/frame", recv_ms, TARGET_CPU_MS, "{:10.2f}"),
        ("both ends CPU ms/frame", total, None, "{:10.2f}"),
    ]
    for label, values, target, fmt in rows:
        d, s = median(values["dbus"]), median(values["socket"])
        line = f"{label:<28}" + fmt.format(d) + fmt.format(s)
        line += f"  {ratio_cell(values['dbus'], values['socket'], 22)}"
        if target is not None:
            line += f"{d / target:5.2f} (target {'>=' if label == 'frames/s' else '<='} {target:g})"
        print(line)
    print()


if __name__ == "__main__":
    sys.exit(main())
