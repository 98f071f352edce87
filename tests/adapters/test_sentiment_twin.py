"""The real sentiment suite, end to end, against a tiny random twin of the SST-2 model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests import twins
from tests.conftest import run_inprocess

SNAPSHOTS = Path("snapshots/sentiment/distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f")
PROBES = 25
RECORDED_BY_NOTES = 20


def model_map(project: pytest.Pytester, folder: Path) -> str:
    return str(twins.write_model_map(project.path / "map.toml", {twins.SST2_ID: folder}))


def test_update_writes_baselines_then_a_second_run_matches_every_one(project, sst2_twin):
    mapping = model_map(project, sst2_twin)
    before = {path.name: path.read_text() for path in (project.path / SNAPSHOTS).glob("*.json")}
    assert len(before) == RECORDED_BY_NOTES

    update = run_inprocess(project, "-m", "sentiment", f"--model-map={mapping}", "--snapshot-update")
    outcomes = update.parseoutcomes()
    assert outcomes.get("skipped", 0) == 0, update.stdout.str()
    assert "error" not in outcomes and "errors" not in outcomes
    update.stdout.fnmatch_lines(
        ["*loaded distilbert/*@714eb0f on cpu/float32 (text-classification): loaded from model map*"]
    )

    written = sorted((project.path / SNAPSHOTS).glob("*.json"))
    assert len(written) == PROBES
    for path in written:
        record = json.loads(path.read_text())
        assert record["provenance"]["device"] == "cpu"
        assert record["provenance"]["dtype"] == "float32"
        assert record["provenance"]["transformers"] != "4.55.2"
        assert "model map" in record["provenance"]["source"]
        assert set(record["output"]) == {"label", "score"}

    again = run_inprocess(project, "-m", "sentiment", f"--model-map={mapping}", "-k", "baseline")
    again.assert_outcomes(passed=PROBES, deselected=None)


def test_shift_within_tolerance_matches_and_beyond_it_fails_naming_probe_and_delta(project, sst2_twin, tmp_path):
    run_inprocess(project, "-m", "sentiment", f"--model-map={model_map(project, sst2_twin)}", "--snapshot-update")

    nudged = twins.shift_classifier_bias(sst2_twin, tmp_path / "nudged", "POSITIVE", 1e-5)
    within = run_inprocess(project, "-m", "sentiment", "-k", "baseline", f"--model-map={model_map(project, nudged)}")
    within.assert_outcomes(passed=PROBES, deselected=None)

    shifted = twins.shift_classifier_bias(sst2_twin, tmp_path / "shifted", "POSITIVE", 0.05)
    beyond = run_inprocess(project, "-m", "sentiment", "-k", "baseline", f"--model-map={model_map(project, shifted)}")
    beyond.assert_outcomes(failed=PROBES, deselected=None)
    beyond.stdout.fnmatch_lines([
        "*probe sentiment/teste-01 on distilbert/distilbert-base-uncased-finetuned-sst-2-english@714eb0f",
        "*baseline: {\"label\": *, \"score\": *}",
        "*output:   {\"label\": *, \"score\": *}",
        "*output.score: baseline *, output *, delta * beyond tolerance abs 0.0001 / rel 0.0001 (cpu/float32)",
    ])


def test_notes_baselines_carry_their_provenance_and_flag_doubtful_records():
    folder = Path(__file__).resolve().parents[2] / SNAPSHOTS
    records = {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}
    assert len(records) == RECORDED_BY_NOTES
    assert all(record["provenance"]["transformers"] == "4.55.2" for record in records.values())
    assert records["teste-06"]["output"] == {"label": "POSITIVE", "score": 0.9828368425369263}
    assert records["teste-07-1"]["output"] == {"label": "NEGATIVE", "score": 0.9967466592788696}
    assert {name for name, record in records.items() if "doubtful" in record} == {
        "teste-06", "teste-07-1", "teste-09-2",
    }


def test_every_sentiment_try_is_collected_with_its_markers(project):
    result = run_inprocess(project, "-m", "sentiment", "--co", "-q")
    listed = result.stdout.str()
    assert "suites/test_sentiment.py::test_expectation[teste-01]" in listed
    assert "suites/test_sentiment.py::test_baseline[exercicio-5]" in listed
    assert re.search(rf"^{2 * PROBES}(/\d+)? tests collected", listed, re.MULTILINE)
    portuguese = run_inprocess(project, "-m", "sentiment and lang_pt", "--co", "-q")
    assert re.search(rf"^{2 * 7}/\d+ tests collected", portuguese.stdout.str(), re.MULTILINE)


def test_without_the_model_each_probe_skips_naming_it_or_errors_when_required(project, tmp_path):
    empty = twins.write_model_map(tmp_path / "empty.toml", {})
    skipped = run_inprocess(project, "-m", "sentiment", f"--model-map={empty}", "-rs")
    skipped.assert_outcomes(skipped=2 * PROBES)
    skipped.stdout.fnmatch_lines([  # one short line per skip; the full reason once, in the models section
        "*model distilbert/distilbert-base-uncased-finetuned-sst-2-english@714eb0f unavailable (why: *",
        "*pipeprobe models*",
        "*its 25 probes skipped: not in the model map*",
    ])
    required = run_inprocess(project, "-m", "sentiment", f"--model-map={empty}", "--require-models")
    required.assert_outcomes(errors=2 * PROBES)
