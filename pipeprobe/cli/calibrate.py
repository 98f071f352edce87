"""``pipeprobe calibrate``: measure each probe's noise on this target and record it beside its baseline.

    pipeprobe calibrate -m embeddings --repeats 5 --model-map=models/pack.toml
    pipeprobe calibrate -m sentiment --dtype bfloat16 --dry-run     # measure and print, write nothing

Each selected probe runs ``--repeats`` times in each of four ways: batched with the other
probes of its model and parameters (padded together) and unbatched, at 1 CPU thread and at
all of them. Its noise is the largest difference any run shows from the first one, split by
where it comes from (repeats, batching, threads). A probe is **fragile** when its tolerance
on this target is less than 10x its noise, when its output changes a label or text between
runs, or when its top-1/top-2 margin (a ranking's) is within noise. The measurement goes
into the baseline file under ``calibration.<target>`` (``pipeprobe.baselines.targets``); the
comparison, ``pipeprobe baselines``, the drift report and the HTML report show it.

A calibration never loosens a tolerance by itself: ``--tighten`` records a tolerance of 10x
the noise where that is tighter than the tier, and ``--widen-why TEXT`` records a wider one
(10x the noise, at most the loosest tier) with that reason. Exit status: 0; 2 (one line)
for bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FACTOR = 10.0
FLOOR = 1e-7  # the tightest tolerance a calibration records (float32 rounding of values near 1)


class CalibrationError(ValueError):
    """Bad input to ``pipeprobe calibrate``; one line."""


@dataclass
class Noise:
    """One probe's measured spread, and what it means against its tolerance."""

    suite: str
    probe: str
    runs: int = 0
    noise: float = 0.0
    by_source: dict[str, float] = field(default_factory=lambda: {"repeats": 0.0, "batching": 0.0, "threads": 0.0})
    unstable: list[str] = field(default_factory=list)
    margin: float | None = None
    tolerance: Any = None
    fragile: list[str] = field(default_factory=list)
    recorded: str = ""


# Selection ------------------------------------------------------------------------------------------------------------
def select(probes: dict[str, list[Any]], markexpr: str | None) -> list[Any]:
    """The probes matching a pytest marker expression (every probe without one)."""
    chosen = [probe for suite in probes.values() for probe in suite]
    if markexpr is None:
        return chosen
    from _pytest.mark.expression import Expression

    try:
        expression = Expression.compile(markexpr)
    except SyntaxError as error:
        raise CalibrationError(f"bad -m expression {markexpr!r}: {error.msg}") from None
    chosen = [probe for probe in chosen if expression.evaluate(lambda name, _p=probe, **_: name in set(_p.markers))]
    if not chosen:
        raise CalibrationError(f"no probe matches -m {markexpr!r}")
    return chosen


def groups(probes: list[Any]) -> list[list[Any]]:
    """Probes that may share one call: same suite, model, task, parameters; the notes' batches as recorded."""
    found: dict[tuple, list[Any]] = {}
    for probe in probes:
        key = (probe.suite, probe.model, probe.task, json.dumps(probe.params, sort_keys=True, default=str),
               probe.batch or "")
        found.setdefault(key, []).append(probe)
    return list(found.values())


# Measurement ----------------------------------------------------------------------------------------------------------
def variants() -> list[tuple[str, int]]:
    """(batching, threads) settings: batched and unbatched, at 1 thread and at every CPU thread."""
    cores = os.cpu_count() or 1
    threads = [1] if cores == 1 else [1, cores]
    return [(batching, count) for count in threads for batching in ("batched", "unbatched")]


def run_group(runner: Any, group: list[Any], batched: bool) -> list[Any]:
    """The group's outputs, in one padded call (batched) or one call per probe; a notes' batch keeps its grouping."""
    from pipeprobe.tasks import adapter_for

    first = group[0]
    adapter = adapter_for(first.task)
    loaded = runner.cache.get(runner.spec_for(first), runner.target, first.task)
    inputs = [probe.input for probe in group]
    if first.batch or (batched and len(group) > 1):  # a notes' batch keeps its grouping: its outputs depend on it
        return adapter.outputs(loaded, inputs, first.params, batch_size=len(group) if batched else 1)
    return [adapter.outputs(loaded, [value], first.params)[0] for value in inputs]


def measure(runner: Any, probes: list[Any], repeats: int) -> tuple[dict[tuple[str, str], dict], list[str]]:
    """``{(suite, id): {(batching, threads, repeat): output}}`` and the models that could not be had."""
    import torch

    from pipeprobe.models import ModelUnavailable

    outputs: dict[tuple[str, str], dict] = {}
    skipped: list[str] = []
    before = torch.get_num_threads()
    try:
        for group in groups(probes):
            for batching, threads in variants():
                torch.set_num_threads(threads)
                for repeat in range(repeats):
                    try:
                        values = run_group(runner, group, batching == "batched")
                    except ModelUnavailable as error:
                        skipped.append(f"{group[0].suite}: {error}")
                        break
                    for probe, value in zip(group, values, strict=True):
                        outputs.setdefault((probe.suite, probe.id), {})[(batching, threads, repeat)] = value
                else:
                    continue
                break
    finally:
        torch.set_num_threads(before)
    return outputs, sorted(set(skipped))


