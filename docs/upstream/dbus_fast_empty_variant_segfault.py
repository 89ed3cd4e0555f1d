#!/usr/bin/env python3
"""Minimal reproducer: dbus-fast 5.2's compiled unmarshaller segfaults on a variant whose
signature is empty.  Standard library + dbus-fast only; no bus, no socket.

    python3 dbus_fast_empty_variant_segfault.py    # dies with SIGSEGV (exit status -11)

The frame is a METHOD_CALL, little-endian, serial 1, PATH "/", MEMBER "M", SIGNATURE "v",
and a 2-byte body: the variant's signature length 0 and its NUL.  The D-Bus specification
requires a variant's signature to be one single complete type, so the frame is invalid;
libdbus and dbus-daemon reject it.  dbus-fast's reader looks up the type tree of the empty
signature, gets no root type and dereferences it.
"""

import io
import struct

from dbus_fast._private.unmarshaller import Unmarshaller, is_compiled


def field(code: int, typ: bytes, value: bytes) -> bytes:
    return bytes([code, 1]) + typ + b"\0" + value


def pad8(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 8)


fields = pad8(field(1, b"o", struct.pack("<I", 1) + b"/\0"))
fields += pad8(field(3, b"s", struct.pack("<I", 1) + b"M\0"))
fields += field(8, b"g", b"\x01v\0")
body = b"\x00\x00"  # variant: signature length 0, NUL, and nothing else
frame = pad8(b"l\x01\x00\x01" + struct.pack("<III", len(body), 1, len(fields)) + fields) + body

print("compiled unmarshaller:", is_compiled(), flush=True)
message = Unmarshaller(io.BytesIO(frame)).unmarshall()  # SIGSEGV here when compiled
print("no crash; decoded:", message)
