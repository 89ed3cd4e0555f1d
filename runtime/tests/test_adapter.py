"""qdbusgen_runtime's own tests: the dbus-fast adapter and the version check.

These need only the runtime and dbus-fast (no qdbusgen); generated code on real buses is
tested in qdbusgen's tests/.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import qdbusgen_runtime
from qdbusgen_runtime import _adapter

PACKAGE = Path(qdbusgen_runtime.__file__).parent
BUS_NAMES = {"bus", "self.bus", "self._bus", "message_bus"}


def test_the_installed_dbus_fast_has_every_internal_the_adapter_lists() -> None:
    assert _adapter._missing_members() == []


def _import_with(patch: str) -> subprocess.CompletedProcess[str]:
    code = f"{patch}\nimport qdbusgen_runtime\n"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize(
    ("patch", "named"),
    [
        (
            "from dbus_fast.aio.message_bus import MessageBus\ndel MessageBus._authenticate",
            "MessageBus._authenticate",
        ),
        (
            "import dbus_fast.aio.message_reader as r\ndel r._message_reader",
            "dbus_fast.aio.message_reader._message_reader",
        ),
        (
            "from dbus_fast.aio.message_bus import MessageBus\n"
            "async def connect(self): pass\n"
            "MessageBus.connect = connect",
            "MessageBus.connect() calling build_message_reader",
        ),
    ],
)
def test_a_dbus_fast_whose_internals_differ_is_refused_at_import(patch: str, named: str) -> None:
    proc = _import_with(patch)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: qdbusgen-runtime 1.") and named in last, proc.stderr
    assert "supports dbus-fast >=5.2, <5.3" in last and "Install dbus-fast>=5.2,<5.3" in last


def _private_uses(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dbus_fast"):
            if "._" in node.module or any(a.name.startswith("_") for a in node.names):
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            owner = ast.unparse(node.value)
            if owner in BUS_NAMES and not node.attr.startswith("_qdbusgen"):
                found.append(f"{owner}.{node.attr}")
    return found


def test_only_the_adapter_reaches_into_dbus_fast() -> None:
    outside = {
        path.name: uses
        for path in sorted(PACKAGE.glob("*.py"))
        if path.name != "_adapter.py"
        and (uses := _private_uses(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert outside == {}, "move these behind a function in _adapter.py and list them there"
    # and the adapter's own uses are the listed ones
    listed = {name for _where, name, _why in _adapter.PRIVATE_MEMBERS}
    used = {
        u.rsplit(".", 1)[1]
        for u in _private_uses(ast.parse((PACKAGE / "_adapter.py").read_text()))
        if not u.startswith("from ")
    }
    assert used <= listed, sorted(used - listed)


def test_require_version_accepts_the_same_major_and_an_older_minor() -> None:
    major, minor = (int(x) for x in qdbusgen_runtime.__version__.split(".")[:2])
    qdbusgen_runtime.require_version(f"{major}.{minor}", "pkg")
    qdbusgen_runtime.require_version(f"{major}.0", "pkg")


@pytest.mark.parametrize("delta", [(0, 1), (1, 0), (-1, 0)])
def test_require_version_refuses_other_releases_naming_both(delta: tuple[int, int]) -> None:
    major, minor = (int(x) for x in qdbusgen_runtime.__version__.split(".")[:2])
    wanted = f"{major + delta[0]}.{minor + delta[1]}"
    with pytest.raises(ImportError) as info:
        qdbusgen_runtime.require_version(wanted, "some_pkg.mod")
    text = str(info.value)
    assert text.startswith(f"some_pkg.mod was generated for qdbusgen-runtime {wanted} ")
    assert f"qdbusgen-runtime {qdbusgen_runtime.__version__} is installed" in text


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (
            "_is_path",
            ["/", "/a", "/a/b_1/C"],
            ["", "a", "//", "/a/", "/a\n", "/a\n/b", "/a-b", "/é"],
        ),
        (
            "_is_interface",
            ["a.b", "org.qemu.Display1", "_a.b_1"],
            ["a", "a.b\n", ".a.b", "a..b", "a.1b", "a.b-c", "a." + "b" * 254],
        ),
        ("_is_member", ["Echo", "_x1"], ["", "Echo\n", "Ec-ho", "1x", "a.b", "x" * 256]),
        (
            "_is_bus_name",
            [":1.42", ":a-b.c_d", "org.qemu", "a-b.c", "_x.y"],
            ["", ":", ":1", ": x", ":1.4\n", "a", "a.b\n", "a.1b", ".a.b", "a." + "b" * 254],
        ),
    ],
)
def test_names_are_checked_per_the_specification(
    check: str, valid: list[str], invalid: list[str]
) -> None:
    """Not dbus-fast's validators: their "$" matches before a final newline."""
    from qdbusgen_runtime import _wire

    valid_name = getattr(_wire, check)
    assert [n for n in valid if not valid_name(n)] == []
    assert [n for n in invalid if valid_name(n)] == []


def test_local_paths_are_checked_by_the_same_rule() -> None:
    """An object exported, managed or called at a path the peer would refuse ("/a\\n": a
    daemon disconnects whoever sends it) is refused here, before anything is sent."""
    import asyncio
    import socket

    from dbus_fast.errors import InvalidObjectPathError

    class Server(qdbusgen_runtime.ServerBase):  # type: ignore[misc]
        INTERFACE = "com.example.Paths"

    class Proxy(qdbusgen_runtime.ProxyBase):  # type: ignore[misc]
        INTERFACE = "com.example.Paths"

    async def main() -> None:
        a, b = socket.socketpair()
        server_end = asyncio.ensure_future(qdbusgen_runtime.accept_p2p(a))
        client = await qdbusgen_runtime.connect_p2p(b)
        server = await server_end
        manager = qdbusgen_runtime.ObjectManagerServer()
        manager.export(server, "/")
        try:
            for path in ["/a\n", "/a\n/b", "/a/", "a"]:
                with pytest.raises(InvalidObjectPathError):
                    Server().export(server, path)
                with pytest.raises(InvalidObjectPathError):
                    await manager.add(path, Server())
                with pytest.raises(InvalidObjectPathError):
                    Proxy(client, None, path)
            Server().export(server, "/a/b")  # and the valid path still serves
            assert manager.managed == {}
        finally:
            client.disconnect()
            server.disconnect()

    asyncio.run(asyncio.wait_for(main(), 10))