def analyse(suite: str, probe_id: str, runs: dict[tuple, Any], tolerance: Any) -> Noise:
    """The spread of one probe's runs, by source, and whether its tolerance and margin stand above it."""
    from pipeprobe.baselines.compare import differences, largest_delta
    from pipeprobe.tolerance import Tolerance

    found = Noise(suite, probe_id, runs=len(runs), tolerance=tolerance)
    keys = sorted(runs, key=lambda key: (key[1] != max(k[1] for k in runs), key[0] != "batched", key[2]))
    reference = runs[keys[0]]
    exact = Tolerance(abs=0.0, rel=0.0, tier="exact")
    tenth = Tolerance(abs=tolerance.abs / FACTOR, rel=tolerance.rel / FACTOR, tier=f"{tolerance.tier} / {FACTOR:g}")
    for key in keys[1:]:
        value = runs[key]
        delta = largest_delta(reference, value)
        found.noise = max(found.noise, delta)
        for difference in differences(reference, value, exact):
            if difference.delta is None and difference.path not in found.unstable:
                found.unstable.append(difference.path or "(whole output)")
    for key in keys:
        for other in keys:
            if key >= other:
                continue
            same = [key[0] == other[0], key[1] == other[1]]
            source = "repeats" if all(same) else "batching" if same[1] else "threads" if same[0] else None
            if source:
                found.by_source[source] = max(found.by_source[source], largest_delta(runs[key], runs[other]))
    if found.unstable:
        found.fragile.append("output changes between runs at " + ", ".join(found.unstable[:3]))
    beyond = [d for key in keys[1:] for d in differences(reference, runs[key], tenth) if d.delta is not None]
    if beyond:
        worst = max(beyond, key=lambda d: d.delta)
        found.fragile.append(f"tolerance {tolerance.describe()} is less than {FACTOR:g}x its noise "
                             f"({worst.delta:.3g} at {worst.path or 'the output'})")
    found.margin = top_margin(reference)
    if found.margin is not None and found.margin <= 2 * found.noise:
        found.fragile.append(f"top-1/top-2 margin {found.margin:.3g} is within noise {found.noise:.3g}")
    return found


def top_margin(output: Any) -> float | None:
    """The gap between the two best scores of a ranking output (zero-shot labels/scores, top-k items), or None."""
    scores: list[float] = []
    if isinstance(output, dict) and isinstance(output.get("scores"), list):
        scores = [s for s in output["scores"] if isinstance(s, float)]
    elif isinstance(output, list) and output and all(isinstance(item, dict) for item in output):
        scores = [item["score"] for item in output if isinstance(item.get("score"), float)]
    if len(scores) < 2:
        return None
    best = sorted(scores, reverse=True)
    return best[0] - best[1]


# Recording ------------------------------------------------------------------------------------------------------------
def calibration_entry(noise: Noise, repeats: int, provenance: dict[str, Any], tighten: bool,
                      widen_why: str | None) -> dict[str, Any]:
    from pipeprobe.tolerance import LOOSEST

    entry: dict[str, Any] = {
        "noise": noise.noise, "by_source": noise.by_source, "runs": noise.runs, "repeats": repeats,
        "variants": [f"{batching}, {threads} thread(s)" for batching, threads in variants()],
        "margin": noise.margin, "tier": {"abs": noise.tolerance.abs, "rel": noise.tolerance.rel,
                                         "tier": noise.tolerance.tier},
        "fragile": noise.fragile, "provenance": provenance,
    }
    suggested = max(FACTOR * noise.noise, FLOOR)
    if tighten and suggested < noise.tolerance.abs and suggested < noise.tolerance.rel:
        entry["tolerance"] = {"abs": suggested, "rel": suggested}
    elif widen_why and suggested > noise.tolerance.abs:
        bound = min(suggested, LOOSEST.abs)
        entry["tolerance"] = {"abs": bound, "rel": min(suggested, LOOSEST.rel), "why": widen_why}
    return entry


def record(path: Path, key: str, entry: dict[str, Any]) -> bool:
    """Add ``calibration.<key>`` to the baseline file (through the store: locked, atomic, the rest of the
    file kept). False if there is no usable baseline."""
    from pipeprobe.baselines import store, targets

    def add(data: dict[str, Any] | None) -> dict[str, Any] | None:
        if data is None:
            return None
        calibration = dict(data.get(targets.CALIBRATION_FIELD) or {})
        calibration[key] = entry
        return {**data, targets.CALIBRATION_FIELD: dict(sorted(calibration.items()))}

    try:
        return store.update(path, add)
    except store.BaselineError:
        return False


