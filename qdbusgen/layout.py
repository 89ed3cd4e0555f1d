"""Generated code laid out the way black's fixed mode lays it out, so a normal run needs no black.

Black (``qdbusgen/format.py``) is the reference: the tests run it over every golden
package, every corpus package and Hypothesis-generated interfaces and require it to change
nothing. The few constructs of the templates that can outgrow 100 columns are built here,
in Python, from a small tree: a :class:`Call` is ``head(arg, ...)`` (or ``head[...]``), an
argument is a plain string (an atom black never splits) or another :class:`Call`. The
layout is black's right-hand split as it applies to that tree:

1. the whole line, when it fits in 100 columns;
2. else ``head(`` / the arguments on one line, indented 4 more / ``)``, unless the node
   is a display (a list, tuple, dict or set, e.g. ``x = [...]``) of several items;
3. else one argument per line, each with a trailing comma (a single argument gets none),
   each laid out again by these rules.

A string literal that still does not fit is left long, as black leaves it. Everything
else that does not fit (a name longer than a line, a head that alone is too long) is
returned flat and long: :func:`qdbusgen.format.is_final` then sends the module to black,
so a rare shape costs time, never correctness. Every module has one :class:`Layout` that
records the long lines black keeps (docstring and comment lines, long string literals)
and whether something was produced that only black can settle: a line of non-ASCII text
whose display width (black's own table, 1 or 2 columns a character) may fall on either
side of 100 columns, a docstring black would leave alone, or a docstring placed without
its depth (a template line written for black).
"""

from __future__ import annotations

import re
import sys
from typing import NamedTuple, Union

from .pysource import comment, docstring

#: black's line length in qdbusgen's fixed mode (format.py's black.Mode uses it too).
LINE_LENGTH = 100
INDENT = "    "


class Layout:
    """What :func:`qdbusgen.format.is_final` needs to know about one module."""

    __slots__ = ("allowed", "uncertain")

    def __init__(self, uncertain: bool = False) -> None:
        #: long lines black leaves as they are (docstring and comment text, string literals)
        self.allowed: set[str] = set()
        #: something was produced that black may still change: black must run
        self.uncertain = uncertain

    def fits(self, line: str) -> bool:
        """Whether black finds ``line`` short enough. Black measures display width: a
        character is 1 or 2 columns (its table has nothing narrower), so a line with
        non-ASCII text is settled here only when both bounds agree; else black decides."""
        if line.isascii():
            return len(line) <= LINE_LENGTH
        low = len(line)
        high = low + sum(1 for ch in line if ord(ch) > 0x7F)
        if high <= LINE_LENGTH:
            return True
        if low > LINE_LENGTH:
            return False
        self.uncertain = True
        return low <= LINE_LENGTH

    def check(self, line: str, literal: bool = False) -> None:
        """Record ``line`` as a long line black keeps, if it is a long string literal."""
        if literal and len(line) > LINE_LENGTH:
            self.allowed.add(line)


class Call(NamedTuple):
    """``head(args)`` (``brackets="[]"`` for ``head[args]``, an empty head for a list)."""

    head: str
    args: tuple[Node, ...]
    brackets: str = "()"


Node = Union[str, Call]


def flat(node: Node) -> str:
    if isinstance(node, str):
        return node
    return f"{node.head}{node.brackets[0]}{', '.join(flat(a) for a in node.args)}{node.brackets[1]}"


def _is_literal(node: Node) -> bool:
    return isinstance(node, str) and node[:1] in ("'", '"') and node[-1:] == node[:1]


def _is_display(node: Call) -> bool:
    """A list, tuple, dict or set display (its head ends in no name or closing bracket),
    not a call or a subscript: black splits the items of one always one per line."""
    return not node.head or not (node.head[-1].isalnum() or node.head[-1] in "_)]")


def _lines(indent: str, node: Node, suffix: str, layout: Layout) -> list[str]:
    whole = f"{indent}{flat(node)}{suffix}"
    if layout.fits(whole) or isinstance(node, str) or not node.args:
        layout.check(whole, literal=_is_literal(node))
        return [whole]
    first = f"{indent}{node.head}{node.brackets[0]}"
    last = f"{indent}{node.brackets[1]}{suffix}"
    if not (layout.fits(first) and layout.fits(last)):
        return [whole]  # not a shape this module settles: black will
    inner = indent + INDENT
    body = inner + ", ".join(flat(a) for a in node.args)
    out = [first]
    if layout.fits(body) and not (_is_display(node) and len(node.args) > 1):
        out.append(body)
    elif len(node.args) == 1:
        out.extend(_lines(inner, node.args[0], "", layout))
    else:
        for arg in node.args:
            out.extend(_lines(inner, arg, ",", layout))
    out.append(last)
    return out


def _place(depth: int, lines: list[str]) -> str:
    """The lines as one block for a template line already indented to ``depth``."""
    return "\n".join(lines)[depth * len(INDENT) :]


def statement(depth: int, node: Node, layout: Layout, suffix: str = "") -> str:
    """A statement (or a dict entry, with ``suffix=","``) ending in ``node``."""
    return _place(depth, _lines(INDENT * depth, node, suffix, layout))


