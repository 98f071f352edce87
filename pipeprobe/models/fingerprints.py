"""Fingerprints of what a model load read: weight files, tokenizer files, config, chat template, attention.

A retrained model dropped into the same model-map folder keeps its path and revision; only
its files' digests tell the change apart. Each file's sha256 is cached by (path, size,
mtime) in the user's cache folder, so a warm run hashes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from pipeprobe import atomic, strict_json

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".onnx")
TOKENIZER_FILES = frozenset({
    "tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt", "special_tokens_map.json",
    "added_tokens.json", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model", "source.spm", "target.spm",
    "chat_template.jinja", "chat_template.json",
})
CONFIG_FILES = frozenset({"config.json", "generation_config.json", "preprocessor_config.json",
                          "processor_config.json", "feature_extractor_config.json"})
GROUPS = ("weights", "tokenizer", "config")
_CHUNK = 1 << 20
_LOCK = threading.Lock()
_MEMORY: dict[str, list[Any]] = {}  # path -> [size, mtime_ns, sha256], this process's view of the cache file
_LOADED: set[Path] = set()


def cache_file() -> Path:
    """``$PIPEPROBE_CACHE/fingerprints.json``, else ``$XDG_CACHE_HOME/pipeprobe/...``, else ``~/.cache/...``."""
    base = os.environ.get("PIPEPROBE_CACHE")
    root = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pipeprobe"
    return root / "fingerprints.json"


def _read_cache(path: Path) -> dict[str, list[Any]]:
    """The cache file's entries; {} when it is absent or not strict JSON (then every file is hashed again)."""
    try:
        data = strict_json.read(path)
    except strict_json.StrictJSONError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, list) and len(value) == 3}


def _write_cache(path: Path, entries: dict[str, list[Any]]) -> None:
    """Merge ``entries`` into the cache file atomically (a lost race costs a re-hash, never a wrong digest)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        merged = {**_read_cache(path), **entries}
        atomic.write(path, strict_json.dumps(merged, indent=None))
    except OSError:  # a read-only home: fingerprints still work, the next run hashes again
        return


def file_digest(path: Path) -> str:
    """The sha256 of ``path``, from the cache when its size and mtime are unchanged."""
    path = Path(path).resolve()
    stat = path.stat()
    key = str(path)
    cache = cache_file()
    with _LOCK:
        if cache not in _LOADED:
            _MEMORY.update(_read_cache(cache))
            _LOADED.add(cache)
        known = _MEMORY.get(key)
    if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
        return str(known[2])
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    entry = [stat.st_size, stat.st_mtime_ns, digest.hexdigest()]
    with _LOCK:
        _MEMORY[key] = entry
    _write_cache(cache, {key: entry})
    return str(entry[2])


def group_of(name: str) -> str | None:
    """Which group a model folder's file belongs to: weights, tokenizer, config, or None (not fingerprinted)."""
    if name in TOKENIZER_FILES:
        return "tokenizer"
    if name in CONFIG_FILES:
        return "config"
    if name.endswith(WEIGHT_SUFFIXES) and not name.startswith("training_args"):
        return "weights"
    return None


def folder_fingerprint(folder: Path, gguf_file: str | None = None) -> dict[str, str]:
    """``{"weights": sha256, "tokenizer": ..., "config": ...}`` of a model folder's top-level files.

    A group's digest hashes its files' names and digests, so a renamed, added or removed file
    counts too. A GGUF file holds its tokenizer and config: all three are its digest.
    """
    folder = Path(folder)
    if gguf_file:
        digest = file_digest(folder / gguf_file)
        return dict.fromkeys(GROUPS, digest)
    parts: dict[str, list[str]] = {group: [] for group in GROUPS}
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        group = group_of(path.name)
        if group and path.is_file():
            parts[group].append(f"{path.name}\0{file_digest(path)}")
    return {group: _join(items) for group, items in parts.items() if items}


def _join(items: list[str]) -> str:
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def loaded_fingerprint(loaded: Any) -> dict[str, str]:
    """What the loaded object itself tells: its chat template's digest and the attention implementation."""
    found: dict[str, str] = {}
    tokenizer = _part(loaded, ("tokenizer", "processor"))
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates
        template = json.dumps(template, sort_keys=True)
    if isinstance(template, str) and template:
        found["chat_template"] = text_digest(template)
    model = _part(loaded, ("model",))
    config = getattr(model, "config", None)
    attention = getattr(config, "_attn_implementation", None) if config is not None else None
    if attention:
        found["attn_implementation"] = str(attention)
    return found


def _part(loaded: Any, names: tuple[str, ...]) -> Any:
    """``loaded.<name>`` (or ``loaded[name]``) for the first name present, else ``loaded`` itself."""
    for name in names:
        value = loaded.get(name) if isinstance(loaded, dict) else getattr(loaded, name, None)
        if value is not None:
            return value
    return loaded


def fingerprint(folder: Path | None, loaded: Any = None, gguf_file: str | None = None) -> dict[str, str]:
    """The whole fingerprint of one model load (files of ``folder`` when it is local, plus the loaded object).

    ``PIPEPROBE_FINGERPRINTS=0`` turns it off (for measuring its cost; drift then can't name the model's files).
    """
    found: dict[str, str] = {}
    if os.environ.get("PIPEPROBE_FINGERPRINTS", "1").strip() == "0":
        return found
    if folder is not None and Path(folder).is_dir():
        try:
            found.update(folder_fingerprint(Path(folder), gguf_file))
        except OSError:  # a file vanished or can't be read: no fingerprint rather than a failed load
            pass
    if loaded is not None:
        found.update(loaded_fingerprint(loaded))
    return found