# The command ----------------------------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", dest="markexpr", default=None, metavar="MARKEXPR",
                        help="only the probes matching this marker expression (as pytest -m)")
    parser.add_argument("--repeats", type=int, default=5, metavar="K",
                        help="runs of each probe in each of the four ways (default 5)")
    parser.add_argument("--model-map", default=None, metavar="PATH",
                        help="TOML map of hub ids to local folders (default: $PIPEPROBE_MODEL_MAP)")
    parser.add_argument("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N or mps")
    parser.add_argument("--dtype", default="float32", help="float32 (default), float16 or bfloat16")
    parser.add_argument("--dry-run", action="store_true", help="measure and print; write nothing")
    parser.add_argument("--tighten", action="store_true",
                        help=f"record a tolerance of {FACTOR:g}x the noise where that is tighter than the tier")
    parser.add_argument("--widen-why", default=None, metavar="TEXT",
                        help=f"record a wider tolerance ({FACTOR:g}x the noise, at most the loosest tier), "
                             "with this reason")


def main(args: argparse.Namespace) -> int:
    try:
        return _calibrate(args)
    except CalibrationError as error:
        print(f"pipeprobe calibrate: {error}", file=sys.stderr)
        return 2


def _calibrate(args: argparse.Namespace) -> int:
    from pipeprobe.baselines import store, targets
    from pipeprobe.baselines.compare import tolerance_between
    from pipeprobe.config import ConfigError, find_project
    from pipeprobe.devices import DeviceError, resolve_target
    from pipeprobe.execution.runner import ProbeRunner
    from pipeprobe.models import ModelMap, ModelMapError, load_registry, model_map_path
    from pipeprobe.models.lock import LockFileError
    from pipeprobe.probes.catalogue import CatalogueError, load_catalogue
    from pipeprobe.tolerance import tier_for

    if args.repeats < 2:
        raise CalibrationError(f"--repeats {args.repeats}: give at least 2 (noise needs more than one run)")
    if args.widen_why is not None and not args.widen_why.strip():
        raise CalibrationError("--widen-why needs a reason")
    if args.tighten and args.widen_why is not None:
        raise CalibrationError("--tighten and --widen-why pull opposite ways: give one of them")
    try:
        project = find_project()
        target = resolve_target(args.device, args.dtype)
        probes = load_catalogue(project.fixtures)
        registry = load_registry(project.models_file)
        model_map = ModelMap.load(model_map_path(args.model_map))
    except (ConfigError, DeviceError, CatalogueError, ModelMapError, LockFileError, OSError) as error:
        raise CalibrationError(str(error)) from None
    chosen = select(probes, args.markexpr)
    runner = ProbeRunner.create(target, registry, probes, model_map)
    keys = targets.keys_for(target.device, target.dtype)
    tier = tier_for(target.device, target.dtype)
    print(f"pipeprobe calibrate: {len(chosen)} probes on {keys[0]}, {args.repeats} repeats x "
          + " / ".join(f"{b} at {t} thread(s)" for b, t in variants()))
    outputs, skipped = measure(runner, chosen, args.repeats)
    results: list[Noise] = []
    provenance = None
    for probe in chosen:
        runs = outputs.get((probe.suite, probe.id))
        if not runs:
            continue
        spec = runner.spec_for(probe)
        location = store.location(project.snapshots, probe.suite, spec.slug, probe.id)
        baseline = _read(location)
        tolerance = tier
        if baseline is not None:
            selection = targets.select(baseline, keys, tier, tolerance_between)
            tolerance = selection.tolerance
        noise = analyse(probe.suite, probe.id, runs, tolerance)
        if provenance is None:
            provenance = {k: v for k, v in runner.provenance(probe).items() if k != "source"}
        if baseline is None:
            noise.recorded = "no baseline"
        elif args.dry_run:
            noise.recorded = "dry run"
        else:
            entry = calibration_entry(noise, args.repeats, provenance, args.tighten, args.widen_why)
            noise.recorded = f"{targets.CALIBRATION_FIELD}.{keys[0]}" if record(location, keys[0], entry) else "-"
            if "tolerance" in entry:
                noise.recorded += " + tolerance"
        results.append(noise)
    sys.stdout.write(table(results))
    for line in skipped:
        print(f"skipped {line}")
    fragile = [n for n in results if n.fragile]
    print(f"{len(results)} probes calibrated, {len(fragile)} fragile" + "".join(
        f"\nFRAGILE {n.suite}/{n.probe}: " + "; ".join(n.fragile) for n in fragile))
    return 0


def _read(path: Path) -> dict[str, Any] | None:
    from pipeprobe.baselines import store

    try:
        return store.read(path)
    except store.BaselineError:
        return None


def table(results: list[Noise]) -> str:
    lines = ["| probe | runs | noise max abs | repeats | batching | threads | tolerance | top-1/2 margin | fragile "
             "| recorded |", "|---|---|---|---|---|---|---|---|---|---|"]
    for n in results:
        margin = "" if n.margin is None else f"{n.margin:.3g}"
        lines.append(
            f"| {n.suite}/{n.probe} | {n.runs} | {n.noise:.3g} | {n.by_source['repeats']:.3g} | "
            f"{n.by_source['batching']:.3g} | {n.by_source['threads']:.3g} | {n.tolerance.describe()} | {margin} | "
            f"{'FRAGILE' if n.fragile else 'no'} | {n.recorded} |"
        )
    return "\n".join(lines) + "\n"
