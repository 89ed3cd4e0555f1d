"""Drive a real ``qemu-system-x86_64`` from tests: process, QMP client, migration, stream parser.

Facts this relies on are in shared/docs/qemu.md (QEMU 7.2 on Debian 12):

* QMP greets first and accepts nothing but ``qmp_capabilities`` until negotiated.
* ``file:`` migration URIs do not exist in 7.2: use ``exec:cat > FILE`` / ``exec:cat FILE``.
* dbus-vmstate calls the helpers' Save/Load *synchronously* with the big QEMU lock held,
  so a helper must not run on the thread that blocks on QMP: run asyncio helpers in an
  :class:`EventLoopThread` (or another process).
* A failed incoming migration makes QEMU *exit*; :meth:`QemuProcess.wait_incoming`
  reports that together with QEMU's stderr.

Typical use::

    with QemuProcess([*MINIMAL_MACHINE, *dbus_vmstate_args(bus.address)], tmp_path, name="src") as src:
        src.migrate_to_file(tmp_path / "mig.bin")
        src.wait_migration()
    section = parse_dbus_vmstate((tmp_path / "mig.bin").read_bytes())
"""

from __future__ import annotations

import array
import asyncio
import json
import os
import shlex
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

QEMU_BINARY = os.environ.get("QDBUSGEN_QEMU", "qemu-system-x86_64")
QEMU_MISSING = (
    f"{QEMU_BINARY} is not installed: .ci/run must install it "
    "(apt-get install -y --no-install-recommends qemu-system-x86); the QEMU tests never skip"
)
#: Smallest useful VM for D-Bus work: no machine, no devices, no display, TCG.
MINIMAL_MACHINE: tuple[str, ...] = (
    "-machine",
    "none",
    "-accel",
    "tcg",
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
)
#: A PC with a VGA console (for ``-display dbus``); SeaBIOS shows "No bootable device".
PC_MACHINE: tuple[str, ...] = (
    "-machine",
    "pc",
    "-accel",
    "tcg",
    "-m",
    "64",
    "-nodefaults",
    "-no-user-config",
    "-vga",
    "std",
)
MAX_UNIX_PATH = 107


def qemu_available() -> bool:
    """True if the QEMU binary (``$QDBUSGEN_QEMU`` or ``qemu-system-x86_64``) is on PATH."""
    return shutil.which(QEMU_BINARY) is not None


def require_qemu() -> str:
    """Return the QEMU binary's path, or fail the calling test (never skip) saying what to install."""
    path = shutil.which(QEMU_BINARY)
    if path is None:
        import pytest

        pytest.fail(QEMU_MISSING, pytrace=False)
    return path


def dbus_vmstate_args(
    address: str, *, id_list: Sequence[str] = (), object_id: str = "dv0"
) -> list[str]:
    """``-object dbus-vmstate`` for a bus address; commas inside the option are doubled."""
    opts = f"dbus-vmstate,id={object_id},addr={address.replace(',', ',,')}"
    if id_list:
        opts += ",id-list=" + ",,".join(i.replace(",", ",,") for i in id_list)
    return ["-object", opts]


def exec_write_uri(path: Path) -> str:
    """Migration URI that writes the stream to ``path`` (QEMU 7.2 has no ``file:``)."""
    return "exec:cat > " + shlex.quote(str(path))


def exec_read_uri(path: Path) -> str:
    """Incoming-migration URI that reads the stream from ``path``."""
    return "exec:cat " + shlex.quote(str(path))


# --------------------------------------------------------------------------- QMP


class QemuError(RuntimeError):
    """QEMU failed to start, died, or a migration failed; the message carries its stderr."""


class QMPError(RuntimeError):
    """QMP answered a command with an error."""

    def __init__(self, command: str, error: Mapping[str, Any]) -> None:
        self.command = command
        self.error_class = str(error.get("class", ""))
        self.desc = str(error.get("desc", ""))
        super().__init__(f"QMP {command} failed: {self.error_class}: {self.desc}")


