"""`pipeprobe check --model-map` names what a mapped folder lacks, from its files alone (no weight loads)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from pipeprobe.cli.check import check_project
from pipeprobe.cli.init import write_project
from pipeprobe.config import load_config
from pipeprobe.models.folder_check import folder_faults

MODEL = "my-org/my-classifier"


def _safetensors(path: Path) -> None:
    header = json.dumps({"__metadata__": {"format": "pt"}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header)


def _complete(folder: Path, labels: list[str]) -> Path:
    folder.mkdir(parents=True)
    config = {"model_type": "distilbert", "id2label": {str(i): label for i, label in enumerate(labels)}}
    (folder / "config.json").write_text(json.dumps(config))
    _safetensors(folder / "model.safetensors")
    (folder / "tokenizer.json").write_text("{}")
    return folder


def test_a_complete_folder_has_no_fault(tmp_path: Path) -> None:
    folder = _complete(tmp_path / "ok", ["NEGATIVE", "POSITIVE"])
    assert folder_faults(folder, task="text-classification", labels=["POSITIVE", "NEGATIVE"]) == []


def test_a_folder_without_pytorch_weights_is_named(tmp_path: Path) -> None:
    folder = _complete(tmp_path / "tf", ["NEGATIVE", "POSITIVE"])
    (folder / "model.safetensors").unlink()
    (folder / "tf_model.h5").write_bytes(b"\x89HDF")
    assert folder_faults(folder, task="text-classification") == [
        "only TensorFlow weights; PyTorch weights are needed (model.safetensors or pytorch_model.bin)"]


@pytest.mark.parametrize(("broken", "fault"), [
    (lambda f: (f / "config.json").unlink(), "no config.json"),
    (lambda f: (f / "tokenizer.json").unlink(), "no tokenizer files"),
    (lambda f: (f / "model.safetensors").write_bytes(b"not a safetensors file"), "model.safetensors is not a"),
    (lambda f: (f / "model.safetensors").unlink(), "no PyTorch weight file"),
])
def test_each_missing_piece_is_one_line(tmp_path: Path, broken, fault: str) -> None:
    folder = _complete(tmp_path / "m", ["NEGATIVE", "POSITIVE"])
    broken(folder)
    faults = folder_faults(folder, task="text-classification")
    assert len(faults) == 1 and faults[0].startswith(fault), faults


def test_check_reads_the_pinned_labels_and_shows_only_the_difference(tmp_path: Path) -> None:
    project = tmp_path / "team"
    write_project(project, MODEL, "text-classification", "reviews")
    models = project / "fixtures/models.yaml"
    models.write_text(models.read_text() + "    labels: [NEGATIVE, NEUTRAL, POSITIVE]\n")
    folder = _complete(tmp_path / "weights", ["NEGATIVE", "NEUTARL", "POSITIVE"])
    model_map = project / "model-map.toml"
    model_map.write_text(f'[models]\n"{MODEL}" = "{folder}"\n')
    faults, _ = check_project(load_config(project), model_map)
    assert faults == [f"{model_map}: model {MODEL!r}: {folder}: labels are not the set models.yaml pins: "
                      "missing 'NEUTRAL' (has 'NEUTARL'?); unexpected 'NEUTARL' (2 of 3 pinned labels agree)"]
