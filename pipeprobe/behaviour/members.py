"""Probes beyond one input: metamorphic (variants) and stochastic (repeats), in one place.

The catalogue calls ``parse`` on each probe entry, the runner calls ``run_members`` instead
of the plain adapter call, and the expectation test calls ``judge``. A probe that declares
neither runs and is judged exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeprobe.behaviour import metamorphic, stochastic

# The probe-file keys this module reads (the catalogue accepts them).
KEYS = frozenset({
    "perturb", "counterpart", "invariant", "direction", "max_fail_rate", "repeats", "min_pass_rate",
})
MARKERS = {
    "invariance": "metamorphic probes: an output that must stay the same under perturbation (INV)",
    "directional": "metamorphic probes: a score that must move one way under perturbation (DIR)",
    "cross_lingual": "pairs of one input in two languages that must agree",
    "stochastic": "sampled outputs judged on every repeat; the result is the pass rate",
    "checklist": "tests of many cases (CheckList's MFT / INV / DIR), judged by their failure rate",
}

Call = Callable[[list[Any], dict[str, Any]], list[Any]]


class BehaviourError(ValueError):
    """A metamorphic or stochastic declaration that can't be used; one line."""


@dataclass(frozen=True)
class Behaviour:
    metamorphic: metamorphic.Metamorphic | None = None
    stochastic: stochastic.Stochastic | None = None
    cases: Any = None  # pipeprobe.behaviour.cases.CaseTest: a test of many cases, run by the runner on its own

    @property
    def markers(self) -> tuple[str, ...]:
        if self.cases is not None:
            return ("checklist",)
        found = metamorphic.markers(self.metamorphic) if self.metamorphic else ()
        return (*found, "stochastic") if self.stochastic else found


def parse(entry: dict[str, Any], probe_id: str, lang: str) -> Behaviour | None:
    """The probe's declaration (None: a plain probe); BehaviourError naming the fault."""
    try:
        declared_m = metamorphic.parse(entry, probe_id, entry.get("input"), lang)
        declared_s = stochastic.parse(entry)
    except (metamorphic.MetamorphicError, stochastic.StochasticError) as error:
        raise BehaviourError(str(error)) from None
    if declared_m and declared_s:
        raise BehaviourError("a probe is either metamorphic (perturb/counterpart) or stochastic (repeats), not both")
    if not (declared_m or declared_s):
        return None
    return Behaviour(metamorphic=declared_m, stochastic=declared_s)


def of(probe: Any) -> Behaviour | None:
    return getattr(probe, "behaviour", None)


def run_members(members: Sequence[Any], params: dict[str, Any], call: Call) -> list[Any]:
    """Every member's output. Plain and metamorphic members share one adapter call (variants
    batched with their originals); each stochastic member is one call with its repeats."""
    plan: list[tuple[Any, int, int]] = []  # (member, start, count) in the shared call
    shared: list[Any] = []
    for member in members:
        declared = of(member)
        if declared and declared.stochastic:
            continue
        values = (
            metamorphic.inputs(declared.metamorphic, member.id, member.input, member.lang)
            if declared and declared.metamorphic else [member.input]
        )
        plan.append((member, len(shared), len(values)))
        shared.extend(values)
    outputs = call(shared, params) if shared else []
    found: dict[int, Any] = {}
    for member, start, count in plan:
        declared = of(member)
        chunk = outputs[start:start + count]
        if declared and declared.metamorphic:
            found[id(member)] = metamorphic.result(declared.metamorphic, member.id, member.input, member.lang, chunk)
        else:
            found[id(member)] = chunk[0]
    for member in members:
        declared = of(member)
        if declared and declared.stochastic:
            found[id(member)] = _repeat(member, declared.stochastic, params, call)
    return [found[id(member)] for member in members]


def _repeat(member: Any, declared: stochastic.Stochastic, params: dict[str, Any], call: Call) -> dict[str, Any]:
    from pipeprobe.tasks import adapter_for

    seed_list = stochastic.seeds(declared, member.id, params)
    outputs = call([member.input] * declared.repeats, {**params, "seeds": seed_list})
    adapter = adapter_for(member.task)
    return stochastic.result(declared, seed_list, outputs, lambda output: adapter.judge(member.expect, output))


def judge(probe: Any, output: Any, adapter: Any) -> list[str]:
    """What a person expected and did not get: the original's expectation and the fail-rate
    gate (metamorphic), the pass-rate gate (stochastic), or the plain judgement."""
    declared = of(probe)
    if declared and declared.cases is not None:
        from pipeprobe.behaviour import checklist

        return checklist.gate(declared.cases, output)
    if declared and declared.stochastic:
        return stochastic.gate(declared.stochastic, output)
    if declared and declared.metamorphic:
        return [*adapter.judge(probe.expect, output["original"]), *metamorphic.gate(declared.metamorphic, output)]
    return adapter.judge(probe.expect, output)
