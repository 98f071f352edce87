"""The terminal: one skip line per missing model, the models section above the totals, a failed
baseline's key line first."""

from __future__ import annotations

import pytest

from pipeprobe.plugin.terminal import failure_lines
from pipeprobe.report.record import ProbeRecord
from pipeprobe.report.statuses import DRIFTED
from tests.conftest import PROJECT, run
from tests.perturb import copy_sentiment_project

SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english@714eb0f"


def test_a_missing_model_is_one_skip_line_and_the_models_section_sits_above_the_totals(pytester, monkeypatch):
    copy_sentiment_project(pytester.path, PROJECT)
    monkeypatch.delenv("PIPEPROBE_MODEL_MAP", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = run(pytester, "-m", "sentiment")
    lines = result.outlines
    skipped = [line for line in lines if line.startswith("SKIPPED")]
    assert len(skipped) == 1, skipped  # both tests of all 25 probes skip from one place, with one reason
    assert skipped[0].startswith("SKIPPED [50] fixtures/models.yaml:") and f"model {SST2} unavailable: " in skipped[0]
    assert "--model-map" in skipped[0]
    section = lines.index(next(line for line in lines if " pipeprobe models =" in line))
    assert lines.index(skipped[0]) < section < len(lines) - 1  # after pytest's short summary, above the totals
    assert f"{SST2}: unavailable, its 25 probes skipped" in "\n".join(lines[section:])
    assert "50 skipped" in lines[-1]


def _record(differences: list[str], status: str = DRIFTED) -> ProbeRecord:
    return ProbeRecord(
        suite="sentiment", probe="teste-02", task="text-classification", lang="en", model="m", revision="r",
        baseline_file="snapshots/sentiment/m@r/teste-02.json",
        comparison={"status": status, "baseline_status": status, "differences": differences,
                    "tolerance": {"abs": 1e-4, "rel": 1e-4, "tier": "cpu/float32"},
                    "provenance_differences": {"transformers": {"baseline": "4.55.2", "run": "5.24.0"}}},
    )


@pytest.mark.parametrize("count", [1, 40])
def test_a_failed_baseline_leads_with_its_status_and_stays_short_enough_that_pytest_keeps_it_whole(count):
    differences = [f"output.scores.{i}: baseline 0.5, output 0.6, delta 0.1 beyond tolerance" for i in range(count)]
    lines = failure_lines(_record(differences))
    assert lines[0].startswith(f"sentiment/teste-02 drifted: {count} value") and "(cpu/float32)" in lines[0]
    assert differences[0] in lines and lines[1] == "probe sentiment/teste-02 on m@r"
    if count == 1:
        assert "transformers 4.55.2 -> 5.24.0" in lines[-1]
    # pytest truncates an explanation past 8 lines or 640 characters unless -vv
    assert len(lines) <= 8 and sum(len(line) for line in lines) <= 640


@pytest.mark.parametrize("status", ["within tolerance", "new (no baseline)", "corrupt baseline"])
def test_other_baseline_failures_leave_the_explanation_to_the_snapshot_extension(status):
    assert failure_lines(_record([], status=status)) is None
