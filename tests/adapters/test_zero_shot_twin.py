"""The real zero-shot suite, end to end, against a tiny random BART-MNLI twin."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from pipeprobe.probes.catalogue import load_suite
from pipeprobe.tasks import adapter_for
from tests import twins
from tests.conftest import run_inprocess

SNAPSHOTS = Path("snapshots/zero_shot/facebook--bart-large-mnli@d7645e1")
PROBES = 6
RECORDED_BY_NOTES = 5


@pytest.fixture(scope="module")
def bart_mnli_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return twins.build_bart_mnli_twin(tmp_path_factory.mktemp("twins") / "bart-mnli")


def test_update_writes_every_ranking_then_a_second_run_matches_it(project, bart_mnli_twin):
    mapping = str(twins.write_model_map(project.path / "map.toml", {twins.ZERO_SHOT_ID: bart_mnli_twin}))
    assert len(list((project.path / SNAPSHOTS).glob("*.json"))) == RECORDED_BY_NOTES

    update = run_inprocess(project, "-m", "zero_shot", f"--model-map={mapping}", "--snapshot-update")
    outcomes = update.parseoutcomes()
    assert sum(outcomes.get(name, 0) for name in ("passed", "failed", "xfailed", "xpassed")) == 2 * PROBES, outcomes
    assert not {"skipped", "error", "errors"} & outcomes.keys(), update.stdout.str()
    update.stdout.fnmatch_lines(["*loaded facebook/bart-large-mnli@d7645e1 on cpu/float32 (zero-shot-classification)*"])

    written = {path.stem: json.loads(path.read_text()) for path in (project.path / SNAPSHOTS).glob("*.json")}
    assert len(written) == PROBES
    for record in written.values():
        assert record["provenance"]["transformers"] != "4.55.2"
        assert set(record["output"]) == {"labels", "scores"}
        assert sorted(record["output"]["labels"]) == sorted(record["input"]["candidate_labels"])
        scores = record["output"]["scores"]
        assert all(isinstance(score, float) for score in scores) and scores == sorted(scores, reverse=True)
        assert math.isclose(sum(scores), 1.0, abs_tol=1e-5)

    again = run_inprocess(project, "-m", "zero_shot", f"--model-map={mapping}", "-k", "baseline")
    outcomes = again.parseoutcomes()
    assert outcomes.get("passed") == PROBES and not {"failed", "skipped", "error", "errors"} & outcomes.keys(), outcomes


def test_notes_baselines_hold_every_label_and_score_of_the_five_restaurant_tests():
    folder = Path(__file__).resolve().parents[2] / SNAPSHOTS
    records = {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}
    records = {name: record for name, record in records.items() if record["provenance"]["source"].startswith("notes:")}
    assert sorted(records) == ["teste-01", "teste-02", "teste-03", "teste-04", "teste-05"]
    assert all(record["provenance"]["transformers"] == "4.55.2" for record in records.values())
    assert records["teste-01"]["output"] == {
        "labels": ["Information", "Order", "Menu"],
        "scores": [0.6081867814064026, 0.21226967871189117, 0.17954352498054504],
    }
    assert records["teste-05"]["output"]["scores"][-1] == 0.05033739656209946
    assert sum(len(record["output"]["labels"]) for record in records.values()) == 15


def test_the_expectations_agree_with_the_notes_verdicts_on_the_recorded_rankings():
    root = Path(__file__).resolve().parents[2]
    adapter = adapter_for("zero-shot-classification")
    for probe in load_suite(root / "fixtures/zero_shot.yaml"):
        if not probe.recorded:
            continue
        path = root / SNAPSHOTS / f"{probe.id}.json"
        problems = adapter.judge(probe.expect, json.loads(path.read_text())["output"])
        assert bool(problems) == probe.known_weakness, (probe.id, problems)
