"""Model-balanced shards (``--shard=I/N``) and the recorded durations that balance them.

Every model's probes land in exactly one shard, so each CI machine loads only its own models.
Models are weighed by the load + run seconds that ``--store-durations`` keeps in a committed
file (``fixtures/durations.json``); a model without a record is weighed by the average per
probe of those recorded. Assignment is greedy, largest first, onto the lightest shard, and
depends on the whole catalogue alone (not on ``-m``/``-k``), so shards stay disjoint and
their union is every probe whatever else selects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeprobe import atomic, strict_json
from pipeprobe.probes.catalogue import Probe

DURATIONS_NAME = "durations.json"
DURATIONS_FORMAT = "pipeprobe-durations/1"
MODEL_ID_PROPERTY = "pipeprobe_model_id"
# Weights for a catalogue with nothing recorded: one model load, then each probe.
DEFAULT_LOAD_S = 2.0
DEFAULT_PROBE_S = 0.1
_SHARD = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.match(text.strip())
        if not match:
            raise pytest.UsageError(f"--shard={text}: expected I/N, e.g. --shard=1/2")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 1 <= index <= count:
            raise pytest.UsageError(f"--shard={text}: I must be between 1 and N (N >= 1)")
        return cls(index, count)


def durations_path(config: pytest.Config) -> Path:
    from pipeprobe.plugin.project import for_pytest

    return for_pytest(config).fixtures / DURATIONS_NAME


def read_durations(path: Path) -> dict[str, dict[str, float]]:
    """Model id -> {"load_s", "run_s", "probes"}; an absent file is empty, a malformed one a usage error."""
    if not path.is_file():
        return {}
    try:
        document = strict_json.read(path)
    except strict_json.StrictJSONError as error:
        raise pytest.UsageError(f"{path}: not a readable durations file ({error})") from None
    if not isinstance(document, dict) or document.get("format") != DURATIONS_FORMAT:
        document = {}
    models = document.get("models")
    if not isinstance(models, dict):
        raise pytest.UsageError(f"{path}: not a {DURATIONS_FORMAT} file; delete it or re-record with --store-durations")
    for model, entry in models.items():
        if (fault := _entry_fault(entry)) is not None:
            raise pytest.UsageError(f"{path}: model {model!r}: {fault}; fix it, delete the file or re-record with "
                                    "--store-durations")
    return {str(model): dict(entry) for model, entry in models.items()}


def _entry_fault(entry: Any) -> str | None:
    """Why one model's durations entry is unusable (``load_s``/``run_s`` seconds, ``probes`` a count), or None."""
    if not isinstance(entry, dict):
        return "must be a mapping {load_s, run_s, probes}"
    for name in ("load_s", "run_s", "probes"):
        value = entry.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
            return f"{name} must be a number of at least 0, not {value!r}"
    if not isinstance(entry.get("probes", 0), int):
        return f"probes must be a whole number, not {entry['probes']!r}"
    return None


def write_durations(path: Path, measured: dict[str, dict[str, float]]) -> None:
    """Merge ``measured`` into the file (other models' entries kept), sorted, written atomically."""
    models = {**read_durations(path), **measured}
    text = strict_json.dumps({"format": DURATIONS_FORMAT, "models": dict(sorted(models.items()))})
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write(path, text)


def model_weights(probes: Iterable[Probe], durations: dict[str, dict[str, float]]) -> dict[str, float]:
    """Seconds each model is expected to take: recorded load + run (scaled to today's probe count), else the
    recorded average load + per-probe run time (defaults while nothing is recorded)."""
    counts: dict[str, int] = {}
    for probe in probes:
        counts[probe.model] = counts.get(probe.model, 0) + 1
    recorded = {model: entry for model, entry in durations.items() if model in counts}
    per_probe = DEFAULT_PROBE_S
    load = DEFAULT_LOAD_S
    if recorded:
        load = sum(float(entry.get("load_s", 0.0)) for entry in recorded.values()) / len(recorded)
        probes_seen = sum(int(entry.get("probes", 0)) for entry in recorded.values())
        if probes_seen:
            per_probe = sum(float(entry.get("run_s", 0.0)) for entry in recorded.values()) / probes_seen
    weights = {}
    for model, count in counts.items():
        entry = recorded.get(model)
        if entry is not None:
            # recorded with another number of probes (some added since): scale its run time per probe
            seen = int(entry.get("probes", 0)) or count
            weights[model] = float(entry.get("load_s", 0.0)) + float(entry.get("run_s", 0.0)) * count / seen
        else:
            weights[model] = load + per_probe * count
    return weights