def function(depth: int, head: str, params: list[str], returns: str, layout: Layout) -> str:
    """``head(params) -> returns:``; black splits a def at its first bracket."""
    indent = INDENT * depth
    whole = f"{indent}{head}({', '.join(params)}) -> {returns}:"
    if layout.fits(whole):
        return whole[len(indent) :]
    inner = indent + INDENT
    tail = f"{indent}) -> {returns}:"
    body = inner + ", ".join(params)
    if len(params) > 1 and layout.fits(body):
        middle = [body]
    else:  # a lone parameter gets a trailing comma, which explodes the list
        middle = [f"{inner}{p}," for p in params]
    lines = [f"{indent}{head}(", *middle, tail]
    for line in lines:
        layout.fits(line)  # a line that is too long stays long: format.py sends it to black
    return _place(depth, lines)


def assign_literal(depth: int, target: str, literal: str, layout: Layout) -> str:
    """``target = "literal"``; black wraps a literal that does not fit in parentheses."""
    indent = INDENT * depth
    whole = f"{indent}{target} = {literal}"
    if layout.fits(whole):
        return whole[len(indent) :]
    lines = [f"{indent}{target} = (", f"{indent}{INDENT}{literal}", f"{indent})"]
    layout.fits(lines[0])
    layout.check(lines[1], literal=True)
    return _place(depth, lines)


def mapping(depth: int, target: str, entries: list[Node], layout: Layout) -> str:
    """``target = {entry, ...}``, one entry per line (each ``key: value``), or ``{}``."""
    indent = INDENT * depth
    if not entries:
        line = f"{indent}{target} = {{}}"
        layout.fits(line)
        return line[len(indent) :]
    lines = [f"{indent}{target} = {{"]
    for entry in entries:
        lines.extend(_lines(indent + INDENT, entry, ",", layout))
    lines.append(f"{indent}}}")
    layout.fits(lines[0])
    return _place(depth, lines)


# --------------------------------------------------------------------------- docstrings

_BACKSLASH_NEWLINE = re.compile(r"\\\s*\n")
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")


def _expand_leading_tabs(text: str) -> list[str]:
    lines = []
    for line in _LINE_BREAK.split(text):
        stripped = line.lstrip()
        if not stripped or stripped == line:
            lines.append(line)
        else:
            prefix = line[: len(line) - len(stripped)].expandtabs(4)
            lines.append(prefix + stripped)
    return lines


def _reindent(text: str, indent: str) -> str:
    # PEP 257 trimming, as black does it: the first line is special, the rest lose their
    # common indentation and get the code's
    lines = _expand_leading_tabs(text)
    common = sys.maxsize
    for line in lines[1:]:
        stripped = line.lstrip()
        if stripped:
            common = min(common, len(line) - len(stripped))
    trimmed = [lines[0].strip()]
    if common < sys.maxsize:
        last = len(lines) - 2
        for i, line in enumerate(lines[1:]):
            stripped = line[common:].rstrip()
            trimmed.append(indent + stripped if stripped or i == last else "")
    return "\n".join(trimmed)


def docstring_at(text: str, depth: int, layout: Layout) -> str:
    """The docstring literal of ``text`` for a statement at ``depth``, laid out as black's
    docstring handling lays it out (indentation, padding, closing quotes)."""
    literal = docstring(text)
    if _BACKSLASH_NEWLINE.search(literal):
        layout.uncertain = True  # black leaves such docstrings alone: let it decide
        return literal
    indent = INDENT * depth
    body = literal[3:-3]
    started_empty = not body
    body = _reindent(body, indent) if "\n" in literal else body.strip()
    trailing_backslash = False
    if body:
        if body[0] == '"':
            body = " " + body
        if body[-1] == '"':
            body += " "
        if body[-1] == "\\" and (len(body) - len(body.rstrip("\\"))) % 2:
            body += " "
            trailing_backslash = True
    elif not started_empty:
        body = " "
    lines = body.splitlines()
    last_length = len(lines[-1]) if body and not body.endswith("\n") else 0
    if (
        len(lines) > 1
        and last_length + 3 > LINE_LENGTH
        and len(indent) + 3 <= LINE_LENGTH
        and not trailing_backslash
    ):
        if literal[-4] == "\n":
            result = f'"""{body}"""'
        else:
            result = f'"""{body}\n{indent}"""'
    else:
        result = f'"""{body}"""'
    for i, line in enumerate(result.split("\n")):
        full = line if i else indent + line
        if len(full) > LINE_LENGTH:
            layout.allowed.add(full)
    return result


def comment_at(text: str, depth: int, layout: Layout) -> str:
    """``text`` as comment lines at ``depth`` (black leaves long comments long)."""
    result = comment(text)
    indent = INDENT * depth
    for i, line in enumerate(result.split("\n")):
        full = line if i else indent + line
        if len(full) > LINE_LENGTH:
            layout.allowed.add(full)
    return result.replace("\n", "\n" + indent) if depth else result
