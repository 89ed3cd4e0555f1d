"""Helpers shared by bench_bindings.py, bench_server.py and bench_p2p_frame.py.

Only the standard library is imported here at module level: the dbus-python client of
bench_bindings.py runs this file's neighbours under the system ``/usr/bin/python3``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

#: One benchmarked operation: an awaitable call.
Op = Callable[..., Awaitable[Any]]

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
VMSTATE_XML = ROOT / "interfaces" / "org.qemu.VMState1.xml"
BENCH_XML = BENCH_DIR / "com.example.Bench1.xml"
INTERFACES = ROOT / "interfaces"


def generate_package(sources: Iterable[Path], out: Path, package: str) -> None:
    """Generate ``package`` into ``out/package`` through qdbusgen's Python API.

    The package is whatever this tree's generator writes, on the installed runtime, so the
    figures follow the generator and the runtime as they are.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from qdbusgen.config import GenerateOptions
    from qdbusgen.diagnostics import Severity
    from qdbusgen.generate import generate

    options = GenerateOptions(package=package, defines=(("HOST_OS", "linux"),))
    result = generate([str(s) for s in sources], out / package, options)
    if not result.ok:
        errors = [d.format() for d in result.diagnostics if d.severity is Severity.ERROR]
        raise RuntimeError(f"qdbusgen could not generate {package}: {errors}")


