"""What a mapped model folder lacks, found without loading a weight: ``pipeprobe check --model-map``.

Looks at the files only (config.json parsed, a safetensors header read): a config, a weight file in
a format transformers loads into PyTorch here, a tokenizer (or an image/audio processor for those
tasks), and the label set models.yaml pins. One line per missing piece.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeprobe.models.labels import label_difference

WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
OTHER_FRAMEWORKS = {"tf_model.h5": "TensorFlow", "flax_model.msgpack": "Flax", "model.onnx": "ONNX",
                    "model.ckpt.index": "TensorFlow checkpoint", "openvino_model.xml": "OpenVINO"}
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model", "spiece.model",
                   "sentencepiece.bpe.model", "source.spm")
PROCESSOR_TASKS = {"image-classification": "preprocessor_config.json",
                   "automatic-speech-recognition": "preprocessor_config.json"}
NO_TOKENIZER_TASKS = ("image-classification",)


def folder_faults(folder: Path, *, task: str | None = None, labels: list[str] | None = None,
                  gguf_file: str | None = None, tokenizer_only: bool = False) -> list[str]:
    """What ``folder`` lacks to load as a model of ``task`` (empty: nothing found missing)."""
    if not folder.is_dir():
        return [f"{folder} is not a folder"]
    names = {path.name for path in folder.iterdir()}
    faults = []
    if task not in NO_TOKENIZER_TASKS and not gguf_file and not names & set(TOKENIZER_FILES):
        faults.append(f"no tokenizer files (one of {', '.join(TOKENIZER_FILES)})")
    if tokenizer_only:
        return faults
    if gguf_file:
        if gguf_file not in names:
            faults.append(f"gguf_file {gguf_file} is not in the folder")
        return faults
    config = _config(folder, faults)
    faults.extend(_weight_faults(folder, names))
    processor = PROCESSOR_TASKS.get(task or "")
    if processor and processor not in names:
        faults.append(f"no {processor} (the {task} processor)")
    if labels and config is not None:
        id2label = config.get("id2label")
        if not isinstance(id2label, dict) or not id2label:
            faults.append("config.json has no id2label, but models.yaml pins a label set")
        elif difference := label_difference((str(label) for label in id2label.values()), labels):
            faults.append(f"labels are not the set models.yaml pins: {difference}")
    return faults


def _config(folder: Path, faults: list[str]) -> dict[str, Any] | None:
    path = folder / "config.json"
    if not path.is_file():
        faults.append("no config.json")
        return None
    try:
        config = json.loads(path.read_text(encoding="utf-8"))  # the model's file: plain JSON, as transformers
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        faults.append(f"config.json is not readable JSON ({_one_line(error)})")
        return None
    if not isinstance(config, dict) or "model_type" not in config:
        faults.append("config.json names no model_type (transformers can't tell the architecture)")
    return config if isinstance(config, dict) else None


def _one_line(error: BaseException) -> str:
    """An error's first line, at most 120 characters (some errors have no text at all)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:120]


def _weight_faults(folder: Path, names: set[str]) -> list[str]:
    present = [name for name in WEIGHTS if name in names]
    if not present:
        others = sorted(framework for name, framework in OTHER_FRAMEWORKS.items() if name in names)
        if others:
            return [f"only {', '.join(others)} weights; PyTorch weights are needed (model.safetensors or "
                    "pytorch_model.bin)"]
        return ["no PyTorch weight file (model.safetensors, pytorch_model.bin, or a sharded index)"]
    if present[0] == "model.safetensors":
        return _safetensors_faults(folder / "model.safetensors")
    if present[0].endswith(".index.json"):
        return _index_faults(folder, folder / present[0])
    return []


def _safetensors_faults(path: Path) -> list[str]:
    """The header alone: 8 bytes of length, then JSON (no tensor is read)."""
    try:
        with path.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if not 0 < size <= 100_000_000:
                return [f"{path.name} is not a safetensors file (bad header length)"]
            json.loads(handle.read(size))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return [f"{path.name} is not a safetensors file (unreadable header)"]
    return []


def _index_faults(folder: Path, index: Path) -> list[str]:
    try:
        shards = list(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values())
    except (OSError, ValueError, UnicodeDecodeError, AttributeError, RecursionError):
        return [f"{index.name} is not a readable weight index"]
    if not all(isinstance(shard, str) for shard in shards):
        return [f"{index.name} is not a readable weight index (its weight_map must name shard files)"]
    shards = sorted(set(shards))
    missing = sorted(shard for shard in shards if not (folder / shard).is_file())
    return [f"{index.name} names shards that are not there: {', '.join(missing[:3])}"] if missing else []
