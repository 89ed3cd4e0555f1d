"""In-process cost of one call's dispatch: runtime registry vs dbus-fast ServiceInterface (def).

    python3 benchmarks/prof_dispatch.py [--n 50000] [--profile]

Both dispatch the same received Message (Ping(s), Properties.Get) on a p2p connection.
``--mode sink``: a writer that only marshals the reply; ``--mode writer``: the runtime's
writer for the runtime and dbus-fast's own for dbus-fast, on a socket whose send() takes
everything.  The figures are the Python cost of dispatch + reply building (+ writing),
without the inbound gate, the socket or the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import socket
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prof_hot import IFACE, PATH, PROPS, _server_classes, _sync_class  # noqa: E402

from dbus_fast import Message  # noqa: E402


class FakeSock:
    """A socket that takes every write whole."""

    def send(self, data: Any) -> int:
        return len(data)


class Sink:
    """Stands in for the writer: marshals, writes nothing."""

    def __init__(self, writer: Any) -> None:
        self.negotiate_unix_fd = True
        self.n = 0

    def schedule_write(self, msg: Message, fut: Any = None) -> None:
        msg._marshall(True)
        self.n += 1
        if fut is not None:
            fut.set_result(None)

    def buffer_message(self, msg: Message, fut: Any = None) -> None:
        self.schedule_write(msg, fut)


async def main(n: int, profile: bool, mode: str) -> None:
    import qdbusgen_runtime as rt

    Server, _ = _server_classes()
    results = {}
    for kind in ("rt", "sync"):
        a, b = socket.socketpair()
        sfut = asyncio.ensure_future(rt.accept_p2p(a))
        cbus = await rt.connect_p2p(b)
        sbus = await sfut
        if kind == "rt":
            Server().export(sbus, PATH)
        else:
            sbus.export(PATH, _sync_class()())
        if mode == "sink":
            sbus._writer = Sink(sbus._writer)
        else:  # the runtime's writer for the runtime, dbus-fast's own for dbus-fast
            from dbus_fast.aio.message_bus import _MessageWriter

            if kind == "sync":
                sbus._writer = _MessageWriter(sbus)
            sbus._writer.sock = FakeSock()
        for what, member, iface, sig, body in (
            ("ping", "Ping", IFACE, "s", ["ping"]),
            ("get", "Get", PROPS, "ss", [IFACE, "Id"]),
        ):
            msgs = [
                Message(
                    path=PATH,
                    interface=iface,
                    member=member,
                    signature=sig,
                    body=body,
                    serial=i + 1,
                )
                for i in range(n)
            ]
            prof = cProfile.Profile() if profile and kind == "rt" else None
            t0 = time.process_time()
            if prof:
                prof.enable()
            for m in msgs:
                sbus._process_message(m)
            await asyncio.sleep(0)
            if prof:
                prof.disable()
            t1 = time.process_time()
            results[(what, kind)] = (t1 - t0) / n * 1e6
            if prof:
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        sbus._writer = None
        cbus.disconnect()
    for what in ("ping", "get"):
        r, s = results[(what, "rt")], results[(what, "sync")]
        print(f"{what}: runtime {r:.2f} us, dbus-fast def {s:.2f} us, ratio {r / s:.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50000)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--mode", choices=["sink", "writer"], default="writer")
    args = ap.parse_args()
    asyncio.run(main(args.n, args.profile, args.mode))
