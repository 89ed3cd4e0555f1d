"""The README's example code runs as written, on generated code and a private bus."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from dbus_harness import PrivateBus

from qdbusgen.generate import generate

ROOT = Path(__file__).resolve().parent.parent


def test_readme_example_runs(tmp_path: Path, bus: PrivateBus) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "the README has a python example"
    assert generate(
        [str(ROOT / "interfaces" / "org.qemu.VMState1.xml")], tmp_path / "qemu_vmstate"
    ).ok
    sys.path.insert(0, str(tmp_path))
    try:
        namespace: dict[str, object] = {}
        exec(compile(blocks[0], "README.md", "exec"), namespace)
        main = namespace["main"]
        assert callable(main)
        asyncio.run(asyncio.wait_for(main(bus.address), 20))
    finally:
        sys.path.remove(str(tmp_path))
        for name in [
            m for m in sys.modules if m == "qemu_vmstate" or m.startswith("qemu_vmstate.")
        ]:
            del sys.modules[name]
