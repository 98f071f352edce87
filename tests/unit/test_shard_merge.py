"""``pipeprobe drift merge``: shards' drift reports join into the report one machine would have written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeprobe.baselines.verdict import compare_probe
from pipeprobe.cli.main import main as cli
from pipeprobe.report.document import build_report, load_report
from pipeprobe.tolerance import tier_for

RUN = {"pipeprobe": "0.1.0", "transformers": "5.24.0", "torch": "2.13.0", "tokenizers": "0.22", "device": "cpu",
       "dtype": "float32", "date": "2026-11-28"}


def _probe(suite: str, probe: str, model: str, baseline: float | None, output: float | None) -> dict:
    def record(value: float | None) -> dict | None:
        return None if value is None else {"input": "x", "output": {"score": value}, "revision": "r",
                                           "provenance": RUN}

    return {
        "suite": suite, "probe": probe, "model": model, "revision": "r", "has_output": output is not None,
        "output": None if output is None else {"score": output}, "expectation": None,
        **compare_probe(baseline=record(baseline), run=record(output), tolerance=tier_for("cpu", "float32")).as_dict(),
    }


def _write(path: Path, probes: list[dict], **run: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_report(probes, {**RUN, **run}, "baselines in snapshots/")), encoding="utf-8")
    return path


@pytest.fixture
def shard_files(tmp_path: Path) -> list[Path]:
    first = [_probe("sentiment", "a", "m1", 0.5, 0.5), _probe("sentiment", "b", "m1", 0.5, 0.9),
             _probe("sentiment", "gone", "m1", 0.5, None)]
    second = [_probe("minilm", "c", "m2", 0.1, 0.10001), _probe("minilm", "d", "m2", None, 0.2)]
    return [_write(tmp_path / "shard-1" / "drift.json", first), _write(tmp_path / "shard-2" / "drift.json", second)]


def test_merge_joins_every_probe_and_recounts(shard_files, tmp_path, capsys):
    assert cli(["drift", "merge", *map(str, shard_files), "--out", str(tmp_path / "merged")]) == 0
    merged = load_report(tmp_path / "merged" / "drift.json")
    parts = [load_report(path) for path in shard_files]
    expected = {(p["suite"], p["probe"]): p["status"] for part in parts for p in part["probes"]}
    assert {(p["suite"], p["probe"]): p["status"] for p in merged["probes"]} == expected
    assert sum(merged["summary"].values()) == len(expected) == 5
    for status, count in merged["summary"].items():
        assert count == sum(part["summary"].get(status, 0) for part in parts)
    assert merged["run"]["shards"] == [str(path) for path in shard_files]
    assert (tmp_path / "merged" / "drift.html").is_file()
    assert "sentiment/b" in capsys.readouterr().out  # the drifted probe is in the table


def test_fail_on_drift_looks_at_every_shard(shard_files):
    assert cli(["drift", "merge", *map(str, shard_files), "--fail-on-drift"]) == 1


def test_a_probe_run_by_two_reports_is_refused(shard_files, capsys):
    assert cli(["drift", "merge", str(shard_files[0]), str(shard_files[0])]) == 2
    error = capsys.readouterr().err.strip()
    assert "ran in both" in error and len(error.splitlines()) == 1


def test_shards_of_different_libraries_are_refused(shard_files, tmp_path, capsys):
    other = _write(tmp_path / "other" / "drift.json", [_probe("minilm", "c", "m2", 0.1, 0.1)], transformers="4.57.6")
    assert cli(["drift", "merge", str(shard_files[0]), str(other)]) == 2
    assert "transformers" in capsys.readouterr().err


def test_shards_on_two_gpus_merge_and_keep_both_devices(tmp_path):
    one = _write(tmp_path / "1" / "drift.json", [_probe("s", "a", "m1", 0.5, 0.5)], device="cuda:0")
    two = _write(tmp_path / "2" / "drift.json", [_probe("s", "b", "m2", 0.5, 0.5)], device="cuda:1")
    assert cli(["drift", "merge", str(one), str(two), "--out", str(tmp_path / "m")]) == 0
    assert load_report(tmp_path / "m" / "drift.json")["run"]["devices"] == ["cuda:0", "cuda:1"]


def test_not_a_drift_report_or_one_file_is_one_line(shard_files, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert cli(["drift", "merge", str(shard_files[0]), str(bad)]) == 2
    assert cli(["drift", "merge", str(shard_files[0])]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("pipeprobe drift merge: ") for line in errors)
