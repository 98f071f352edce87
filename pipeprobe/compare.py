"""Tolerance-aware comparison of plain (JSON-ready) model outputs.

Strings, ints, bools, list lengths and dict keys compare exactly; floats compare
within a tolerance tier chosen by (device, dtype), ``math.isclose``-style.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


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


def tier_for(device: str, dtype: str) -> Tolerance:
    """The default tolerance for outputs computed on ``device`` in ``dtype``."""
    if dtype in ("float16", "bfloat16"):
        return HALF_PRECISION
    if device.split(":", 1)[0] == "cpu":
        return CPU_FLOAT32
    return ACCELERATOR_FLOAT32


@dataclass(frozen=True)
class Difference:
    """One place where the output departs from the baseline."""

    path: str
    baseline: Any
    output: Any
    delta: float | None = None

    def describe(self, tolerance: Tolerance) -> str:
        where = self.path or "(whole output)"
        if self.delta is None:
            return f"{where}: baseline {self.baseline!r}, output {self.output!r}"
        return (
            f"{where}: baseline {self.baseline!r}, output {self.output!r}, "
            f"delta {self.delta:.3g} beyond tolerance {tolerance.describe()}"
        )


def largest_delta(baseline: Any, output: Any) -> float:
    """The largest absolute difference between matching floats (0.0 if none)."""
    deltas = [0.0]
    _walk(baseline, output, "", None, deltas=deltas, differences=[])
    return max(deltas)


def differences(baseline: Any, output: Any, tolerance: Tolerance) -> list[Difference]:
    """Every difference between ``baseline`` and ``output`` that ``tolerance`` rejects."""
    found: list[Difference] = []
    _walk(baseline, output, "", tolerance, deltas=[], differences=found)
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _walk(
    baseline: Any,
    output: Any,
    path: str,
    tolerance: Tolerance | None,
    *,
    deltas: list[float],
    differences: list[Difference],
) -> None:
    if isinstance(baseline, float) or isinstance(output, float):
        if not (_is_number(baseline) and _is_number(output)):
            differences.append(Difference(path, baseline, output))
            return
        delta = abs(float(output) - float(baseline))
        deltas.append(delta)
        if tolerance is not None and not tolerance.allows(float(baseline), float(output)):
            differences.append(Difference(path, baseline, output, delta))
        return
    if isinstance(baseline, dict) and isinstance(output, dict):
        for key in sorted(baseline.keys() | output.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in output or key not in baseline:
                differences.append(Difference(sub, baseline.get(key), output.get(key)))
            else:
                _walk(baseline[key], output[key], sub, tolerance,
                      deltas=deltas, differences=differences)
        return
    if isinstance(baseline, list) and isinstance(output, list):
        if len(baseline) != len(output):
            differences.append(
                Difference(f"{path} (length)", len(baseline), len(output))
            )
            return
        for index, (left, right) in enumerate(zip(baseline, output, strict=True)):
            _walk(left, right, f"{path}[{index}]", tolerance,
                  deltas=deltas, differences=differences)
        return
    if baseline != output or type(baseline) is not type(output):
        differences.append(Difference(path, baseline, output))
