"""Hypothesis profiles: deterministic by default, exploring on request.

``ci`` (the default, and what CI runs): derandomized — the examples are a fixed function of
each test — with no example database, no deadline (the machine is shared) and failing
examples printed as ``@reproduce_failure`` blobs. A run gives the same result every time.

``explore`` (``QDBUSGEN_HYPOTHESIS=explore pytest -m hypothesis``): random seeds, the local
example database, and ten times each test's example budget, to look for new
counterexamples. Pin any it finds with ``@example`` so the ``ci`` profile keeps it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("QDBUSGEN_HYPOTHESIS", "ci")
_SCALE = {"ci": 1, "explore": 10}

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
if PROFILE not in _SCALE:
    raise SystemExit(f"QDBUSGEN_HYPOTHESIS={PROFILE!r}: use one of {', '.join(_SCALE)}")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """A test's example budget under the active profile (``n`` in CI)."""
    return n * _SCALE[PROFILE]
