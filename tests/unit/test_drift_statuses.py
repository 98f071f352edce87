"""Drift statuses, provenance differences and `pipeprobe drift`'s errors, on hand-made records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeprobe.baselines import statuses as drift
from pipeprobe.baselines import verdict as comparison
from pipeprobe.cli import main as cli
from pipeprobe.devices import Target
from pipeprobe.execution.recorder import Recorder
from pipeprobe.execution.runner import ProbeOutput
from pipeprobe.models import ModelLoad, ModelSpec, ModelUnavailable
from pipeprobe.probes.catalogue import load_suite
from pipeprobe.report import document
from pipeprobe.report.record import PROPERTY, attach, from_report
from pipeprobe.tolerance import tier_for
from tests.conftest import PROJECT

CPU = tier_for("cpu", "float32")
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
PROVENANCE = {"transformers": "4.55.2", "torch": "unrecorded", "device": "cpu", "dtype": "float32"}


def record(output, *, input_="text", revision="714eb0f", **provenance):
    return {"input": input_, "output": output, "revision": revision, "provenance": {**PROVENANCE, **provenance}}


def status(baseline, run, **options):
    return comparison.compare_probe(baseline=baseline, run=run, tolerance=CPU, **options).as_dict()


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ({"label": "POSITIVE", "score": 0.9}, drift.UNCHANGED),
        ({"label": "POSITIVE", "score": 0.90005}, drift.WITHIN),
        ({"label": "POSITIVE", "score": 0.9002}, drift.DRIFTED),
        ({"label": "NEGATIVE", "score": 0.9}, drift.CHANGED),
    ],
)
def test_a_probe_is_classified_by_the_largest_delta_and_any_exact_difference(output, expected):
    found = status(record({"label": "POSITIVE", "score": 0.9}), record(output))
    assert found["status"] == found["baseline_status"] == expected
    assert found["provenance_differences"] == {}


def test_a_changed_ranking_is_a_change_but_a_swap_of_tied_members_is_not():
    before = {"labels": ["a", "b"], "scores": [0.6, 0.4]}
    after = {"labels": ["b", "a"], "scores": [0.6, 0.4]}
    assert status(record(before), record(after))["status"] == drift.CHANGED
    tied = [{"label": "a", "score": 0.5}, {"label": "b", "score": 0.5}]
    assert status(record(tied), record(tied[::-1]))["status"] == drift.WITHIN
    assert status(record([1, 2, 3]), record([1, 2]))["status"] == drift.CHANGED


def test_new_and_baseline_without_a_run():
    assert status(None, record({"score": 0.1}))["status"] == drift.NEW
    assert status(record({"score": 0.1}), None)["status"] == drift.NOT_RUN


def test_a_known_weakness_that_now_passes_is_the_headline_but_the_baseline_status_stays():
    found = status(record({"label": "NEGATIVE"}), record({"label": "POSITIVE"}),
                   known_weakness=True, expectation_met=True)
    assert (found["status"], found["baseline_status"]) == (drift.WEAKNESS_PASSING, drift.CHANGED)
    before = status(record({"label": "POSITIVE"}), record({"label": "POSITIVE"}), known_weakness=True,
                    expectation_met=True, weakness_passed_before=True)
    assert before["status"] == drift.UNCHANGED


def test_the_runs_tier_applies_whatever_the_baseline_says_and_provenance_differences_are_listed():
    baseline = record({"score": 0.5}, device="cuda:0")  # a baseline's provenance never loosens the tier
    run = record({"score": 0.5015}, revision="abc1234", transformers="5.24.0", torch="2.13.0")
    found = status(baseline, run)
    assert found["status"] == drift.DRIFTED
    assert found["tolerance"]["tier"] == CPU.tier
    assert found["provenance_differences"] == {
        "revision": {"baseline": "714eb0f", "run": "abc1234"},
        "transformers": {"baseline": "4.55.2", "run": "5.24.0"},
        "torch": {"baseline": "unrecorded", "run": "2.13.0"},
        "device": {"baseline": "cuda:0", "run": "cpu"},
    }


def report(tmp_path: Path, name: str, probes: list[dict], **run) -> Path:
    data = document.build_report(probes, {"transformers": "5.24.0", "device": "cpu", "dtype": "float32", **run}, "x")
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def probe(name: str, output, expectation="met", known_weakness=False) -> dict:
    return {"suite": "s", "probe": name, "task": "text-classification", "input": name, "output": output,
            "revision": "r", "has_output": True, "expectation": expectation, "known_weakness": known_weakness,
            **status(None, record(output))}


def test_two_runs_compare_probe_by_probe_with_both_runs_provenance(tmp_path, capsys):
    before = report(tmp_path, "a.json", [probe("same", {"score": 0.5}), probe("moved", {"score": 0.5}),
                                         probe("gone", {"score": 0.1}),
                                         probe("weak", {"label": "A"}, "missed", known_weakness=True)],
                    transformers="4.57.6")
    after = report(tmp_path, "b.json", [probe("same", {"score": 0.5}), probe("moved", {"score": 0.6}),
                                        probe("added", {"score": 0.2}),
                                        probe("weak", {"label": "B"}, "met", known_weakness=True)],
                   device="cuda:0")
    assert cli.main(["drift", str(before), str(after), "--fail-on-drift", "--out", str(tmp_path / "out")]) == 1
    table = capsys.readouterr().out
    assert "| drifted | s/moved |" in table and "transformers 4.57.6 → 5.24.0; device cpu → cuda:0" in table
    compared = document.load_report(tmp_path / "out" / "drift.json")
    assert {p["probe"]: p["status"] for p in compared["probes"]} == {
        "same": drift.UNCHANGED, "moved": drift.DRIFTED, "gone": drift.NOT_RUN, "added": drift.NEW,
        "weak": drift.WEAKNESS_PASSING,
    }
    assert next(p for p in compared["probes"] if p["probe"] == "moved")["tolerance"]["tier"] == "accelerator/float32"
    assert cli.main(["drift", str(before)]) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it"),
        ("{not json", "not valid JSON"),
        ('{"probes": []}', "not a pipeprobe drift report"),
        ('{"format": "pipeprobe-drift/1", "run": {}, "probes": [{"x": 1}]}', "probe #1 has no 'suite'"),
    ],
)
def test_a_file_that_is_not_a_drift_report_is_one_clear_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "drift.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["drift", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(f"pipeprobe drift: {path}: ") and message in error


def test_more_than_two_reports_is_refused(tmp_path, capsys):
    assert cli.main(["drift", "a", "b", "c"]) == 2
    assert "give one drift.json to show, or two" in capsys.readouterr().err


class _Runner:
    """The little of a ProbeRunner a Recorder reads."""

    def __init__(self, spec, target):
        self.spec, self.target = spec, target
        self.cache = self

    def spec_for(self, probe):
        return self.spec

    def record_for(self, spec, target, task):
        return ModelLoad(spec=spec, target=target, task=task, source="model map (/m)", seconds=0.5)

    def provenance(self, probe):
        from pipeprobe.baselines.provenance import probe_provenance

        return probe_provenance(self.target, "model map (/m)", None, probe=probe)


def _recorder(tmp_path, with_baseline: bool):
    spec = ModelSpec(id=SST2, revision="714eb0f", task="text-classification")
    probe = next(p for p in load_suite(PROJECT / "fixtures/sentiment.yaml") if p.id == "teste-01")
    if with_baseline:
        folder = tmp_path / "snapshots" / "sentiment" / spec.slug
        folder.mkdir(parents=True)
        shutil.copy2(PROJECT / "snapshots" / "sentiment" / spec.slug / "teste-01.json", folder)
    runner = _Runner(spec, Target("cpu", "float32"))
    return Recorder(runner=runner, snapshot_root=tmp_path / "snapshots", rootpath=tmp_path), probe


def test_a_probe_whose_model_was_missing_is_a_baseline_without_a_run_or_not_run_without_one(tmp_path):
    missing = ModelUnavailable("model x unavailable: no map", model=f"{SST2}@714eb0f", reason="no map")
    recorder, probe = _recorder(tmp_path / "with", with_baseline=True)
    record = recorder.unavailable(probe, missing)
    assert (record.status, record.expectation, record.has_output) == (drift.NOT_RUN, None, False)
    assert (record.unavailable.model, record.unavailable.reason) == (f"{SST2}@714eb0f", "no map")
    recorder, probe = _recorder(tmp_path / "without", with_baseline=False)
    assert recorder.unavailable(probe, missing).status == drift.NOT_RUN_NO_BASELINE
    assert drift.rank(drift.NOT_RUN_NO_BASELINE) > drift.rank(drift.UNCHANGED)  # not-run rows last


def test_a_record_is_built_once_and_travels_as_one_user_property(tmp_path):
    recorder, probe = _recorder(tmp_path, with_baseline=True)
    baseline = json.loads((tmp_path / "snapshots/sentiment" / recorder.runner.spec.slug / "teste-01.json").read_text())
    record = recorder.ran(probe, ProbeOutput(value=baseline["output"], seconds=0.25))
    assert recorder.ran(probe, ProbeOutput(value={"label": "NEGATIVE", "score": 0.5}, seconds=1.0)) is record
    assert (record.status, record.expectation, record.inference_s, record.load_s) == (drift.UNCHANGED, "met", 0.25, 0.5)
    assert record.comparison["provenance_differences"]["transformers"]["baseline"] == "4.55.2"
    assert record.provenance["source"] == "pipeprobe run, model from model map (/m)"
    properties = [("other", 1)]
    attach(properties, record)
    attach(properties, record)
    assert [name for name, _ in properties] == ["other", PROPERTY]
    again = from_report(SimpleNamespace(user_properties=properties))
    assert again == record and again.entry()["status"] == drift.UNCHANGED