def payload(size: int) -> bytes:
    """``size`` bytes (a multiple of 256) in one allocation: 0, 1, ..., 255, 0, 1, ..."""
    assert size % 256 == 0
    return bytes(range(256)) * (size // 256)


class Worker:
    """A child process that answers one line per command line (see ``serve_commands``)."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        *,
        pass_fds: Sequence[int] = (),
        wait: bool = True,
    ) -> None:
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
            pass_fds=pass_fds,
        )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait for the child's first line, ``ready``."""
        first = self._line()
        if first != "ready":
            self.close()
            raise RuntimeError(f"{self.argv[:4]} did not start: said {first!r}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def ask(self, command: str) -> list[str]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self._line()
        if not answer or answer.startswith("error"):
            raise RuntimeError(f"{self.argv[:4]}: {command!r} -> {answer or 'no answer'}")
        return answer.split()

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def run_once(argv: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
    """Run a child to the end; its last line of output, split."""
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{list(argv)[:4]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout.strip().splitlines()[-1].split()


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio_cell(num: Sequence[float], den: Sequence[float], width: int = 17) -> str:
    """Median of the per-round ratios num/den, with their min-max in brackets."""
    per_round = [a / b for a, b in zip(num, den) if b]
    if not per_round:
        return f"{'—':<{width}}"
    cell = f"{statistics.median(per_round):5.2f} ({min(per_round):.2f}-{max(per_round):.2f})"
    return f"{cell:<{width}}"


def rotate(names: Sequence[str], r: int) -> list[str]:
    """``names`` rotated by ``r``: every variant runs first in some round."""
    k = r % len(names)
    return list(names[k:]) + list(names[:k])


def machine_line(started: float, load_before: float, extra: str = "") -> str:
    import time

    return (
        f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{load_before:.2f} before / {os.getloadavg()[0]:.2f} after, "
        f"{time.monotonic() - started:.0f} s{extra})"
    )


# --------------------------------------------------------------------------- servers

GEN_SERVICE = "com.example.BenchGenerated"
FAST_SERVICE = "com.example.BenchFast"
VMSTATE_IFACE = "org.qemu.VMState1"
BENCH_IFACE = "com.example.Bench1"
PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"
PATH = "/org/qemu/VMState1"
PATH_BIG = "/org/qemu/VMState1/big"
FAST_SYNC_PATH = "/bench/sync"
FAST_ASYNC_PATH = "/bench/async"
FAST_SYNC_BIG = "/bench/sync/big"
FAST_ASYNC_BIG = "/bench/async/big"
ID_VALUE = "bench-helper"
PING_TEXT = "ping"
SMALL = 1 << 20  # 1 MiB
BIG = 64 << 20  # 64 MiB: the largest array D-Bus allows


def generate_bench_stubs(out: Path) -> None:
    """``bench_vmstate`` (org.qemu.VMState1) and ``bench_ping`` (com.example.Bench1) in ``out``."""
    generate_package([VMSTATE_XML], out, "bench_vmstate")
    generate_package([BENCH_XML], out, "bench_ping")


async def _answer_commands() -> None:
    """Say ready, then answer each stdin line ``cpu`` with this process's CPU seconds
    (all threads, ``time.process_time``) until stdin closes."""
    import asyncio
    import time

    def loop() -> None:
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "cpu":
                print(f"{time.process_time():.9f}", flush=True)
            else:
                print(f"error: unknown command {line.strip()!r}", flush=True)

    await asyncio.get_running_loop().run_in_executor(None, loop)


async def serve_generated(address: str, stubs: Path) -> None:
    """The generated servers: VMState1 (Save, Load, Id) and Bench1 (Ping) on PATH, and a
    VMState1 whose Save answers 64 MiB on PATH_BIG, as bench_client.py exports them."""
    sys.path.insert(0, str(stubs))
    import bench_ping  # type: ignore[import-not-found]
    import bench_vmstate  # type: ignore[import-not-found]

    class Helper(bench_vmstate.VMState1Server):  # type: ignore[misc]
        def __init__(self, data: bytes) -> None:
            self.data = data
            self.loaded = 0

        async def save(self) -> bytes:
            return self.data

        async def load(self, data: bytes) -> None:
            self.loaded = len(data)

        async def get_id(self) -> str:
            return ID_VALUE

    class Pinger(bench_ping.Bench1Server):  # type: ignore[misc]
        async def ping(self, text: str) -> str:
            return text

    bus = await bench_vmstate.connect(address)
    Helper(payload(SMALL)).export(bus, PATH)
    Pinger().export(bus, PATH)
    Helper(payload(BIG)).export(bus, PATH_BIG)
    await bus.request_name(GEN_SERVICE)
    start_profile()
    await _answer_commands()
    bus.disconnect()


async def serve_fast(address: str) -> None:
    """dbus-fast's own ServiceInterface with the same members (bench_client.py's classes):
    plain ``def`` handlers on FAST_SYNC_PATH (and FAST_SYNC_BIG, answering 64 MiB),
    ``async def`` ones on FAST_ASYNC_PATH (and FAST_ASYNC_BIG)."""
    from dbus_fast.aio import MessageBus

    sys.path.insert(0, str(BENCH_DIR))
    from bench_client import _fast_classes

    AsyncVMState, AsyncBench, SyncVMState, SyncBench = _fast_classes()
    bus = await MessageBus(bus_address=address, negotiate_unix_fd=True).connect()
    small, big = payload(SMALL), payload(BIG)
    bus.export(FAST_SYNC_PATH, SyncVMState(small))
    bus.export(FAST_SYNC_PATH, SyncBench())
    bus.export(FAST_SYNC_BIG, SyncVMState(big))
    bus.export(FAST_ASYNC_PATH, AsyncVMState(small))
    bus.export(FAST_ASYNC_PATH, AsyncBench())
    bus.export(FAST_ASYNC_BIG, AsyncVMState(big))
    await bus.request_name(FAST_SERVICE)
    start_profile()
    await _answer_commands()
    bus.disconnect()


def raw_ops(
    bus: Any, service: str, path: str, big_path: str, small: bytes = b"", big: bytes = b""
) -> dict[str, Op]:
    """Hand-written dbus-fast calls, the baseline of every client benchmark: Message(...)
    with defaults, bus.call, an ERROR check.  ``load_data(data)`` sends any payload;
    ``load`` and ``load_big`` send ``small`` and ``big``."""
    from dbus_fast import Message, MessageType

    ERROR = MessageType.ERROR

    def check(reply: Message) -> list[Any]:
        if reply.message_type is ERROR:
            raise RuntimeError(f"{reply.error_name}: {reply.body}")
        return reply.body

    async def ping() -> str:
        reply = await bus.call(
            Message(
                destination=service,
                path=path,
                interface=BENCH_IFACE,
                member="Ping",
                signature="s",
                body=[PING_TEXT],
            )
        )
        return check(reply)[0]

    async def get_id() -> str:
        reply = await bus.call(
            Message(
                destination=service,
                path=path,
                interface=PROPERTIES_IFACE,
                member="Get",
                signature="ss",
                body=[VMSTATE_IFACE, "Id"],
            )
        )
        return check(reply)[0].value

    def save_at(p: str) -> Op:
        async def save() -> bytes:
            reply = await bus.call(
                Message(destination=service, path=p, interface=VMSTATE_IFACE, member="Save")
            )
            return check(reply)[0]

        return save

    async def load_data(data: bytes) -> None:
        reply = await bus.call(
            Message(
                destination=service,
                path=path,
                interface=VMSTATE_IFACE,
                member="Load",
                signature="ay",
                body=[data],
            )
        )
        check(reply)

    def load_of(data: bytes) -> Op:
        return lambda: load_data(data)

    return {
        "ping": ping,
        "get_id": get_id,
        "save": save_at(path),
        "save_big": save_at(big_path),
        "load_data": load_data,
        "load": load_of(small),
        "load_big": load_of(big),
    }


def server_argv(kind: str, address: str, stubs: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--serve", kind, address, str(stubs)]


PROFILE_ENV = "QDBUSGEN_BENCH_PROFILE"


def profile_env(path: Path | None) -> dict[str, str] | None:
    """The environment of a child that profiles itself into ``path`` (None: no profile)."""
    if path is None:
        return None
    return {**os.environ, PROFILE_ENV: str(path)}


def start_profile() -> None:
    """Profile this process from now on if the environment asks for it (``profile_env``);
    the profile is written when the process exits.  Called by each benchmark process once
    it is set up, so imports and set-up stay out of the profile.  The clock is cProfile's
    default (wall time, cheap to read); a CPU clock (``time.thread_time``) costs a system
    call per event and inflates code that makes many small calls, the generated server
    2.4-fold here."""
    target = os.environ.get(PROFILE_ENV)
    if not target:
        return
    import atexit
    import cProfile

    prof = cProfile.Profile()

    def dump() -> None:
        prof.disable()
        prof.dump_stats(target)

    atexit.register(dump)
    prof.enable()


def main() -> int:
    import asyncio

    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        kind, address, stubs = sys.argv[2], sys.argv[3], Path(sys.argv[4])
        if kind == "generated":
            asyncio.run(serve_generated(address, stubs))
        elif kind == "fast":
            asyncio.run(serve_fast(address))
        else:
            return 2
        return 0
    print("a helper module of the benchmarks; run bench_bindings.py, bench_server.py, ...")
    return 2


if __name__ == "__main__":
    sys.exit(main())


# --------------------------------------------------------------------------- profiles


def _area(filename: str, func: str) -> str:
    if "_runtime" in filename:
        return "qdbusgen runtime"
    if "dbus_fast" in filename:
        return "dbus-fast"
    if "asyncio" in filename or "selectors" in filename:
        return "asyncio"
    if "sdbus" in filename:
        return "sdbus"
    if filename == "~":
        return "C functions (socket, builtins)"
    if "/stubs/" in filename:
        return "generated stubs"
    if "benchmarks" in filename:
        return "benchmark code"
    return "other"


def profile_summary(
    path: Path, per_call: str, title: str, top: int = 14, calls: int | None = None
) -> None:
    """Print where a profiled process spent its time, in us per call and share.

    cProfile's clock is wall time; ``epoll.poll`` (waiting for the peers) is left out, so
    what remains is the process's own work (the profiler's overhead, and time the process
    was preempted inside a function, included).  ``calls/call`` is exact.  ``per_call`` names the function (the handler
    or the client's per-call coroutine) whose call count the times are divided by, unless
    ``calls`` gives the count (cProfile counts every resumption of a coroutine as a call).
    """
    import pstats

    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    if calls is None:
        calls = max(
            (nc for (_f, _l, fn), (_cc, nc, *_r) in stats.items() if fn == per_call), default=0
        )
    if not calls:
        print(f"--- {title}: no calls of {per_call!r} in {path}")
        return
    busy = {k: v for k, v in stats.items() if "poll' of 'select.epoll" not in k[2]}
    total = sum(v[2] for v in busy.values())
    print(
        f"--- {title}: {calls} calls of {per_call}; {total / calls * 1e6:.1f} us of own work per"
        f" call, {sum(v[1] for v in busy.values()) / calls:.0f} function calls per call"
        f" (cProfile wall clock, epoll waits left out; {path.name})"
    )
    areas: dict[str, float] = {}
    for (filename, _line, func), v in busy.items():
        areas[_area(filename, func)] = areas.get(_area(filename, func), 0.0) + v[2]
    for area, t in sorted(areas.items(), key=lambda a: -a[1]):
        print(f"    {area:<32}{t / calls * 1e6:8.1f} us/call {t / total:6.1%}")
    print(f"    {'function':<72}{'calls/call':>10}{'us/call':>9}{'share':>7}")
    for (filename, line, func), v in sorted(busy.items(), key=lambda kv: -kv[1][2])[:top]:
        where = func if filename == "~" else f"{Path(filename).name}:{line}({func})"
        print(
            f"    {where[:72]:<72}{v[1] / calls:10.2f}{v[2] / calls * 1e6:9.2f}{v[2] / total:7.1%}"
        )
    print()