def largest_first(weights: dict[str, float]) -> list[str]:
    """Models heaviest first; ties by id, so every process orders them alike."""
    return sorted(weights, key=lambda model: (-weights[model], model))


def assign(weights: dict[str, float], count: int) -> dict[str, int]:
    """Model -> shard (1-based): each model, largest first, onto the shard with the least so far."""
    totals = [0.0] * count
    shards: dict[str, int] = {}
    for model in largest_first(weights):
        lightest = min(range(count), key=lambda index: (totals[index], index))
        shards[model] = lightest + 1
        totals[lightest] += weights[model]
    return shards


def item_probe(item: pytest.Item) -> Probe | None:
    callspec = getattr(item, "callspec", None)
    probe = callspec.params.get("probe") if callspec is not None else None
    return probe if isinstance(probe, Probe) else None


class ShardSelector:
    """Deselects every item whose model another shard owns; items that are no probe go to shard 1."""

    def __init__(self, shard: Shard, probes: dict[str, list[Probe]], durations: dict[str, dict[str, float]]) -> None:
        self.shard = shard
        everything = [probe for suite in probes.values() for probe in suite]
        self.owner = assign(model_weights(everything, durations), shard.count)

    def owns(self, item: pytest.Item) -> bool:
        probe = item_probe(item)
        if probe is None:
            return self.shard.index == 1
        return self.owner.get(probe.model, 1) == self.shard.index

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        kept = [item for item in items if self.owns(item)]
        dropped = [item for item in items if not self.owns(item)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_report_header(self) -> str:
        mine = sorted(model for model, index in self.owner.items() if index == self.shard.index)
        return f"pipeprobe shard {self.shard.index}/{self.shard.count}: {len(mine)} model(s): {', '.join(mine)}"


class DurationRecorder:
    """``--store-durations``: per model, its load seconds and the rest of its tests' time, into the file.

    Works under pytest-xdist: the model id and load time travel in the reports' user properties.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.models: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        model = properties.get(MODEL_ID_PROPERTY)
        if model is None:
            return
        if not _ran(report):  # a probe whose model could not be had says nothing about its time
            return
        entry = self.models.setdefault(str(model), {"load_s": 0.0, "total_s": 0.0, "nodeids": set()})
        entry["total_s"] += float(report.duration)
        entry["nodeids"].add(report.nodeid)
        entry["load_s"] = max(entry["load_s"], _load_seconds(report, properties))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if getattr(session.config, "workerinput", None) is not None or not self.models:
            return  # a worker: the controller writes
        measured = {
            model: {
                "load_s": round(entry["load_s"], 3),
                "run_s": round(max(entry["total_s"] - entry["load_s"], 0.0), 3),
                "probes": len({(nodeid.split("::", 1)[0], nodeid.rsplit("[", 1)[-1]) for nodeid in entry["nodeids"]}),
            }
            for model, entry in self.models.items()
        }
        if measured:
            write_durations(self.path, measured)


def _ran(report: pytest.TestReport) -> bool:
    from pipeprobe.report.record import from_report

    record = from_report(report)
    return bool(record.has_output) if record is not None else report.passed


def _load_seconds(report: pytest.TestReport, properties: dict[str, Any]) -> float:
    """The model load time the probe's record carries (pipeprobe.report.record), 0 when none."""
    from pipeprobe.report.record import from_report

    record = from_report(report)
    seconds = record.load_s if record is not None else properties.get("pipeprobe_load_s")
    return float(seconds or 0.0)


def tag_items(items: list[pytest.Item]) -> None:
    """Each probe test carries its model id in its user properties (for the durations, under xdist too)."""
    for item in items:
        probe = item_probe(item)
        if probe is not None and (MODEL_ID_PROPERTY, probe.model) not in item.user_properties:
            item.user_properties.append((MODEL_ID_PROPERTY, probe.model))
