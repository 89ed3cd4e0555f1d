"""Real Debian services on a private bus: introspect -> generate -> real work, verified with
the service's own command-line tool.

- dconf's writer (``/usr/libexec/dconf-service``, package dconf-service): a value written
  through the generated ``ca.desrt.dconf.Writer`` proxy is read back with ``dconf read``.
- gnome-keyring's Secret Service (``gnome-keyring-daemon --components=secrets``): a secret
  stored through the generated ``org.freedesktop.Secret.*`` proxies is found by
  ``secret-tool lookup``, and one stored by ``secret-tool store`` is read back through them.

Each service runs with HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR in the test's temp dir
and DBUS_SESSION_BUS_ADDRESS pointing at the private bus (the ``bus`` fixture): nothing
touches the machine's session. The packages come from ``.ci/apt-packages``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e_support import async_test, import_package

SYSTEM_PYTHON = "/usr/bin/python3"
DCONF_SERVICE = "/usr/libexec/dconf-service"


def require(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None and not os.path.exists(p)]
    if missing:
        pytest.fail(f"not installed: {', '.join(missing)} (.ci/apt-packages lists their packages)")


def session_env(tmp_path: Path, address: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_"))}
    for name in ("home", "config", "runtime"):
        (tmp_path / name).mkdir(mode=0o700, exist_ok=True)
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_RUNTIME_DIR=str(tmp_path / "runtime"),
        DBUS_SESSION_BUS_ADDRESS=address,
    )
    return env


def name_has_owner(address: str, name: str) -> bool:
    proc = subprocess.run(
        [
            "dbus-send",
            f"--bus={address}",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            f"string:{name}",
        ],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return "boolean true" in proc.stdout


@contextlib.contextmanager
def service(argv: list[str], env: dict[str, str], name: str, log: Path) -> Iterator[None]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 15
            while not name_has_owner(env["DBUS_SESSION_BUS_ADDRESS"], name):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{argv[0]} did not take {name}:\n{log.read_text()}")
                time.sleep(0.05)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def introspect_generate(
    address: str, dest: str, path: str, out: Path, env: dict[str, str]
) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "qdbusgen",
        "introspect",
        "--address",
        address,
        "--dest",
        dest,
        path,
        "--generate",
        "-o",
        str(out),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    return err.decode()


def dconf_blob(key: str, value: str) -> bytes:
    """A dconf changeset (GVariant ``a{smv}``, what dconf_changeset_serialise writes), made
    with GLib in the system interpreter."""
    code = (
        "import sys; from gi.repository import GLib; "
        "v = GLib.Variant('a{smv}', {sys.argv[1]: GLib.Variant('s', sys.argv[2])}); "
        "sys.stdout.buffer.write(v.get_data_as_bytes().get_data())"
    )
    return subprocess.run(
        [SYSTEM_PYTHON, "-c", code, key, value], capture_output=True, check=True, timeout=30
    ).stdout


@async_test(timeout=180)
async def test_dconf_writer(bus: Any, tmp_path: Path) -> None:
    require(DCONF_SERVICE, "dconf", SYSTEM_PYTHON)
    env = session_env(tmp_path, bus.address)
    with service([DCONF_SERVICE], env, "ca.desrt.dconf", tmp_path / "dconf.log"):
        err = await introspect_generate(
            bus.address,
            "ca.desrt.dconf",
            "/ca/desrt/dconf/Writer/user",
            tmp_path / "pkgs" / "rs_dconf",
            env,
        )
        assert "GUIDE-" not in err
        pkg = import_package(tmp_path / "pkgs", "rs_dconf")
        client = await pkg.connect(bus.address)
        try:
            writer = pkg.WriterProxy(
                client, "ca.desrt.dconf", "/ca/desrt/dconf/Writer/user", timeout=10
            )
            async with writer.stream_notify() as notes:
                tag = await writer.change(dconf_blob("/org/qdbusgen/test/greeting", "hello"))
                note = await asyncio.wait_for(anext(notes), 5)
            assert isinstance(tag, str) and tag
            assert note.tag == tag and "/org/qdbusgen/test/greeting" in note.prefix + "".join(
                note.changes
            )
        finally:
            client.disconnect()
        read = subprocess.run(
            ["dconf", "read", "/org/qdbusgen/test/greeting"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert read.stdout.strip() == "'hello'", read.stderr
    assert (tmp_path / "config" / "dconf" / "user").is_file()  # the writer's own database


@async_test(timeout=180)
async def test_gnome_keyring_secret_service(bus: Any, tmp_path: Path) -> None:
    require("gnome-keyring-daemon", "secret-tool")
    env = session_env(tmp_path, bus.address)
    argv = ["gnome-keyring-daemon", "--start", "--foreground", "--components=secrets"]
    with service(argv, env, "org.freedesktop.secrets", tmp_path / "keyring.log"):
        err = await introspect_generate(
            bus.address,
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            tmp_path / "pkgs" / "rs_secrets",
            env,
        )
        assert "GUIDE-" not in err
        pkg = import_package(tmp_path / "pkgs", "rs_secrets")
        client = await pkg.connect(bus.address)
        dest = "org.freedesktop.secrets"
        try:
            secrets = pkg.FreedesktopSecretServiceProxy(
                client, dest, "/org/freedesktop/secrets", timeout=10
            )
            opened = await secrets.open_session("plain", pkg.Variant("s", ""))
            session = opened.result
            # gnome-keyring's in-memory "session" collection needs no prompt
            collection = pkg.FreedesktopSecretCollectionProxy(
                client, dest, "/org/freedesktop/secrets/collection/session", timeout=10
            )
            created = await collection.create_item(
                {
                    "org.freedesktop.Secret.Item.Label": pkg.Variant("s", "qdbusgen test"),
                    "org.freedesktop.Secret.Item.Attributes": pkg.Variant(
                        "a{ss}", {"app": "qdbusgen", "case": "proxy"}
                    ),
                },
                (session, b"", b"stored through qdbusgen", "text/plain"),
                True,
            )
            assert created.item.startswith("/org/freedesktop/secrets/collection/session/")
            assert created.prompt == "/"  # no prompt was needed
            lookup = subprocess.run(
                ["secret-tool", "lookup", "app", "qdbusgen", "case", "proxy"],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert lookup.stdout == "stored through qdbusgen", lookup.stderr

            # and the other way: secret-tool stores, the generated proxies find it
            store = subprocess.run(
                [
                    "secret-tool",
                    "store",
                    "--collection=session",
                    "--label=cli",
                    "app",
                    "qdbusgen",
                    "case",
                    "cli",
                ],
                env=env,
                input="stored by secret-tool",
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert store.returncode == 0, store.stderr
            found = await secrets.search_items({"app": "qdbusgen", "case": "cli"})
            assert len(found.unlocked) == 1
            values = await secrets.get_secrets(found.unlocked, session)
            (secret,) = values.values()
            assert secret[2] == b"stored by secret-tool"
        finally:
            client.disconnect()
