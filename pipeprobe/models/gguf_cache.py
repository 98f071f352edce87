"""GGUF models through transformers, dequantised once and kept as safetensors.

``from_pretrained(folder, gguf_file=...)`` dequantises every tensor on each load (about
15-20 s for SmolLM2-135M on two cores). The first load writes a plain transformers folder
(config, generation config, tokenizer, ``model.safetensors``) under the cache root, named
by the GGUF file's sha256 and the transformers version that wrote it (another version may
not read its config and tokenizer files); later loads read that folder in well under a
second. A GGUF file with other content gets another folder, so a stale cache is never used.
``save_pretrained`` refuses a GGUF-loaded model, so the state dict is written directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

CACHE_ENV = "PIPEPROBE_GGUF_CACHE"
COMPLETE = "pipeprobe-gguf.json"


def cache_root() -> Path:
    """``$PIPEPROBE_GGUF_CACHE``, else ``$XDG_CACHE_HOME/pipeprobe/gguf``, else ``~/.cache/...``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pipeprobe" / "gguf"


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def gguf_path(location: str, gguf_file: str, revision: str | None, local_only: bool) -> Path:
    """The GGUF file itself: inside a local folder, or from the HF cache / hub at ``revision``."""
    folder = Path(location)
    if folder.is_dir():
        path = folder / gguf_file
        # the name stays in the folder (no absolute path, no '..'); a link the folder's owner put there is theirs
        if Path(gguf_file).is_absolute() or ".." in Path(gguf_file).parts:
            raise FileNotFoundError(f"{gguf_file!r} leads out of the model's folder {folder}; refused")
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist")
        return path
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(location, gguf_file, revision=revision, local_files_only=local_only))


def cached_folder(gguf: Path, root: Path | None = None) -> Path:
    """Where the dequantised copy of ``gguf`` lives (whether or not it exists yet)."""
    from importlib.metadata import version

    return (root or cache_root()) / f"{sha256_of(gguf)}-transformers-{version('transformers')}"


def dequantised(gguf: Path, root: Path | None = None) -> tuple[Path, bool]:
    """A transformers folder with ``gguf``'s dequantised weights, and whether it was reused."""
    target = cached_folder(gguf, root)
    if (target / COMPLETE).is_file():
        return target, True
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        _convert(gguf, building)
        (building / COMPLETE).write_text(
            json.dumps({"gguf_file": gguf.name, "folder": target.name}) + "\n", encoding="utf-8"
        )
        try:
            os.replace(building, target)
        except OSError:  # another process finished first: use its copy
            if not (target / COMPLETE).is_file():
                raise
            shutil.rmtree(building, ignore_errors=True)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return target, False


def _convert(gguf: Path, folder: Path) -> None:
    """Dequantise through transformers and write config, tokenizer and safetensors weights."""
    from safetensors.torch import save_file
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    source, name = str(gguf.parent), gguf.name
    config = AutoConfig.from_pretrained(source, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=name)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=name)
    state = model.state_dict()
    if getattr(config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)  # tied: rebuilt from the input embeddings on load
    save_file({key: tensor.contiguous() for key, tensor in state.items()}, folder / "model.safetensors",
              metadata={"format": "pt"})
    config.save_pretrained(folder)
    if model.generation_config is not None:
        model.generation_config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def local_source(
    location: str, revision: str | None, local_only: bool, gguf_file: str | None
) -> tuple[str, str | None]:
    """Where ``from_pretrained`` should read: ``location`` itself, or a GGUF's dequantised folder.

    Returns (location, revision); the revision is None for a local folder.
    """
    if not gguf_file:
        return location, revision
    folder, _reused = dequantised(gguf_path(location, gguf_file, revision, local_only))
    return str(folder), None
