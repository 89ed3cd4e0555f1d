"""The frob service and a client, written against the package qdbusgen generates at build time."""

from __future__ import annotations

from frob_bus import Frobnicator1Proxy, Frobnicator1Server

PATH = "/com/example/Frobnicator1"


class Frobnicator(Frobnicator1Server):
    """Frobs ``strength * 2`` things and remembers the strength."""

    level = 0

    async def frob(self, strength: int) -> int:
        self.level = strength
        self.emit_frobbed(strength * 2)
        return strength * 2

    async def get_level(self) -> int:
        return self.level


async def frob_remote(address: str, strength: int) -> int:
    """Call Frob on the service at ``address``."""
    proxy = await Frobnicator1Proxy.new(address, "com.example.Frobnicator1", PATH)
    return await proxy.frob(strength)
