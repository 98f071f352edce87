"""The terminal: one skip line per missing model, the models section above the totals, a failed
baseline's key line first."""

from __future__ import annotations

import dataclasses
import warnings

import pytest

from pipeprobe.baselines.statuses import DRIFTED
from pipeprobe.baselines.verdict import BaselineVerdict
from pipeprobe.plugin.terminal import failure_lines
from pipeprobe.report.record import ProbeRecord
from pipeprobe.tolerance import CPU_FLOAT32
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
    assert skipped[0].startswith("SKIPPED [50] fixtures/models.yaml:") and f"model {SST2} unavailable" in skipped[0]
    assert len(skipped[0]) <= 160, skipped[0]  # short: the full reason is in the models section, once
    section = lines.index(next(line for line in lines if " pipeprobe models =" in line))
    assert lines.index(skipped[0]) < section < len(lines) - 1  # after pytest's short summary, above the totals
    models = "\n".join(lines[section:])
    assert f"{SST2}: unavailable, its 25 probes skipped: " in models and "not in the local HF cache" in models
    assert models.count("--model-map") == 1  # how to supply them: once
    assert "50 skipped" in lines[-1]


def _record(differences: list[str], status: str = DRIFTED) -> ProbeRecord:
    return ProbeRecord(
        suite="sentiment", probe="teste-02", task="text-classification", lang="en", model="m", revision="r",
        baseline_file="snapshots/sentiment/m@r/teste-02.json",
        baseline_verdict=BaselineVerdict(
            status=status, baseline_status=status, differences=differences, tolerance=CPU_FLOAT32,
            provenance_differences={"transformers": {"baseline": "4.55.2", "run": "5.24.0"}}),
    )


@pytest.mark.parametrize("count", [1, 40])
def test_a_failed_baseline_leads_with_its_status_and_stays_short_enough_that_pytest_keeps_it_whole(count):
    differences = [f"output.scores.{i}: baseline 0.5, output 0.6, delta 0.1 beyond tolerance" for i in range(count)]
    lines = failure_lines(_record(differences))
    assert lines[0].startswith(f"sentiment/teste-02 drifted: {count} value") and "(cpu/float32)" in lines[0]
    assert differences[0] in lines and lines[1] == "probe sentiment/teste-02 on m@r"
    if count == 1:
        assert "what differs: transformers 4.55.2 → 5.24.0" in lines[-1]  # describe_differences' words
    # pytest truncates an explanation past 8 lines or 640 characters unless -vv
    assert len(lines) <= 8 and sum(len(line) for line in lines) <= 640


@pytest.mark.parametrize("status", ["within tolerance", "new (no baseline)", "corrupt baseline"])
def test_other_baseline_failures_leave_the_explanation_to_the_snapshot_extension(status):
    assert failure_lines(_record([], status=status)) is None


def test_a_failures_summary_line_drops_the_exception_type_and_the_probe_name_so_it_reads_at_80_columns():
    from pipeprobe.plugin.terminal import short_failure

    message = "pipeprobe.plugin.probes.ExpectationMiss: sentiment/teste-02: label: expected 'NEGATIVE', got 'POSITIVE'"
    assert short_failure(_record([]), "expectation", message) == "label: expected 'NEGATIVE', got 'POSITIVE'"
    drifted = _record(["output.score: baseline 0.5, output 0.502, delta 0.002 beyond tolerance"])
    drifted = dataclasses.replace(drifted, baseline_verdict=dataclasses.replace(
        drifted.baseline_verdict, delta=0.002, allowed=0.0001))
    assert short_failure(drifted, "baseline", "assert ...") == "drifted: delta 0.002 > 0.0001 allowed"


def test_transformers_progress_bars_and_advisory_logs_are_kept_out(monkeypatch):
    from transformers.utils import logging as transformers_logging

    from pipeprobe.plugin.terminal import quiet_libraries

    for name in ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY", "PIPEPROBE_LIBRARY_LOGS"):
        monkeypatch.setenv(name, "")  # restored as it was after the test
        monkeypatch.delenv(name)
    level = transformers_logging.get_verbosity()
    try:
        quiet_libraries()
        assert not transformers_logging.is_progress_bar_enabled()
        assert transformers_logging.get_verbosity() == transformers_logging.ERROR
    finally:
        transformers_logging.set_verbosity(level)
        monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS")
        with warnings.catch_warnings():  # huggingface_hub may still read the variable as it was at its import
            warnings.simplefilter("ignore")
            transformers_logging.enable_progress_bar()
