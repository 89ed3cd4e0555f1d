"""The D-Bus type grammar: signature strings to a tree of types, with every limit of the spec.

A rejected signature raises :class:`SignatureError` naming the lint rule (DBUS-E022,
E030-E040), the 0-based offset of the offending character and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIC_CODES = "ybnqiuxtdhsog"
FIXED_CODES = "ybnqiuxtdh"
RESERVED_CODES = "m*?@&^re"
MAX_SIGNATURE_LENGTH = 255
MAX_ARRAY_DEPTH = 32
MAX_STRUCT_DEPTH = 32

_CODE_NAMES = {
    "y": "byte",
    "b": "boolean",
    "n": "int16",
    "q": "uint16",
    "i": "int32",
    "u": "uint32",
    "x": "int64",
    "t": "uint64",
    "d": "double",
    "h": "unix fd",
    "s": "string",
    "o": "object path",
    "g": "signature",
    "v": "variant",
}


@dataclass(frozen=True, slots=True)
class BasicType:
    code: str

    @property
    def signature(self) -> str:
        return self.code

    def describe(self) -> str:
        return _CODE_NAMES[self.code]


@dataclass(frozen=True, slots=True)
class VariantType:
    @property
    def signature(self) -> str:
        return "v"

    def describe(self) -> str:
        return "variant"


@dataclass(frozen=True, slots=True)
class ArrayType:
    element: "DBusType"

    @property
    def signature(self) -> str:
        return "a" + self.element.signature

    def describe(self) -> str:
        return f"array of {self.element.describe()}"


@dataclass(frozen=True, slots=True)
class DictType:
    """``a{kv}``: an array of dict entries, which D-Bus allows only in this form."""

    key: BasicType
    value: "DBusType"

    @property
    def signature(self) -> str:
        return "a{" + self.key.signature + self.value.signature + "}"

    def describe(self) -> str:
        return f"dict of {self.key.describe()} to {self.value.describe()}"


@dataclass(frozen=True, slots=True)
class StructType:
    fields: tuple["DBusType", ...]

    @property
    def signature(self) -> str:
        return "(" + "".join(f.signature for f in self.fields) + ")"

    def describe(self) -> str:
        return "struct of (" + ", ".join(f.describe() for f in self.fields) + ")"


DBusType = BasicType | VariantType | ArrayType | DictType | StructType


class SignatureError(ValueError):
    def __init__(self, rule: str, offset: int, reason: str, signature: str) -> None:
        super().__init__(f"invalid signature {signature!r} at offset {offset}: {reason}")
        self.rule = rule
        self.offset = offset
        self.reason = reason
        self.signature = signature


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)

    def fail(self, rule: str, offset: int, reason: str) -> SignatureError:
        return SignatureError(rule, offset, reason, self.text)

    def bad_code(self, pos: int) -> SignatureError:
        c = self.text[pos]
        if c in RESERVED_CODES:
            return self.fail("DBUS-E031", pos, f"type code {c!r} is reserved and never valid")
        if c in ")}":
            return self.fail("DBUS-E033", pos, f"unbalanced {c!r}")
        if c == "{":
            return self.fail("DBUS-E035", pos, "dict entry '{' is only allowed directly after 'a'")
        return self.fail("DBUS-E030", pos, f"unknown type code {c!r}")

    def one(self, pos: int, arrays: int, structs: int) -> tuple[DBusType, int]:
        """Parse one complete type starting at ``pos`` (which must be < n)."""
        c = self.text[pos]
        if c in BASIC_CODES:
            return BasicType(c), pos + 1
        if c == "v":
            return VariantType(), pos + 1
        if c == "a":
            if arrays + 1 > MAX_ARRAY_DEPTH:
                raise self.fail("DBUS-E038", pos, f"arrays nested deeper than {MAX_ARRAY_DEPTH}")
            nxt = pos + 1
            if nxt >= self.n or self.text[nxt] in ")}":
                raise self.fail("DBUS-E032", pos, "array 'a' has no element type")
            if self.text[nxt] == "{":
                return self.dict_entry(pos, arrays + 1, structs)
            element, end = self.one(nxt, arrays + 1, structs)
            return ArrayType(element), end
        if c == "(":
            if structs + 1 > MAX_STRUCT_DEPTH:
                raise self.fail("DBUS-E039", pos, f"structs nested deeper than {MAX_STRUCT_DEPTH}")
            cur = pos + 1
            if cur < self.n and self.text[cur] == ")":
                raise self.fail("DBUS-E034", pos, "empty struct '()'")
            fields: list[DBusType] = []
            while True:
                if cur >= self.n:
                    raise self.fail("DBUS-E033", pos, "struct '(' is never closed")
                if self.text[cur] == ")":
                    return StructType(tuple(fields)), cur + 1
                if self.text[cur] == "}":
                    raise self.fail("DBUS-E033", cur, "struct '(' closed by '}'")
                field, cur = self.one(cur, arrays, structs + 1)
                fields.append(field)
        raise self.bad_code(pos)

    def dict_entry(self, a_pos: int, arrays: int, structs: int) -> tuple[DBusType, int]:
        open_pos = a_pos + 1
        cur = open_pos + 1
        if cur >= self.n:
            raise self.fail("DBUS-E033", open_pos, "dict entry '{' is never closed")
        if self.text[cur] == "}":
            raise self.fail("DBUS-E036", open_pos, "dict entry has no key and no value")
        if self.text[cur] == ")":
            raise self.fail("DBUS-E033", cur, "dict entry '{' closed by ')'")
        key, cur = self.one(cur, arrays, structs)
        if not isinstance(key, BasicType):
            raise self.fail(
                "DBUS-E037", open_pos + 1, f"dict key must be a basic type, not {key.signature!r}"
            )
        if cur >= self.n:
            raise self.fail("DBUS-E033", open_pos, "dict entry '{' is never closed")
        if self.text[cur] == "}":
            raise self.fail("DBUS-E036", open_pos, "dict entry has a key but no value")
        if self.text[cur] == ")":
            raise self.fail("DBUS-E033", cur, "dict entry '{' closed by ')'")
        value, cur = self.one(cur, arrays, structs)
        if cur >= self.n:
            raise self.fail("DBUS-E033", open_pos, "dict entry '{' is never closed")
        if self.text[cur] == ")":
            raise self.fail("DBUS-E033", cur, "dict entry '{' closed by ')'")
        if self.text[cur] != "}":
            raise self.fail("DBUS-E036", cur, "dict entry has more than two fields")
        return DictType(key, value), cur + 1


def _char_offset_of_byte(text: str, byte_index: int) -> int:
    """Index of the character holding UTF-8 byte ``byte_index`` (offsets count characters)."""
    seen = 0
    for i, c in enumerate(text):
        seen += len(c.encode("utf-8", "surrogatepass"))
        if seen > byte_index:
            return i
    return len(text)


def parse_signature(text: str) -> tuple[DBusType, ...]:
    """Parse a signature of zero or more complete types (a method's in-args, say)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_SIGNATURE_LENGTH:
        raise SignatureError(
            "DBUS-E040",
            _char_offset_of_byte(text, MAX_SIGNATURE_LENGTH),
            f"signature is {size} bytes, more than {MAX_SIGNATURE_LENGTH}",
            text,
        )
    parser = _Parser(text)
    types: list[DBusType] = []
    pos = 0
    while pos < parser.n:
        t, pos = parser.one(pos, 0, 0)
        types.append(t)
    return tuple(types)


def parse_single(text: str) -> DBusType:
    """Parse exactly one complete type, as an arg or property ``type`` must be."""
    types = parse_signature(text)
    if len(types) != 1:
        if not types:
            raise SignatureError(
                "DBUS-E022", 0, "empty type: exactly one complete type is needed", text
            )
        second = len(types[0].signature)
        raise SignatureError(
            "DBUS-E022",
            second,
            f"{len(types)} complete types where exactly one is needed",
            text,
        )
    return types[0]


def is_valid_single(text: str) -> bool:
    try:
        parse_single(text)
    except SignatureError:
        return False
    return True
