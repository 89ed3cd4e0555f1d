from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
UPSTREAM_QEMU = SHARED / "upstream" / "qemu"

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hyp  # noqa: E402,F401  (loads the Hypothesis profile before any test module)
from dbus_harness import PrivateBus, dbus_daemon_available, private_bus  # noqa: E402
from system_users import make_user  # noqa: E402,F401  (a fixture for every test module)


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[PrivateBus]:
    """A private dbus-daemon on a socket in the test's temp dir."""
    if not dbus_daemon_available():
        pytest.fail("dbus-daemon is not installed (.ci/run installs package dbus-daemon)")
    with private_bus(tmp_path / "dbus") as b:
        yield b


def require_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference data is not beside this checkout")
    return path
