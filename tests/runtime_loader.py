"""Import the runtime support module straight from templates/, under a name of the test's choosing
(each name is an independent copy, as in two generated packages)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from qdbusgen.resources import runtime_path


def load_runtime(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, runtime_path())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
