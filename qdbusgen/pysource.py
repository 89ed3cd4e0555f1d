"""Turning untrusted text from the XML into safe Python source: literals, docstrings, comments.

Introspection XML can come from a live bus, so every string is treated as hostile:
backslashes, quotes, triple quotes, control characters and Unicode line separators
never break out of the literal they are placed in.
"""

from __future__ import annotations

import re
import unicodedata

# Characters Python's tokenizer or str.splitlines() treat as line breaks, besides "\n".
_LINE_BREAKS = frozenset("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def pyliteral(value: object) -> str:
    """A Python literal for a str, bool, int or None (``repr`` is exact and always safe;
    strings get the quotes black's string normalization gives them, see :func:`pystr`)."""
    if isinstance(value, str):
        return pystr(value)
    if isinstance(value, bool | int) or value is None:
        return repr(value)
    raise TypeError(f"pyliteral does not handle {type(value).__name__}")


def pystr(value: str) -> str:
    """``repr(value)`` with black's preferred quotes: double quotes, unless they would need
    more escapes than single ones (``repr`` has already escaped everything else)."""
    literal = repr(value)
    if literal[0] == '"':
        return literal  # value has ' and no ": black keeps the quotes that need no escape
    if '"' not in value:
        return f'"{literal[1:-1]}"'
    if value.count('"') > value.count("'"):
        return literal  # double quotes would need more escapes
    body = literal[1:-1].replace("\\'", "'").replace('"', '\\"')
    return f'"{body}"'


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    if ch == "\n":
        return False
    if ch in _LINE_BREAKS:
        return True
    category = unicodedata.category(ch)
    # control, format (bidi overrides can disguise code), surrogate, private use, unassigned
    return category in ("Cc", "Cf", "Cs", "Co", "Cn")


#: every character that may need an escape: ASCII controls but "\n", and all of non-ASCII
_CANDIDATES = re.compile(r"[^\n\x20-\x7e]")


def _escape_match(match: re.Match[str]) -> str:
    ch = match.group()
    return _escape_char(ch) if _unsafe(ch) else ch


def _escape_unsafe(text: str) -> str:
    return _CANDIDATES.sub(_escape_match, text)


def docstring(text: str) -> str:
    """A triple-quoted docstring literal holding ``text`` exactly (after the escapes)."""
    body = _escape_unsafe(text.replace("\\", "\\\\")).replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    if "\n" in body:
        body = body + "\n"
    return f'"""{body}"""'


def comment(text: str) -> str:
    """``text`` as ``#`` comment lines (control characters escaped)."""
    lines = []
    for line in text.split("\n"):
        safe = _escape_unsafe(line)
        lines.append(f"# {safe}".rstrip())
    return "\n".join(lines)
