"""Serve com.example.Types1 from a generated package in a process of its own.

    python e2e_types_server.py PACKAGE_PARENT PACKAGE BUS_ADDRESS BUS_NAME

Prints ``READY <unique name>`` once the object is exported and BUS_NAME is owned,
then serves until stdin is closed (so the client and the server never share an
event loop). Exits 0 after a clean disconnect.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_support import TYPES1_PATH, import_package, types1_server_class  # noqa: E402


async def main(parent: str, package: str, address: str, bus_name: str) -> int:
    pkg = import_package(Path(parent), package)
    bus = await pkg.connect(address)
    server = types1_server_class(pkg)()
    server.export(bus, TYPES1_PATH)
    await bus.request_name(bus_name)
    print("READY", bus.unique_name, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin
    server.unexport()
    bus.disconnect()
    await bus.wait_for_disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:5])))
