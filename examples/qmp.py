#!/usr/bin/env python3
"""Send one QMP command to QEMU and optionally wait for a migration (standard library only).

The walkthrough (docs/qemu-helpers.md) drives QEMU with it::

    python3 examples/qmp.py VM/qmp.sock migrate '{"uri": "exec:cat > VM/mig.bin"}' --wait migration
    python3 examples/qmp.py VM/qmp.sock migrate-incoming '{"uri": "exec:cat VM/mig.bin"}' --wait running
    python3 examples/qmp.py VM/qmp.sock quit

It connects (retrying until the socket accepts, at most ``--timeout`` seconds), answers the
greeting with ``qmp_capabilities``, sends the command and prints its ``return`` value as
JSON. ``--wait migration`` then polls ``query-migrate`` until ``completed`` (printed) or
``failed``; ``--wait STATUS`` polls ``query-status`` until the VM is in that run state.
Exit status: 0 on success, 1 when QEMU answers with an error, the migration fails or QEMU
goes away, 2 when the socket cannot be reached. No traceback for any of these.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from typing import Any


class QMPFailure(Exception):
    """QEMU answered with an error, or closed the connection."""


class QMP:
    def __init__(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                break
            except OSError:
                sock.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        sock.settimeout(timeout)
        self.sock = sock
        self.reader = sock.makefile("rb")
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPFailure(f"{path} is not a QMP socket: {greeting!r}")
        self.execute("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        while True:
            line = self.reader.readline()
            if not line:
                raise QMPFailure("QEMU closed the QMP connection")
            message: dict[str, Any] = json.loads(line)
            if "event" not in message:
                return message

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        request = {"execute": command, **({"arguments": arguments} if arguments else {})}
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        if command == "quit":
            try:
                reply = self._read()
            except (QMPFailure, OSError):
                return {}
        else:
            reply = self._read()
        if "error" in reply:
            error = reply["error"]
            raise QMPFailure(f"{command}: {error.get('class', '')}: {error.get('desc', error)}")
        return reply.get("return", {})

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def wait(qmp: QMP, what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        if what == "migration":
            info = qmp.execute("query-migrate")
            status = info.get("status")
            if status == "completed":
                return status
            if status in ("failed", "cancelled"):
                raise QMPFailure(f"migration {status}: {info.get('error-desc', '')}")
        else:
            status = qmp.execute("query-status")["status"]
            if status == what:
                return status
        if time.monotonic() >= deadline:
            raise QMPFailure(f"still {status!r} after {timeout} s (waiting for {what})")
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="qmp.py", description="Send one QMP command to QEMU (see the module docstring)."
    )
    parser.add_argument("socket", help="QMP socket (-qmp unix:PATH,server=on,wait=off)")
    parser.add_argument("command", help="QMP command, e.g. migrate, query-status, quit")
    parser.add_argument("arguments", nargs="?", help="its arguments as a JSON object")
    parser.add_argument(
        "--wait",
        metavar="migration|STATUS",
        help="then wait until the migration completed, or until the VM has this run state",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds for each step (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    arguments: dict[str, Any] | None = None
    if args.arguments:
        try:
            arguments = json.loads(args.arguments)
        except json.JSONDecodeError as exc:
            parser.error(f"arguments are not JSON: {exc}")
        if not isinstance(arguments, dict):
            parser.error("arguments must be a JSON object")
    try:
        qmp = QMP(args.socket, args.timeout)
    except (OSError, QMPFailure) as exc:
        sys.stderr.write(f"qmp.py: cannot talk QMP on {args.socket}: {exc}\n")
        return 2
    try:
        result = qmp.execute(args.command, arguments)
        if args.wait:
            result = wait(qmp, args.wait, args.timeout)
    except (OSError, QMPFailure) as exc:
        sys.stderr.write(f"qmp.py: {exc}\n")
        return 1
    finally:
        qmp.close()
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
