"""Tolerance tiers: how far a float may move and still count as the same, by (device, dtype).

One place for the rule every comparison uses: baselines (``baselines.compare``), the expectation
language's ``tier`` bounds, the tasks' own checks of padding and batching.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    """Absolute and relative bounds: a float matches when within either one."""

    abs: float
    rel: float
    tier: str = "custom"

    def allows(self, baseline: float, output: float) -> bool:
        return math.isclose(output, baseline, rel_tol=self.rel, abs_tol=self.abs)

    def loosest(self, other: Tolerance) -> Tolerance:
        """The looser of two tolerances: comparing two targets uses the weaker one."""
        return self if (self.abs, self.rel) >= (other.abs, other.rel) else other

    def describe(self) -> str:
        return f"abs {self.abs:g} / rel {self.rel:g} ({self.tier})"


CPU_FLOAT32 = Tolerance(abs=1e-4, rel=1e-4, tier="cpu/float32")
ACCELERATOR_FLOAT32 = Tolerance(abs=2e-3, rel=2e-3, tier="accelerator/float32")
HALF_PRECISION = Tolerance(abs=2e-2, rel=2e-2, tier="half precision")
# No tolerance, whatever a baseline file says, is looser than the loosest tier.
LOOSEST = HALF_PRECISION


def tier_for(device: str, dtype: str) -> Tolerance:
    """The default tolerance for outputs computed on ``device`` in ``dtype``."""
    if dtype in ("float16", "bfloat16"):
        return HALF_PRECISION
    if device.split(":", 1)[0] == "cpu":
        return CPU_FLOAT32
    return ACCELERATOR_FLOAT32
