"""Start a private dbus-daemon for a test: its own socket in a temp dir, never the session/system bus."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ALLOW_ALL_POLICY = """
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
"""


def bus_config(socket_path: Path, policy: str = ALLOW_ALL_POLICY) -> str:
    """A complete dbus-daemon configuration for a private bus listening on ``socket_path``."""
    return f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket_path}</listen>
  <auth>EXTERNAL</auth>
{policy}
  <limit name="max_message_size">134217728</limit>
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
</busconfig>
"""


class PrivateBus:
    def __init__(
        self, directory: Path, process: subprocess.Popen[bytes], socket_path: Path
    ) -> None:
        self.directory = directory
        self.process = process
        self.socket_path = socket_path
        self.address = f"unix:path={socket_path}"


def _accepts(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(socket_path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def dbus_daemon_available() -> bool:
    return shutil.which("dbus-daemon") is not None


@contextmanager
def private_bus(directory: Path, config_text: str | None = None) -> Iterator[PrivateBus]:
    """Run ``dbus-daemon`` on ``directory/bus.sock`` until the block ends.

    ``config_text`` replaces the allow-all configuration (it must listen on
    ``directory/bus.sock``); tests of generated policies use it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / "bus.sock"
    config = directory / "bus.conf"
    config.write_text(config_text if config_text is not None else bus_config(socket_path))
    process = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        # Ready means accepting connections: the socket file appears at bind(), before listen().
        while not _accepts(socket_path):
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"dbus-daemon exited with {process.returncode}: {err}")
            if time.monotonic() > deadline:
                raise RuntimeError("dbus-daemon did not accept connections within 10 s")
            time.sleep(0.01)
        yield PrivateBus(directory, process, socket_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        if socket_path.exists():
            os.unlink(socket_path)
