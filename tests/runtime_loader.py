"""Import the runtime support module straight from templates/, under a name of the test's choosing
(each name is an independent copy, as in two generated packages): qdbusgen's own loader."""

from __future__ import annotations

from qdbusgen.resources import load_runtime

__all__ = ["load_runtime"]
