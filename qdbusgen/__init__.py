"""qdbusgen: D-Bus introspection XML -> one validated model -> lint and typed Python stubs."""

from .api import LoadResult, expand_inputs, load, parse_defines
from .diagnostics import Diagnostic, InputError, Severity

__all__ = [
    "Diagnostic",
    "InputError",
    "LoadResult",
    "Severity",
    "expand_inputs",
    "load",
    "parse_defines",
]
