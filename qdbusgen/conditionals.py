"""QEMU's conditional processing instructions (``<?if $(env.HOST_OS) == "linux"?>``,
``<?ifdef?>``, ``<?elseif?>``, ``<?else?>``, ``<?endif?>``) evaluated against definitions.

Used by the parser (which children exist) and by :mod:`qdbusgen.source` (the same
children, for the comments around them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

_CONDITION_RE = re.compile(
    r"""^\s*\$\((env|var)\.(\w+)\)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=!<>]+))\s*$"""
)


class ConditionalError(Exception):
    def __init__(self, node: etree._Element, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


@dataclass
class _Frame:
    pi: etree._Element
    outer_active: bool
    taken: bool  # some branch of this if-chain was already taken
    active: bool
    seen_else: bool = False


def _evaluate(pi: etree._Element, defines: Mapping[str, str]) -> bool:
    target = pi.target
    text = (pi.text or "").strip()
    if target in ("ifdef", "ifndef"):
        if not re.fullmatch(r"\w+", text):
            raise ConditionalError(pi, f"<?{target}?> needs one variable name, got {text!r}")
        return bool((text in defines) == (target == "ifdef"))
    m = _CONDITION_RE.match(text)
    if m is None:
        raise ConditionalError(
            pi,
            f"unsupported condition {text!r} in <?{target}?> (expected '$(env.NAME) == value' or '!=')",
        )
    _scope, name, op, *values = m.groups()
    value = next(v for v in values if v is not None)
    if name not in defines:
        raise ConditionalError(
            pi, f"condition uses {name}, which is not defined (use --define {name}=VALUE)"
        )
    equal = defines[name] == value
    return equal if op == "==" else not equal


def active_children(parent: etree._Element, defines: Mapping[str, str]) -> Iterator[etree._Element]:
    """The children of ``parent`` (elements and comments) that conditional PIs leave in."""
    stack: list[_Frame] = []
    for child in parent:
        if isinstance(child, etree._ProcessingInstruction):
            target = child.target
            active_now = stack[-1].active if stack else True
            if target in ("if", "ifdef", "ifndef"):
                result = _evaluate(child, defines) if active_now else False
                stack.append(_Frame(child, active_now, result, active_now and result))
            elif target == "elseif":
                if not stack or stack[-1].seen_else:
                    raise ConditionalError(child, "<?elseif?> without a matching <?if?>")
                frame = stack[-1]
                result = (
                    _evaluate(child, defines) if frame.outer_active and not frame.taken else False
                )
                frame.active = frame.outer_active and not frame.taken and result
                frame.taken = frame.taken or result
            elif target == "else":
                if not stack or stack[-1].seen_else:
                    raise ConditionalError(child, "<?else?> without a matching <?if?>")
                frame = stack[-1]
                frame.active = frame.outer_active and not frame.taken
                frame.taken = True
                frame.seen_else = True
            elif target == "endif":
                if not stack:
                    raise ConditionalError(child, "<?endif?> without a matching <?if?>")
                stack.pop()
            continue
        if not stack or stack[-1].active:
            yield child
    if stack:
        raise ConditionalError(
            stack[-1].pi,
            f"<?{stack[-1].pi.target}?> is not closed by <?endif?> in the same element",
        )