class QMPClosed(ConnectionError):
    """The QMP socket was closed (QEMU exited or quit)."""


class QMPClient:
    """A small synchronous QMP client on a Unix socket.

    Connecting reads the greeting (:attr:`greeting`) and negotiates ``qmp_capabilities``.
    Asynchronous events that arrive while waiting for a reply are kept in :attr:`events`
    (consume them with :meth:`wait_event`). File descriptors ride along a command with
    SCM_RIGHTS (:meth:`getfd`, :meth:`add_client`).
    """

    def __init__(self, path: Path | str, *, timeout: float = 10.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next_id = 0
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(timeout)
            self._sock.connect(self.path)
            greeting = self._read_message(time.monotonic() + timeout)
            if "QMP" not in greeting:
                raise QemuError(f"unexpected QMP greeting: {greeting!r}")
            self.greeting: dict[str, Any] = greeting
            self.execute("qmp_capabilities")
        except BaseException:
            self._sock.close()
            raise

    # -- wire
    def _send(self, message: Mapping[str, Any], fds: Sequence[int] = ()) -> None:
        data = json.dumps(message).encode() + b"\n"
        if fds:
            ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())]
            sent = self._sock.sendmsg([data], ancillary)
            data = data[sent:]
        if data:
            self._sock.sendall(data)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no QMP message within {self.timeout} s on {self.path}")
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as exc:
                raise QMPClosed(f"QMP socket {self.path}: {exc}") from exc
            if not chunk:
                raise QMPClosed(f"QMP socket {self.path} closed (QEMU exited?)")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        if not line.strip():
            return self._read_message(deadline)
        message: dict[str, Any] = json.loads(line)
        return message

    # -- API
    def execute(
        self,
        command: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        fds: Sequence[int] = (),
        timeout: float | None = None,
    ) -> Any:
        """Run a command and return its ``return`` value; raise :class:`QMPError` on error."""
        self._next_id += 1
        request_id = f"qdbusgen-{self._next_id}"
        message: dict[str, Any] = {"execute": command, "id": request_id}
        if arguments:
            message["arguments"] = dict(arguments)
        self._send(message, fds)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            reply = self._read_message(deadline)
            if "event" in reply:
                self.events.append(reply)
                continue
            if reply.get("id") != request_id:
                continue  # a stray reply (e.g. to a timed-out command)
            if "error" in reply:
                raise QMPError(command, reply["error"])
            return reply.get("return")

    def wait_event(
        self,
        name: str,
        *,
        timeout: float | None = None,
        match: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Return (and remove) the first event called ``name`` (satisfying ``match``)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for i, event in enumerate(self.events):
                if event.get("event") == name and (match is None or match(event)):
                    return self.events.pop(i)
            message = self._read_message(deadline)
            if "event" in message:
                self.events.append(message)

    def getfd(self, fdname: str, fd: int) -> None:
        """Pass ``fd`` to QEMU under ``fdname`` (SCM_RIGHTS on the ``getfd`` command)."""
        self.execute("getfd", {"fdname": fdname}, fds=[fd])

    def add_client(self, protocol: str, fd: int, *, fdname: str = "qdbusgen-client") -> None:
        """``getfd`` + ``add_client``, e.g. ``protocol="@dbus-display"`` for ``-display dbus,p2p=yes``."""
        self.getfd(fdname, fd)
        self.execute("add_client", {"protocol": protocol, "fdname": fdname})

    def close(self) -> None:
        self._sock.close()


# --------------------------------------------------------------------------- process


class QemuProcess:
    """One ``qemu-system-x86_64`` with a QMP socket ``DIR/NAME.qmp``; stdout/stderr go to files.

    ``args`` are the VM options (see :data:`MINIMAL_MACHINE`); ``-qmp`` is added.
    Use as a context manager: leaving it runs :meth:`shutdown` (``quit``, then SIGKILL
    after ``shutdown_timeout`` s).
    """

    def __init__(
        self,
        args: Sequence[str],
        directory: Path,
        *,
        name: str = "qemu",
        binary: str | None = None,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 10.0,
        qmp_timeout: float = 10.0,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self.directory = Path(directory)
        self.name = name
        self.qmp_path = self.directory / f"{name}.qmp"
        self.stderr_path = self.directory / f"{name}.stderr"
        self.stdout_path = self.directory / f"{name}.stdout"
        if len(os.fsencode(str(self.qmp_path))) > MAX_UNIX_PATH:
            raise QemuError(
                f"QMP socket path too long for a Unix socket ({MAX_UNIX_PATH} bytes): {self.qmp_path}"
            )
        self.binary = binary or QEMU_BINARY
        self.args = [*args, "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        self.env = dict(env) if env is not None else None
        self.start_timeout = start_timeout
        self.qmp_timeout = qmp_timeout
        self.shutdown_timeout = shutdown_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._qmp: QMPClient | None = None

    # -- lifecycle
    def start(self) -> QemuProcess:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.qmp_path.exists():
            self.qmp_path.unlink()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [self.binary, *self.args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=self.env,
            )
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                raise QemuError(
                    f"QEMU exited with status {self.process.returncode} at startup\n{self.describe()}"
                )
            if self.qmp_path.exists():
                try:
                    self._qmp = QMPClient(self.qmp_path, timeout=self.qmp_timeout)
                    return self
                except (ConnectionRefusedError, FileNotFoundError):
                    pass
                except (QMPClosed, TimeoutError) as exc:
                    self.kill()
                    raise QemuError(f"QMP handshake failed: {exc}\n{self.describe()}") from exc
            if time.monotonic() > deadline:
                self.kill()
                raise QemuError(f"no QMP socket within {self.start_timeout} s\n{self.describe()}")
            time.sleep(0.01)

    def __enter__(self) -> QemuProcess:
        return self.start() if self.process is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    @property
    def qmp(self) -> QMPClient:
        if self._qmp is None:
            raise QemuError("QEMU is not started")
        return self._qmp

    @property
    def pid(self) -> int:
        if self.process is None:
            raise QemuError("QEMU is not started")
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def execute(self, command: str, arguments: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        """:meth:`QMPClient.execute`; a QMP failure or closed socket is re-raised with QEMU's stderr."""
        try:
            return self.qmp.execute(command, arguments, **kw)
        except (QMPClosed, BrokenPipeError, ConnectionResetError) as exc:  # QEMU went away
            status = self._reap(2.0)
            what = "QEMU exited" if status is not None else "QMP connection lost"
            raise QemuError(f"{what} during {command}: {exc}\n{self.describe()}") from exc

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def describe(self) -> str:
        """Command line, exit status and stderr, for assertion messages."""
        status = (
            "not started"
            if self.process is None
            else (
                "running"
                if self.process.poll() is None
                else f"exited with status {self.process.returncode}"
            )
        )
        cmd = shlex.join([self.binary, *self.args])
        stderr = self.stderr_text().strip() or "(empty)"
        return f"[{self.name}] {status}: {cmd}\n[{self.name}] stderr:\n{stderr}"

    def _reap(self, timeout: float) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._qmp is not None:
            self._qmp.close()

    def shutdown(self, timeout: float | None = None) -> int | None:
        """``quit`` over QMP, wait, then SIGKILL; returns the exit status (None if never started)."""
        if self.process is None:
            return None
        timeout = self.shutdown_timeout if timeout is None else timeout
        if self.process.poll() is None and self._qmp is not None:
            try:
                self._qmp.execute("quit", timeout=timeout)
            except (QMPClosed, QMPError, TimeoutError, OSError):
                pass
        if self._reap(timeout) is None:
            self.process.kill()
            self.process.wait()
        if self._qmp is not None:
            self._qmp.close()
        if self.qmp_path.exists():
            self.qmp_path.unlink()
        return self.process.returncode

    # -- state
    def status(self) -> str:
        return str(self.execute("query-status")["status"])

    def wait_status(
        self, wanted: Iterable[str], *, timeout: float = 20.0, poll: float = 0.02
    ) -> str:
        """Poll ``query-status`` until it is one of ``wanted``; raise with stderr if QEMU dies."""
        wanted = set(wanted)
        deadline = time.monotonic() + timeout
        status = "?"
        while time.monotonic() < deadline:
            if not self.alive():
                raise QemuError(
                    f"QEMU exited while waiting for status {sorted(wanted)}\n{self.describe()}"
                )
            status = self.status()
            if status in wanted:
                return status
            time.sleep(poll)
        raise QemuError(
            f"status still {status!r} after {timeout} s (wanted {sorted(wanted)})\n{self.describe()}"
        )

    # -- migration
    def migrate(self, uri: str) -> None:
        self.execute("migrate", {"uri": uri})

    def migrate_to_file(self, path: Path) -> None:
        """Start an outgoing migration into ``path`` (``exec:cat > path``); see :meth:`wait_migration`."""
        self.migrate(exec_write_uri(path))

    def wait_migration(self, *, timeout: float = 20.0, poll: float = 0.02) -> dict[str, Any]:
        """Poll ``query-migrate`` until ``completed`` (returned); raise on failed/cancelled/timeout."""
        deadline = time.monotonic() + timeout
        info: dict[str, Any] = {}
        while time.monotonic() < deadline:
            info = self.execute("query-migrate")
            state = info.get("status")
            if state == "completed":
                return info
            if state in ("failed", "cancelled"):
                raise QemuError(
                    f"migration {state}: {info.get('error-desc', '')}\n{self.describe()}"
                )
            time.sleep(poll)
        raise QemuError(f"migration not completed after {timeout} s: {info}\n{self.describe()}")

    def migrate_incoming(self, uri: str) -> None:
        """``migrate-incoming`` (QEMU must run with ``-incoming defer``)."""
        self.execute("migrate-incoming", {"uri": uri})

    def migrate_incoming_from_file(self, path: Path) -> None:
        self.migrate_incoming(exec_read_uri(path))

    def wait_incoming(self, *, timeout: float = 20.0, running: bool = True) -> str:
        """Wait until the incoming migration has loaded: status ``running`` (``paused`` with -S).

        QEMU 7.2 exits when loading fails (for example when a helper's Load returns an
        error); that is raised as :class:`QemuError` with its stderr.
        """
        return self.wait_status({"running"} if running else {"paused", "running"}, timeout=timeout)


# --------------------------------------------------------------------------- asyncio helpers


class EventLoopThread:
    """An asyncio loop on a daemon thread.

    dbus-fast services (raw, or generated stubs) must keep answering while the test
    thread blocks on QMP; QEMU calls dbus-vmstate helpers with its big lock held, so a
    helper on the test thread would deadlock the migration.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="qdbusgen-asyncio", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``coro`` on the loop and wait for its result."""
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()

    def __enter__(self) -> EventLoopThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for_name_owner(
    address: str, name: str, *, timeout: float = 10.0, poll: float = 0.02
) -> str:
    """Poll the bus driver (``GetNameOwner``) until ``name`` has an owner; return its unique name."""
    from dbus_fast import Message, MessageType
    from dbus_fast.aio import MessageBus

    async def wait() -> str:
        bus = await MessageBus(bus_address=address).connect()
        try:
            deadline = time.monotonic() + timeout
            while True:
                reply = await bus.call(
                    Message(
                        destination="org.freedesktop.DBus",
                        path="/org/freedesktop/DBus",
                        interface="org.freedesktop.DBus",
                        member="GetNameOwner",
                        signature="s",
                        body=[name],
                    )
                )
                if reply is not None and reply.message_type == MessageType.METHOD_RETURN:
                    return str(reply.body[0])
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} has no owner on {address} after {timeout} s")
                await asyncio.sleep(poll)
        finally:
            bus.disconnect()

    return asyncio.run(wait())


# --------------------------------------------------------------------------- migration stream

QEMU_VM_FILE_MAGIC = b"QEVM"
QEMU_VM_SECTION_FULL = 0x04
QEMU_VM_SECTION_FOOTER = 0x7E
DBUS_VMSTATE_IDSTR = b"dbus-vmstate"


class VMStateStreamError(ValueError):
    """The migration stream has no (or a malformed) dbus-vmstate section."""


@dataclass(frozen=True)
class DBusVMStateSection:
    """The ``dbus-vmstate`` section of a QEMU migration stream (see qemu.md §3).

    ``entries`` maps helper Id -> the bytes its ``Save`` returned, in stream order.
    ``count`` is the header's helper count; QEMU counts a helper whose Save failed but
    writes no record for it, so ``missing = count - len(entries)`` may be > 0.
    ``padding`` is the unused tail of the buffer (QEMU writes the allocated size).
    """

    offset: int
    idstr: str
    section_id: int
    instance_id: int
    version_id: int
    data_size: int
    count: int
    entries: dict[str, bytes] = field(default_factory=dict)
    padding: bytes = b""
    footer_ok: bool | None = None

    @property
    def missing(self) -> int:
        return self.count - len(self.entries)


def _u32(data: bytes, pos: int, what: str) -> int:
    if pos + 4 > len(data):
        raise VMStateStreamError(f"stream truncated reading {what} at offset {pos}")
    value: int = struct.unpack_from(">I", data, pos)[0]
    return value


def _parse_section_at(stream: bytes, pos: int) -> DBusVMStateSection:
    """Parse a SECTION_FULL whose type byte is at ``pos`` and whose idstr is dbus-vmstate."""
    section_id = _u32(stream, pos + 1, "section id")
    idstr_len = stream[pos + 5]
    idstr = stream[pos + 6 : pos + 6 + idstr_len].decode("ascii", errors="replace")
    cursor = pos + 6 + idstr_len
    instance_id = _u32(stream, cursor, "instance id")
    version_id = _u32(stream, cursor + 4, "version id")
    data_size = _u32(stream, cursor + 8, "data_size")
    start = cursor + 12
    if start + data_size > len(stream):
        raise VMStateStreamError(
            f"dbus-vmstate data_size {data_size} runs past the end of the stream"
        )
    buffer = stream[start : start + data_size]
    count = _u32(buffer, 0, "helper count") if data_size >= 4 else 0
    entries: dict[str, bytes] = {}
    p = 4
    for _ in range(count):
        # QEMU counts helpers whose Save failed without writing a record for them; what
        # follows the last record is zero padding. Stop at the first implausible record.
        if p + 4 > len(buffer):
            break
        id_len = _u32(buffer, p, "id length")
        if id_len == 0 or id_len > 255 or p + 4 + id_len + 4 > len(buffer):
            break
        helper_id = buffer[p + 4 : p + 4 + id_len].decode("utf-8", errors="surrogateescape")
        p += 4 + id_len
        data_len = _u32(buffer, p, "data length")
        if p + 4 + data_len > len(buffer):
            raise VMStateStreamError(
                f"record {helper_id!r}: data length {data_len} runs past the section buffer ({data_size} bytes)"
            )
        entries[helper_id] = buffer[p + 4 : p + 4 + data_len]
        p += 4 + data_len
    end = start + data_size
    footer_ok: bool | None = None
    if end < len(stream) and stream[end] == QEMU_VM_SECTION_FOOTER:
        footer_ok = (
            end + 5 <= len(stream) and _u32(stream, end + 1, "footer section id") == section_id
        )
    return DBusVMStateSection(
        offset=pos,
        idstr=idstr,
        section_id=section_id,
        instance_id=instance_id,
        version_id=version_id,
        data_size=data_size,
        count=count,
        entries=entries,
        padding=buffer[p:],
        footer_ok=footer_ok,
    )


def parse_dbus_vmstate(stream: bytes) -> DBusVMStateSection:
    """Find and decode the ``dbus-vmstate`` section of a migration stream (bytes of the file).

    The stream is not parsed section by section (device sections are not
    self-describing); instead the section header ``0x04 <u32 section_id> <u8 len>
    idstr`` is searched for, where idstr is ``dbus-vmstate`` or ends in
    ``/dbus-vmstate`` (QEMU 7.2 writes ``dbus-vmstate/dbus-vmstate``: the object's
    vmstate-if id, then the VMStateDescription name). After it: ``u32 instance_id``,
    ``u32 version_id``, ``u32 data_size`` and the big-endian buffer: ``u32 count``, then
    per helper ``u32 len(id)``, id, ``u32 len(data)``, data, then zero padding.
    """
    if not stream.startswith(QEMU_VM_FILE_MAGIC):
        raise VMStateStreamError(
            f"not a QEMU migration stream: starts with {stream[:8]!r}, expected {QEMU_VM_FILE_MAGIC!r}"
        )
    found: list[DBusVMStateSection] = []
    errors: list[str] = []
    end = len(DBUS_VMSTATE_IDSTR)
    pos = stream.find(DBUS_VMSTATE_IDSTR)
    while pos != -1:
        # The idstr ends with this occurrence; try every length its length byte may give.
        for idstr_len in range(end, min(255, pos + end - 6) + 1):
            len_at = pos + end - idstr_len - 1
            header = len_at - 5
            if stream[len_at] != idstr_len or stream[header] != QEMU_VM_SECTION_FULL:
                continue
            idstr = stream[len_at + 1 : pos + end]
            if idstr == DBUS_VMSTATE_IDSTR or idstr.endswith(b"/" + DBUS_VMSTATE_IDSTR):
                try:
                    found.append(_parse_section_at(stream, header))
                except VMStateStreamError as exc:
                    errors.append(str(exc))
        pos = stream.find(DBUS_VMSTATE_IDSTR, pos + 1)
    if not found:
        detail = f" ({'; '.join(errors)})" if errors else ""
        raise VMStateStreamError(
            f"no dbus-vmstate section in the {len(stream)}-byte stream{detail}; was -object dbus-vmstate given?"
        )
    if len(found) > 1:
        raise VMStateStreamError(
            f"{len(found)} dbus-vmstate sections at offsets {[s.offset for s in found]}"
        )
    return found[0]


def build_dbus_vmstate_buffer(
    entries: Mapping[str, bytes], *, count: int | None = None, size: int | None = None
) -> bytes:
    """The inverse of the section buffer format (for parser tests): count, records, zero padding."""
    out = bytearray(struct.pack(">I", len(entries) if count is None else count))
    for helper_id, data in entries.items():
        raw = helper_id.encode()
        out += struct.pack(">I", len(raw)) + raw + struct.pack(">I", len(data)) + data
    if size is not None:
        if size < len(out):
            raise ValueError(f"size {size} < {len(out)} bytes of records")
        out += bytes(size - len(out))
    return bytes(out)


__all__ = [
    "DBusVMStateSection",
    "EventLoopThread",
    "MINIMAL_MACHINE",
    "PC_MACHINE",
    "QEMU_BINARY",
    "QEMU_MISSING",
    "QMPClient",
    "QMPClosed",
    "QMPError",
    "QemuError",
    "QemuProcess",
    "VMStateStreamError",
    "build_dbus_vmstate_buffer",
    "dbus_vmstate_args",
    "exec_read_uri",
    "exec_write_uri",
    "parse_dbus_vmstate",
    "qemu_available",
    "require_qemu",
    "wait_for_name_owner",
]
