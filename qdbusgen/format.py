"""Format generated code with black, in-process, in one fixed mode.

The user's ``[tool.black]`` is never read: output must not depend on the machine or
the project it is generated in. Black is pinned to one major version in pyproject.toml;
bumping it means regenerating ``generated_examples/``.
"""

from __future__ import annotations

import black

MODE = black.Mode(
    target_versions={black.TargetVersion.PY311},
    line_length=100,
    string_normalization=True,
    is_pyi=False,
    magic_trailing_comma=True,
    preview=False,
)


class TemplateBug(RuntimeError):
    """The templates produced code black cannot parse: a qdbusgen bug, never the input's fault."""


def format_python(source: str, name: str) -> str:
    try:
        return black.format_str(source, mode=MODE)
    except black.parsing.InvalidInput as exc:
        numbered = "\n".join(f"{i + 1:5}: {line}" for i, line in enumerate(source.splitlines()))
        raise TemplateBug(f"generated {name} is not valid Python ({exc}):\n{numbered}") from None
