"""Bad inputs, surface: model maps and the mapped model itself: a folder that does not load fails, never
skips, and never writes a baseline."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from tests import twins
from tests.bad_inputs import (
    MODELS,
    clean,
    copy_twin,
    failed_with,
    files,
    make_project,
    mapped,
    run,
    twin_of,
    usage_error,
)
from tests.conftest import run_inprocess


# 2. Model maps and the model itself --------------------------------------------------------------------------------
def test_a_model_map_that_is_not_utf8_is_one_usage_line(pytester):
    make_project(pytester.path)
    (pytester.path / "map.toml").write_bytes('# caf\xe9\n[models]\n"a/b" = "x"\n'.encode("latin-1"))
    usage_error(run_inprocess(pytester, "--co", "--model-map=map.toml"), "map.toml", "UTF-8")


def test_a_model_map_that_is_not_toml_is_one_usage_line(pytester):
    make_project(pytester.path)
    (pytester.path / "map.toml").write_text("[models\n", encoding="utf-8")
    usage_error(run_inprocess(pytester, "--co", "--model-map=map.toml"), "map.toml", "not valid TOML")


def test_model_map_as_two_words_says_to_write_it_with_an_equals_sign(pytester, sst2_twin):
    make_project(pytester.path)
    mapping = twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin})
    usage_error(run_inprocess(pytester, "--co", "--model-map", str(mapping)), f"--model-map={mapping}")


def test_a_plain_encoder_mapped_as_the_classifier_is_a_load_error_not_garbage(demo):
    before = files(demo.path / "snapshots")
    mapped(demo, twins.minilm_folder())
    for update in ((), ("--snapshot-update",)):
        result = run(demo, *update)
        failed_with(result, "test_baseline[one]", str(twins.minilm_folder()), "is not the model this task needs",
                    "classifier.weight", "randomly initialised")
        assert files(demo.path / "snapshots") == before


def test_a_classifier_with_another_label_set_is_a_load_error_where_models_yaml_pins_labels(demo, tmp_path):
    """Same architecture, same weight shapes, another head (LABEL_0/LABEL_1): only the pinned labels catch it."""
    (demo.path / "fixtures/models.yaml").write_text(MODELS + "    labels: [NEGATIVE, POSITIVE]\n", encoding="utf-8")
    before = files(demo.path / "snapshots")
    right = twin_of(demo)
    other = copy_twin(right, tmp_path / "other-head")
    config = json.loads((other / "config.json").read_text(encoding="utf-8"))
    config["id2label"], config["label2id"] = {"0": "LABEL_0", "1": "LABEL_1"}, {"LABEL_0": 0, "LABEL_1": 1}
    (other / "config.json").write_text(json.dumps(config), encoding="utf-8")
    mapped(demo, other)
    for update in ((), ("--snapshot-update",)):
        failed_with(run(demo, *update), "test_baseline[one]",
                    f"{other}'s labels are not the set models.yaml pins: missing 'NEGATIVE', 'POSITIVE'; "
                    "unexpected 'LABEL_0', 'LABEL_1'")
        assert files(demo.path / "snapshots") == before
    mapped(demo, right)  # the right head passes the same check
    assert run(demo).ret == 0


def test_corrupt_safetensors_in_a_mapped_folder_fail_not_skip(demo, tmp_path):
    before = files(demo.path / "snapshots")
    broken = copy_twin(twin_of(demo), tmp_path / "broken")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    mapped(demo, broken)
    failed_with(run(demo), "test_baseline[one]", f"model map folder {broken} did not load")
    assert files(demo.path / "snapshots") == before


def test_a_mapped_path_that_is_a_file_fails_not_skips(demo, tmp_path):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"not a folder")
    mapped(demo, target)
    failed_with(run(demo), "test_baseline[one]", "a file, not a folder", str(target))


def test_a_mapped_folder_that_is_missing_fails_not_skips(demo, tmp_path):
    mapped(demo, tmp_path / "absent")
    failed_with(run(demo), "test_baseline[one]", "missing folder", str(tmp_path / "absent"))


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pipeprobe-pickle-ran",))


def test_a_refused_pickle_in_a_mapped_folder_fails_and_never_runs(demo, tmp_path):
    folder = copy_twin(twin_of(demo), tmp_path / "pickled")
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(_Exploit()))
    mapped(demo, folder)
    failed_with(run(demo), "test_baseline[one]", f"model map folder {folder} did not load")
    assert not Path("/tmp/pipeprobe-pickle-ran").exists()


def test_a_model_absent_from_every_source_stays_a_skip(demo, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(demo.path / "empty-cache"))
    (demo.path / "map.toml").write_text("[models]\n", encoding="utf-8")
    result = run(demo)
    clean(result)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=2, deselected=2)
    result.stdout.fnmatch_lines(["*0 of 2 probes ran: 2 skipped (model absent)*"])
