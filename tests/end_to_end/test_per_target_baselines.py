"""Per-target baselines: a cpu/float32 reference plus a bfloat16 entry; each run compares with its own
target's values and says which; an update writes only the running target's entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeprobe.baselines import store, targets
from pipeprobe.baselines.compare import tolerance_between
from pipeprobe.tolerance import CPU_FLOAT32, HALF_PRECISION, tier_for
from tests import twins
from tests.conftest import PROJECT, run_inprocess
from tests.perturb import copy_sentiment_project

SNAPSHOTS = Path("snapshots/sentiment/distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f")
PROBES = 25


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.json"))}


def without_targets(text: bytes) -> bytes:
    record = json.loads(text)
    record.pop(targets.TARGETS_FIELD, None)
    return store.serialize(record).encode("utf-8")


def compared_with(project: pytest.Pytester, name: str) -> set[str]:
    report = json.loads((project.path / name / "drift.json").read_text())
    return {(probe.get("baseline") or {}).get("baseline_target") for probe in report["probes"] if probe["has_output"]}


def test_a_bfloat16_entry_beside_the_float32_reference(pytester: pytest.Pytester, sst2_twin: Path):
    copy_sentiment_project(pytester.path, PROJECT)
    mapping = "--model-map=" + str(twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin}))
    folder = pytester.path / SNAPSHOTS
    recorded = run_inprocess(pytester, "suites", "-k", "baseline", mapping, "--snapshot-update")
    recorded.assert_outcomes(passed=PROBES, deselected=PROBES)
    reference = files(folder)
    assert all(targets.TARGETS_FIELD not in json.loads(text) for text in reference.values())

    bf16 = run_inprocess(pytester, "suites", "-k", "baseline", mapping, "--snapshot-update", "--dtype", "bfloat16")
    bf16.assert_outcomes(passed=PROBES, deselected=PROBES)
    after = files(folder)
    assert after.keys() == reference.keys()
    for name, text in after.items():
        record = json.loads(text)
        # the float32 reference is byte for byte what it was; only a cpu/bfloat16 entry was added
        assert without_targets(text) == reference[name], name
        assert set(record[targets.TARGETS_FIELD]) == {"cpu/bfloat16"}
        entry = record[targets.TARGETS_FIELD]["cpu/bfloat16"]
        assert entry["provenance"]["dtype"] == "bfloat16" and entry["provenance"]["device"] == "cpu"
        assert record["provenance"]["dtype"] == "float32"
    # the twin's bfloat16 scores really differ from its float32 ones: the entry holds its own values
    assert any(json.loads(after[name])["targets"]["cpu/bfloat16"]["output"] != json.loads(reference[name])["output"]
               for name in after)

    # a bfloat16 run compares with the bfloat16 entry, and the drift report says so
    checked = run_inprocess(pytester, "suites", "-k", "baseline", mapping, "--dtype", "bfloat16", "--drift-report=bf16")
    checked.assert_outcomes(passed=PROBES, deselected=PROBES)
    assert compared_with(pytester, "bf16") == {"this target's own baseline (cpu/bfloat16)"}
    assert f"{PROBES} compared with this target's own baseline (cpu/bfloat16)" in checked.stdout.str()
    # a float32 run compares with the reference
    plain = run_inprocess(pytester, "suites", "-k", "baseline", mapping, "--drift-report=fp32")
    plain.assert_outcomes(passed=PROBES, deselected=PROBES)
    assert compared_with(pytester, "fp32") == {"the reference (cpu/float32, this run's target)"}
    assert f"{PROBES} compared with the reference (cpu/float32, this run's target)" in plain.stdout.str()
    # neither run rewrote anything
    assert files(folder) == after


# Selection and writing, without a model ------------------------------------------------------------------------
REFERENCE = {
    "suite": "s", "probe": "p", "model": "m", "revision": "r", "provenance": {"device": "cpu", "dtype": "float32"},
    "input": "x",
    "output": {"label": "A", "score": 0.5},
    "targets": {"cpu/bfloat16": {"provenance": {"device": "cpu", "dtype": "bfloat16"},
                                 "output": {"label": "A", "score": 0.51}}},
}


def test_each_target_reads_its_own_entry_or_the_reference_never_another_target():
    own = targets.select(REFERENCE, ["cpu/bfloat16"], HALF_PRECISION, tolerance_between)
    assert own.own and own.values["output"]["score"] == 0.51 and own.tolerance == HALF_PRECISION
    reference = targets.select(REFERENCE, ["cpu/float32"], CPU_FLOAT32, tolerance_between)
    assert reference.own and reference.values["output"]["score"] == 0.5 and reference.tolerance == CPU_FLOAT32
    # float16 on CPU has no entry: the reference under the cross-target tier, never the bfloat16 values
    other = targets.select(REFERENCE, ["cpu/float16"], tier_for("cpu", "float16"), tolerance_between)
    assert not other.own and other.values["output"]["score"] == 0.5
    assert "cross-target" in other.tolerance.tier and "cross-target" in other.describe()
    # a GPU: its capability's entry, then plain cuda, then the reference under at least the accelerator tier
    gpu = targets.select(REFERENCE, ["cuda-sm90/float32", "cuda/float32"], tier_for("cuda", "float32"),
                         tolerance_between)
    assert not gpu.own and gpu.tolerance.abs == tier_for("cuda", "float32").abs
    with_gpu = {**REFERENCE, "targets": {**REFERENCE["targets"], "cuda/float32": {"output": {"label": "A",
                                                                                            "score": 0.52}}}}
    assert targets.select(with_gpu, ["cuda-sm90/float32", "cuda/float32"], CPU_FLOAT32,
                          tolerance_between).key == "cuda/float32"


def test_an_update_writes_only_the_running_targets_entry():
    existing = REFERENCE
    run_record = {**REFERENCE, "provenance": {"device": "cuda:0", "dtype": "float16"}, "output": {"label": "B"}}
    run_record.pop("targets")
    merged = targets.merged(existing, run_record, ["cuda-sm80/float16", "cuda/float16"])
    assert merged["output"] == REFERENCE["output"] and merged["provenance"] == REFERENCE["provenance"]
    assert merged["targets"]["cuda-sm80/float16"]["output"] == {"label": "B"}
    assert merged["targets"]["cpu/bfloat16"] == REFERENCE["targets"]["cpu/bfloat16"]
    # the reference's own target rewrites the reference, and keeps the other targets' entries
    rerecorded = {**run_record, "provenance": {"device": "cpu", "dtype": "float32"}, "output": {"label": "C"}}
    merged = targets.merged(existing, rerecorded, ["cpu/float32"])
    assert merged["output"] == {"label": "C"} and merged["targets"] == REFERENCE["targets"]
    # no file yet: the first recording is the reference, whatever its target
    assert targets.merged(None, run_record, ["cuda/float16"]) == run_record


def test_calibration_tightens_and_widens_only_with_a_why():
    calibrated = {**REFERENCE, "calibration": {"cpu/float32": {"tolerance": {"abs": 1e-6, "rel": 1e-6}}}}
    assert targets.select(calibrated, ["cpu/float32"], CPU_FLOAT32, tolerance_between).tolerance.abs == 1e-6
    wider = {**REFERENCE, "calibration": {"cpu/float32": {"tolerance": {"abs": 1e-3, "rel": 1e-3}}}}
    assert targets.select(wider, ["cpu/float32"], CPU_FLOAT32, tolerance_between).tolerance == CPU_FLOAT32
    why = {**REFERENCE, "calibration": {"cpu/float32": {"tolerance": {"abs": 1e-3, "rel": 1e-3, "why": "MKL"}}}}
    assert targets.select(why, ["cpu/float32"], CPU_FLOAT32, tolerance_between).tolerance.abs == 1e-3
    unbounded = {**REFERENCE, "calibration": {"cpu/float32": {"tolerance": {"abs": 1.0, "rel": 1.0, "why": "x"}}}}
    assert targets.select(unbounded, ["cpu/float32"], CPU_FLOAT32, tolerance_between).tolerance == CPU_FLOAT32


def test_baselines_prints_a_probe_by_target_grid(tmp_path, capsys):
    from pipeprobe.cli.main import main as cli

    folder = tmp_path / "snapshots/s/m@r"
    folder.mkdir(parents=True)
    (folder / "p.json").write_text(store.serialize(REFERENCE))
    (folder / "q.json").write_text(store.serialize({**REFERENCE, "probe": "q", "targets": {}}))
    (folder / "broken.json").write_text("{not json")
    assert cli(["baselines", "--snapshots", str(tmp_path / "snapshots")]) == 0
    out, err = capsys.readouterr()
    assert "| baseline | cpu/float32 | cpu/bfloat16 |" in out
    assert "| s/p (m@r) | ref | yes |" in out and "| s/q (m@r) | ref |  |" in out
    assert "broken.json: not a usable baseline" in err
    assert cli(["baselines", "--snapshots", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_rerecording_a_target_drops_only_its_own_stale_calibration():
    calibrated = {**REFERENCE, "calibration": {"cpu/float32": {"noise": 1e-7}, "cpu/bfloat16": {"noise": 1e-3}}}
    run_record = {key: value for key, value in REFERENCE.items() if key != "targets"}
    run_record = {**run_record, "provenance": {"device": "cpu", "dtype": "bfloat16"}, "output": {"label": "B"}}
    merged = targets.merged(calibrated, run_record, ["cpu/bfloat16"])
    assert merged["calibration"] == {"cpu/float32": {"noise": 1e-7}}
    assert merged["output"] == REFERENCE["output"]
