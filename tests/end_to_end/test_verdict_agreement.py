"""One verdict: after ordinary (and hostile) edits of recorded baselines, each probe's baseline test
outcome and its status in drift.json agree, serially and under xdist."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeprobe.baselines.verdict import HOLDING
from pipeprobe.report import document
from tests import twins
from tests.conftest import PROJECT, run, run_inprocess
from tests.perturb import copy_sentiment_project

SNAPSHOTS = Path("snapshots/sentiment/distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f")
WHY = "printed rounded"


def _nudge(record: dict[str, Any], delta: float) -> dict[str, Any]:
    record["output"]["score"] += delta
    return record


def _calibrated(record: dict[str, Any], bound: float, why: str | None = None) -> dict[str, Any]:
    tolerance = {"abs": bound, "rel": bound, **({"why": why} if why else {})}
    record["calibration"] = {"cpu/float32": {"noise": 0.0, "tolerance": tolerance}}
    return record


def _own_target(record: dict[str, Any]) -> dict[str, Any]:
    entry = {"provenance": dict(record["provenance"]), "output": {**record["output"], "label": "NEGATIVE?"}}
    record["targets"] = {"cpu/float32": entry}
    return record


# probe -> (what the edit is, the edit of the parsed baseline; or text for a file that is not one)
EDITS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "teste-01": ("own tolerance, then a calibration that tightens",
                 lambda r: _calibrated({**_nudge(r, 5e-4), "tolerance": {"abs": 1e-3, "rel": 1e-3, "why": WHY}},
                                       1e-6)),
    "teste-02": ("no input field", lambda r: {k: v for k, v in r.items() if k != "input"}),
    "teste-04": ("score nudged within the tier", lambda r: _nudge(r, 5e-5)),
    "teste-05": ("score nudged beyond the tier", lambda r: _nudge(r, 1e-2)),
    "teste-06": ("label flipped", lambda r: {**r, "output": {**r["output"], "label": "NEGATIVE?"}}),
    "teste-07-1": ("input edited", lambda r: {**r, "input": r["input"] + " (edited)"}),
    "teste-07-2": ("own tolerance that loosens", lambda r: {**_nudge(r, 5e-4),
                                                           "tolerance": {"abs": 1e-3, "rel": 1e-3, "why": WHY}}),
    "teste-07-3": ("calibration that widens without a why", lambda r: _calibrated(_nudge(r, 5e-4), 1e-3)),
    "teste-07-4": ("calibration that widens with a why", lambda r: _calibrated(_nudge(r, 5e-4), 1e-3, WHY)),
    "teste-07-5": ("this target's own entry with another label", _own_target),
    "teste-08-1": ("provenance as a string", lambda r: {**r, "provenance": "cpu"}),
    "teste-08-2": ("a duplicate key", lambda r: json.dumps(r)[:-1] + ', "output": {"label": "X", "score": 0.5}}'),
    "teste-09-1": ("nested 100,000 deep", lambda r: "[" * 100_000 + "]" * 100_000),
    "teste-09-2": ("an own tolerance without a why", lambda r: {**r, "tolerance": {"abs": 1e-3, "rel": 1e-3}}),
}


def _edit(folder: Path) -> None:
    for probe, (_, change) in EDITS.items():
        path = folder / f"{probe}.json"
        edited = change(json.loads(path.read_text(encoding="utf-8")))
        path.write_text(edited if isinstance(edited, str) else json.dumps(edited, indent=2), encoding="utf-8")


def _baseline_outcomes(result: pytest.RunResult) -> dict[str, bool]:
    """probe -> whether its baseline test passed, from the -rA short summary."""
    outcomes = {}
    for line in result.outlines:
        for word, passed in (("PASSED", True), ("FAILED", False), ("ERROR", False)):
            if line.startswith(word + " ") and "::test_baseline[" in line:
                outcomes[line.split("[", 1)[1].split("]", 1)[0]] = passed
    return outcomes


@pytest.fixture
def edited(pytester: pytest.Pytester, sst2_twin: Path) -> tuple[pytest.Pytester, str]:
    copy_sentiment_project(pytester.path, PROJECT)
    model_map = "--model-map=" + str(twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin}))
    recorded = run_inprocess(pytester, "-m", "sentiment", "-k", "test_baseline", model_map, "--snapshot-update")
    assert recorded.ret == 0
    _edit(pytester.path / SNAPSHOTS)
    return pytester, model_map


@pytest.mark.parametrize("workers", [0, 2])
def test_every_baseline_tests_outcome_agrees_with_its_drift_status(edited, workers):
    project, model_map = edited
    args = ("-m", "sentiment", "-k", "test_baseline", model_map, "-rA", "--drift-report=agree")
    result = run_inprocess(project, *args) if not workers else run(project, *args, "-n", str(workers))
    report = document.load_report(project.path / "agree" / "drift.json")
    statuses = {probe["probe"]: probe["baseline_status"] for probe in report["probes"] if probe["has_output"]}
    outcomes = _baseline_outcomes(result)
    assert outcomes.keys() == statuses.keys() and len(outcomes) == 25
    disagree = {probe: (EDITS.get(probe, ("unedited",))[0], statuses[probe], outcomes[probe])
                for probe in outcomes if outcomes[probe] != (statuses[probe] in HOLDING)}
    assert disagree == {}
    # and the edits land where a person expects
    assert statuses["teste-04"] == "within tolerance" and statuses["teste-07-2"] == "within tolerance"
    assert statuses["teste-07-4"] == "within tolerance"
    assert statuses["teste-01"] == "drifted" and statuses["teste-07-3"] == "drifted"
    assert statuses["teste-05"] == "drifted"
    assert statuses["teste-06"] == statuses["teste-07-1"] == statuses["teste-07-5"] == "label or ranking changed"
    corrupt = {probe for probe, status in statuses.items() if status == "corrupt baseline"}
    assert corrupt == {"teste-02", "teste-08-1", "teste-08-2", "teste-09-1", "teste-09-2"}
    assert all(outcomes[probe] for probe in statuses if probe not in EDITS)
