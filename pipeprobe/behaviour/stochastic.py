"""Stochastic probes: a sampled output judged on every repeat; the result is the pass rate.

``repeats: N`` runs the probe N times, repeat i with seed ``seed + i`` (``params.seed``, or
a seed derived from the probe id), all in one adapter call: the adapter gets the input N
times and ``params.seeds`` (one seed per input). ``expect`` is judged on each repeat and
``min_pass_rate: p`` gates the probe. The result is
``{"repeats", "passes", "pass_rate", "min_pass_rate", "tolerance", "samples": [...]}``.

Its baseline is the rate, not the samples: ``compare`` compares a rate result's ``repeats``
exactly and its ``pass_rate`` within a binomial tolerance (``binomial_tolerance``); the
samples (sampled texts, which change with the device) are shown, never compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeprobe.behaviour.perturb import seed_for
from pipeprobe.language.limits import MAX_REPEATS

RATE_KEYS = ("repeats", "pass_rate")
Z = 3.0  # standard errors a re-run's rate may move before it counts as drift


class StochasticError(ValueError):
    """A stochastic declaration that can't be used; one line."""


@dataclass(frozen=True)
class Stochastic:
    repeats: int
    min_pass_rate: float


def parse(entry: dict[str, Any]) -> Stochastic | None:
    if "repeats" not in entry and "min_pass_rate" not in entry:
        return None
    repeats, rate = entry.get("repeats"), entry.get("min_pass_rate", 1.0)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 2 <= repeats <= MAX_REPEATS:
        raise StochasticError(f"repeats must be a whole number from 2 to {MAX_REPEATS}, not {repeats!r}")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise StochasticError(f"min_pass_rate must be a number from 0 to 1, not {rate!r}")
    return Stochastic(repeats=repeats, min_pass_rate=float(rate))


def seeds(declared: Stochastic, probe_id: str, params: dict[str, Any]) -> list[int]:
    base = int(params["seed"]) if "seed" in params else seed_for(probe_id) % 100_000
    return [base + index for index in range(declared.repeats)]


def binomial_tolerance(rate: float, repeats: int) -> float:
    """Z standard errors of a rate over ``repeats`` trials; at 0 or 1 it counts half a trial either side."""
    p = min(max(rate, 0.5 / repeats), 1 - 0.5 / repeats)
    return Z * math.sqrt(p * (1 - p) / repeats)


def result(
    declared: Stochastic, seed_list: list[int], outputs: list[Any], judge: Callable[[Any], list[str]]
) -> dict[str, Any]:
    samples = []
    for seed, output in zip(seed_list, outputs, strict=True):
        problems = judge(output)
        sample: dict[str, Any] = {"seed": seed, "output": output, "passed": not problems}
        if problems:
            sample["why"] = "; ".join(problems)
        samples.append(sample)
    passes = sum(sample["passed"] for sample in samples)
    rate = passes / declared.repeats
    return {
        "repeats": declared.repeats,
        "passes": passes,
        "pass_rate": rate,
        "min_pass_rate": declared.min_pass_rate,
        "tolerance": round(binomial_tolerance(rate, declared.repeats), 6),
        "samples": samples,
    }


def gate(declared: Stochastic, output: dict[str, Any]) -> list[str]:
    if output["pass_rate"] >= declared.min_pass_rate:
        return []
    failing = [f"seed {sample['seed']}: {sample['why']}" for sample in output["samples"] if not sample["passed"]]
    return [
        f"pass rate {output['pass_rate']:.2f} ({output['passes']}/{output['repeats']}) is below min_pass_rate "
        f"{declared.min_pass_rate:g}; failing repeats: " + " | ".join(failing[:5])
        + (f" | ... {len(failing) - 5} more" if len(failing) > 5 else "")
    ]


def is_rate(value: Any) -> bool:
    """A stochastic probe's result (what ``compare`` compares as a rate)."""
    return isinstance(value, dict) and all(key in value for key in RATE_KEYS) and "samples" in value


def rate_problems(baseline: dict[str, Any], output: dict[str, Any], floor: float) -> list[tuple[str, Any, Any]]:
    """(field, baseline, output) for each way a re-run's rate departs from its baseline.

    ``repeats`` must be equal; ``pass_rate`` may move by the baseline's binomial tolerance
    (or ``floor``, the run's tolerance tier, when that is looser).
    """
    problems = []
    if baseline.get("repeats") != output.get("repeats"):
        problems.append(("repeats", baseline.get("repeats"), output.get("repeats")))
        return problems
    before, after = float(baseline["pass_rate"]), float(output["pass_rate"])
    allowed = max(binomial_tolerance(before, int(baseline["repeats"])), floor)
    if abs(after - before) > allowed + 1e-12:
        problems.append(("pass_rate", before, after))
    return problems
