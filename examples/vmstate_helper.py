#!/usr/bin/env python3
"""A dbus-vmstate helper for QEMU, built on the generated ``org.qemu.VMState1`` server stub.

QEMU's ``-object dbus-vmstate,id=dv0,addr=BUS[,id-list=A,,B]`` puts the state of helper
processes into its migration stream: on the source it calls ``Save`` on every helper
queued for the bus name ``org.qemu.VMState1``; on the destination it calls ``Load`` with
the bytes the helper with the same ``Id`` saved. This helper:

* queues for ``org.qemu.VMState1`` (RequestName flags 0, so that several helpers with
  different ``--id`` can share one bus) and serves ``/org/qemu/VMState1``;
* refuses to start (exit status 3, a message naming the Id, nothing left queued) when a
  helper with the same ``--id`` is already queued: QEMU 7.2 crashes (SIGABRT or SIGSEGV) when it
  migrates with two helpers of one Id and no ``id-list`` (see :func:`check_id_is_free`
  for what is guaranteed when two start at the same moment);
* saves a small versioned record -- magic ``QDGS``, format version, flags, payload length,
  CRC-32 of the payload, then the payload -- so that ``Load`` can refuse anything it did
  not write, and refuses (with a D-Bus error, never by crashing) records that are larger
  than QEMU's 1 MiB limit, truncated, of another version or corrupt;
* takes the payload from ``--data TEXT`` or from ``--state-file FILE`` (read at each Save;
  a successful Load writes the loaded payload back to that file);
* prints one JSON object per line on stdout for each event (``ready``, ``saved``,
  ``loaded``, ``rejected``, ``stopped``), so a person or a test can see what it loaded;
* stops cleanly on SIGTERM or SIGINT (releases the name, exit status 0).

It needs the package that qdbusgen generates from QEMU's interface file, importable
through PYTHONPATH (nothing else but dbus-fast)::

    python3 -m qdbusgen generate interfaces/org.qemu.VMState1.xml -o GEN/qemu_vmstate
    PYTHONPATH=GEN python3 examples/vmstate_helper.py --address unix:path=/run/vm1/bus.sock \\
        --id my-helper --data 'hello from the source'

and QEMU is started with ``-object dbus-vmstate,id=dv0,addr=unix:path=/run/vm1/bus.sock``
(see docs/qemu-helpers.md for the whole walkthrough).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import json
import os
import signal
import struct
import sys
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported for real only once the arguments are parsed (--help works without it)
    import qemu_vmstate
    from qemu_vmstate import MessageBus

BUS_NAME = "org.qemu.VMState1"
OBJECT_PATH = "/org/qemu/VMState1"
#: QEMU refuses to store a Save reply larger than this (DBUS_VMSTATE_SIZE_LIMIT).
QEMU_SIZE_LIMIT = 1 << 20
#: Header of a saved record: magic, format version, flags, payload length, CRC-32 of the payload.
MAGIC = b"QDGS"
VERSION = 1
HEADER = struct.Struct(">4sHHII")
MAX_PAYLOAD = QEMU_SIZE_LIMIT - HEADER.size

ERROR_INVALID = "org.qdbusgen.Example.VMStateHelper.Error.InvalidState"
ERROR_TOO_LARGE = "org.qdbusgen.Example.VMStateHelper.Error.TooLarge"
ERROR_FAILED = "org.qdbusgen.Example.VMStateHelper.Error.Failed"
#: How long to wait for another queued helper to tell its Id before starting anyway.
ID_QUERY_TIMEOUT = 5.0
#: Exit status when a helper with the same Id is already queued for the name.
EXIT_DUPLICATE_ID = 3

GENERATE_HINT = (
    "generate it first and put its parent directory on PYTHONPATH:\n"
    "    python3 -m qdbusgen generate interfaces/org.qemu.VMState1.xml -o GEN/qemu_vmstate\n"
    "    PYTHONPATH=GEN python3 examples/vmstate_helper.py --address ADDRESS --id ID ..."
)


# --------------------------------------------------------------------------- state format


class StateError(ValueError):
    """The bytes are not a record this helper can load; ``error_name`` is the D-Bus error."""

    def __init__(self, message: str, error_name: str = ERROR_INVALID) -> None:
        super().__init__(message)
        self.error_name = error_name


def encode_state(payload: bytes) -> bytes:
    """The record Save returns for ``payload``; StateError if it would exceed 1 MiB."""
    if len(payload) > MAX_PAYLOAD:
        raise StateError(
            f"payload of {len(payload)} bytes does not fit QEMU's limit of {QEMU_SIZE_LIMIT} bytes "
            f"({MAX_PAYLOAD} bytes of payload after the {HEADER.size}-byte header)",
            ERROR_TOO_LARGE,
        )
    return HEADER.pack(MAGIC, VERSION, 0, len(payload), zlib.crc32(payload)) + payload


def decode_state(data: bytes) -> bytes:
    """The payload of a record written by :func:`encode_state`; StateError for anything else."""
    if len(data) > QEMU_SIZE_LIMIT:
        raise StateError(
            f"{len(data)} bytes is more than QEMU's limit of {QEMU_SIZE_LIMIT}", ERROR_TOO_LARGE
        )
    if len(data) < HEADER.size:
        raise StateError(f"{len(data)} bytes is shorter than the {HEADER.size}-byte header")
    magic, version, flags, length, crc = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise StateError(
            f"bad magic {magic!r} (expected {MAGIC!r}): not a state saved by this helper"
        )
    if version != VERSION:
        raise StateError(
            f"format version {version} is not supported (this helper reads version {VERSION})"
        )
    if flags != 0:
        raise StateError(f"unknown flags 0x{flags:04x}")
    if length != len(data) - HEADER.size:
        raise StateError(
            f"header says {length} bytes of payload, the record has {len(data) - HEADER.size}"
        )
    payload = bytes(data[HEADER.size :])
    if zlib.crc32(payload) != crc:
        raise StateError("payload checksum mismatch: the record is corrupt")
    return payload


# --------------------------------------------------------------------------- output


def emit(event: str, **fields: Any) -> None:
    """One JSON object per line on stdout."""
    sys.stdout.write(json.dumps({"event": event, **fields}, sort_keys=True) + "\n")
    sys.stdout.flush()


def describe_payload(payload: bytes) -> dict[str, Any]:
    info: dict[str, Any] = {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    if len(payload) <= 4096:
        info["payload_hex"] = payload.hex()
        try:
            info["payload_text"] = payload.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return info


def write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------- the helper


def require_generated() -> None:
    """Exit with a hint when the generated package is not importable."""
    try:
        importlib.import_module("qemu_vmstate")
    except ImportError as exc:
        sys.exit(
            f"vmstate_helper: cannot import the generated package 'qemu_vmstate' ({exc});\n{GENERATE_HINT}"
        )


class HelperState:
    """What the helper saves and loads; plain Python (the D-Bus side is :func:`make_server`)."""

    def __init__(
        self, helper_id: str, *, data: bytes | None = None, state_file: Path | None = None
    ) -> None:
        self.helper_id = helper_id
        self.data = data
        self.state_file = state_file
        self.saves = 0
        self.loads = 0

    def current_payload(self) -> bytes:
        if self.state_file is not None:
            try:
                return self.state_file.read_bytes()
            except OSError as exc:
                raise StateError(
                    f"cannot read the state file {self.state_file}: {exc.strerror}", ERROR_FAILED
                ) from None
        return self.data or b""

    def save(self) -> bytes:
        """The record for Save; StateError (reported as ``rejected``) if there is none."""
        try:
            record = encode_state(self.current_payload())
        except StateError as exc:
            emit(
                "rejected", method="Save", id=self.helper_id, error=exc.error_name, reason=str(exc)
            )
            raise
        self.saves += 1
        emit(
            "saved",
            id=self.helper_id,
            record_size=len(record),
            **describe_payload(record[HEADER.size :]),
        )
        return record

    def load(self, data: bytes) -> None:
        """Validate and apply a record from Load; StateError (reported as ``rejected``) if it is bad."""
        try:
            payload = decode_state(data)
            if self.state_file is not None:
                try:
                    write_atomically(self.state_file, payload)
                except OSError as exc:
                    raise StateError(
                        f"cannot write the state file {self.state_file}: {exc.strerror}",
                        ERROR_FAILED,
                    ) from None
        except StateError as exc:
            emit(
                "rejected",
                method="Load",
                id=self.helper_id,
                error=exc.error_name,
                reason=str(exc),
                record_size=len(data),
            )
            raise
        self.loads += 1
        self.data = payload
        emit("loaded", id=self.helper_id, record_size=len(data), **describe_payload(payload))


def make_server(state: HelperState) -> qemu_vmstate.VMState1Server:
    """The org.qemu.VMState1 object: a subclass of the generated server that answers from ``state``."""
    import qemu_vmstate as gen

    class VMStateHelper(gen.VMState1Server):
        async def get_id(self) -> str:
            return state.helper_id

        async def save(self) -> bytes:
            try:
                return state.save()
            except StateError as exc:
                raise gen.DBusError(exc.error_name, str(exc)) from None

        async def load(self, data: bytes) -> None:
            try:
                state.load(data)
            except StateError as exc:
                raise gen.DBusError(exc.error_name, str(exc)) from None

    return VMStateHelper()


class DuplicateIdError(Exception):
    """Another connection queued for org.qemu.VMState1 answers ``Id`` with our Id."""

    def __init__(self, helper_id: str, owner: str) -> None:
        super().__init__(
            f"a helper with Id {helper_id!r} is already queued for {BUS_NAME} "
            f"(connection {owner}); QEMU 7.2 cannot migrate with two helpers of one Id "
            f"(it aborts without id-list): stop that helper or give this one another --id"
        )
        self.helper_id = helper_id
        self.owner = owner


async def queued_owners(bus: MessageBus) -> list[str]:
    """The unique names queued for org.qemu.VMState1, in queue order (primary owner first)."""
    import qemu_vmstate as gen

    try:
        return await gen.list_queued_owners(bus, BUS_NAME)
    except gen.NameHasNoOwner:
        return []
    except gen.DBusError as e:
        raise StateError(f"ListQueuedOwners failed: {e.name}", ERROR_FAILED) from e


async def check_id_is_free(bus: MessageBus, helper_id: str, *, queued: bool) -> list[str]:
    """Raise :class:`DuplicateIdError` if a helper with ``helper_id`` is queued before us.

    Asks every connection queued for org.qemu.VMState1 (ListQueuedOwners) for its ``Id``
    (Properties.Get, at most :data:`ID_QUERY_TIMEOUT` s, all at once). Before RequestName
    (``queued=False``) any other helper with our Id counts. After it (``queued=True``)
    only those ahead of us in the queue count: when two helpers with one Id start at the
    same moment, neither may see the other before queuing, but afterwards both see both,
    and exactly the one that queued later leaves. What is guaranteed: a helper whose Id is
    already queued (one that printed ``ready``) never queues; of two started at once the
    later one is queued only for the few milliseconds of this second check. Owners that
    do not answer (not a helper, hung, or a policy that refuses the call) cannot be
    checked; their unique names are returned so that ``ready`` can report them.
    """
    import qemu_vmstate as gen

    owners = await queued_owners(bus)
    if queued and bus.unique_name in owners:
        owners = owners[: owners.index(bus.unique_name)]
    owners = [owner for owner in owners if owner != bus.unique_name]

    async def owner_id(owner: str) -> str | None:
        proxy = gen.VMState1Proxy(bus, owner, OBJECT_PATH, timeout=ID_QUERY_TIMEOUT)
        try:
            return await proxy.get_id()
        except gen.DBusError:
            return None

    ids = await asyncio.gather(*(owner_id(owner) for owner in owners))
    for owner, other_id in zip(owners, ids):
        if other_id == helper_id:
            raise DuplicateIdError(helper_id, owner)
    return [owner for owner, other_id in zip(owners, ids) if other_id is None]


def refuse_duplicate(exc: DuplicateIdError) -> int:
    emit("error", stage="check_id", id=exc.helper_id, owner=exc.owner, reason=str(exc))
    sys.stderr.write(f"vmstate_helper: {exc}\n")
    sys.stderr.flush()
    return EXIT_DUPLICATE_ID


async def serve(args: argparse.Namespace) -> int:
    require_generated()
    import qemu_vmstate as gen

    state = HelperState(
        args.id,
        data=args.data.encode("utf-8") if args.data is not None else None,
        state_file=Path(args.state_file) if args.state_file else None,
    )
    helper = make_server(state)
    try:
        bus = await gen.connect(args.address)
    except Exception as exc:  # noqa: BLE001 - report any connection failure the same way
        emit("error", stage="connect", address=args.address, reason=f"{type(exc).__name__}: {exc}")
        return 2

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    # Export first, then queue for the name: QEMU never sees the name without the object.
    # Before queuing, make sure no helper with our Id is queued (QEMU 7.2 aborts on that).
    helper.export(bus, OBJECT_PATH)
    try:
        await check_id_is_free(bus, args.id, queued=False)
        reply = await gen.request_name(bus, BUS_NAME)  # no flags: queue behind other helpers
        unchecked = await check_id_is_free(bus, args.id, queued=True)  # one started with us?
    except DuplicateIdError as exc:
        helper.unexport()
        try:
            await asyncio.wait_for(gen.release_name(bus, BUS_NAME), 2)
        except Exception:  # noqa: BLE001 - not queued yet, or the bus is gone
            pass
        bus.disconnect()
        return refuse_duplicate(exc)
    except gen.DBusError as exc:  # AccessDenied when the bus policy forbids the name
        emit("error", stage="request_name", name=BUS_NAME, error=exc.name, reason=exc.text)
        bus.disconnect()
        return 2
    except StateError as exc:
        emit("error", stage="check_id", name=BUS_NAME, error=exc.error_name, reason=str(exc))
        bus.disconnect()
        return 2
    if reply not in (
        gen.RequestNameReply.PRIMARY_OWNER,
        gen.RequestNameReply.IN_QUEUE,
        gen.RequestNameReply.ALREADY_OWNER,
    ):
        emit("error", stage="request_name", name=BUS_NAME, reason=f"unexpected reply {reply.name}")
        bus.disconnect()
        return 2
    emit(
        "ready",
        id=args.id,
        unique_name=bus.unique_name,
        name=BUS_NAME,
        path=OBJECT_PATH,
        queued=reply is gen.RequestNameReply.IN_QUEUE,
        unchecked=unchecked,
        pid=os.getpid(),
        uid=os.getuid(),
    )

    stopped = asyncio.ensure_future(stop.wait())
    gone = asyncio.ensure_future(bus.wait_for_disconnect())  # type: ignore[no-untyped-call]
    await asyncio.wait({stopped, gone}, return_when=asyncio.FIRST_COMPLETED)
    if gone.done():  # the bus went away (dbus-daemon stopped): nothing to release
        stopped.cancel()
        error = None if gone.cancelled() else gone.exception()
        emit(
            "stopped",
            id=args.id,
            reason="bus connection closed",
            error=repr(error) if error else None,
            saves=state.saves,
            loads=state.loads,
        )
        return 1
    helper.unexport()
    try:
        await asyncio.wait_for(gen.release_name(bus, BUS_NAME), 2)
    except Exception:  # noqa: BLE001 - the bus may already be gone; we are leaving anyway
        pass
    bus.disconnect()
    try:
        await asyncio.wait_for(gone, 2)
    except Exception:  # noqa: BLE001
        pass
    emit("stopped", id=args.id, reason="signal", saves=state.saves, loads=state.loads)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="vmstate_helper.py",
        description="A QEMU dbus-vmstate helper (org.qemu.VMState1) on the stub generated by qdbusgen. "
        "It queues for the bus name org.qemu.VMState1, answers Save with a versioned record of its "
        "payload and Load by validating such a record; it prints one JSON event per line.",
        epilog=GENERATE_HINT.replace(
            "generate it first and put",
            "It needs the generated package qemu_vmstate: generate it and put",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--address",
        required=True,
        help="D-Bus address of the VM's bus (the addr= given to -object dbus-vmstate)",
    )
    parser.add_argument(
        "--id",
        required=True,
        help="this helper's Id (1 to 255 bytes; list it in id-list); the helper refuses to start "
        "when a helper with this Id is already queued on the bus",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", help="payload to save (UTF-8 text)")
    source.add_argument(
        "--state-file",
        metavar="FILE",
        help="payload file: read at each Save, replaced by each Load",
    )
    args = parser.parse_args(argv)
    size = len(args.id.encode("utf-8"))
    if not 1 <= size <= 255:
        parser.error(f"--id must be 1 to 255 bytes (QEMU's limit), got {size}")
    if args.data is not None and len(args.data.encode("utf-8")) > MAX_PAYLOAD:
        parser.error(f"--data is larger than the {MAX_PAYLOAD} bytes that fit QEMU's 1 MiB limit")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        return asyncio.run(serve(parse_args(argv)))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return 130


if __name__ == "__main__":
    sys.exit(main())
