"""The model map: hub ids -> local folders, read from a TOML file (``--model-map``)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL_MAP_ENV = "PIPEPROBE_MODEL_MAP"


class ModelMapError(ValueError):
    """A model map that can't be read; the message is one line."""


@dataclass(frozen=True)
class MapEntry:
    """A model map entry: a local folder, optionally a GGUF file inside it.

    ``tokenizer_only``: the folder supplies this model's tokenizer and nothing else, so only
    tokenizer probes use it (e.g. bert-base-uncased's vocabulary, which all-MiniLM-L6-v2 carries).
    """

    path: Path
    gguf_file: str | None = None
    tokenizer_only: bool = False


@dataclass(frozen=True)
class ModelMap:
    """Hub id -> local folder, read from a TOML file; relative paths are from the file."""

    source: Path | None = None
    entries: dict[str, MapEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> ModelMap:
        if path is None:
            return cls()
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ModelMapError(f"model map {path}: cannot read it ({error.strerror})") from None
        except UnicodeDecodeError as error:
            raise ModelMapError(f"model map {path}: not UTF-8 text (byte {error.start})") from None
        except tomllib.TOMLDecodeError as error:
            raise ModelMapError(f"model map {path}: not valid TOML ({error})") from None
        models = document.get("models")
        if not isinstance(models, dict):
            raise ModelMapError(f"model map {path}: expected a [models] table")
        entries = {model_id: _map_entry(path, model_id, value) for model_id, value in models.items()}
        return cls(source=path.resolve(), entries=entries)


def _map_entry(path: Path, model_id: str, value: Any) -> MapEntry:
    if isinstance(value, str):
        value = {"path": value}
    if not isinstance(value, dict) or not isinstance(value.get("path"), str):
        raise ModelMapError(
            f"model map {path}: entry {model_id!r} must be a folder path or a table with 'path'"
        )
    unknown = sorted(set(value) - {"path", "gguf_file", "tokenizer_only"})
    if unknown:
        raise ModelMapError(f"model map {path}: entry {model_id!r} has unknown key(s) {', '.join(unknown)}")
    gguf_file, tokenizer_only = value.get("gguf_file"), value.get("tokenizer_only", False)
    if gguf_file is not None and not isinstance(gguf_file, str):
        raise ModelMapError(f"model map {path}: entry {model_id!r}: 'gguf_file' must be a file name")
    from pipeprobe.language.schema import gguf_file_problem  # pydantic loads only where a model map is read

    if gguf_file is not None and (problem := gguf_file_problem(gguf_file)):
        raise ModelMapError(f"model map {path}: entry {model_id!r}: gguf_file: {problem}")
    if not isinstance(tokenizer_only, bool):
        raise ModelMapError(f"model map {path}: entry {model_id!r}: 'tokenizer_only' must be true or false")
    folder = Path(value["path"]).expanduser()
    if not folder.is_absolute():
        folder = path.parent / folder
    return MapEntry(path=folder.resolve(), gguf_file=gguf_file, tokenizer_only=tokenizer_only)


def model_map_path(option: str | None) -> Path | None:
    """The model map named by the option, else by the environment, else none."""
    value = option or os.environ.get(MODEL_MAP_ENV)
    return Path(value) if value else None
