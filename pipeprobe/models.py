"""Model registry, model map, resolution (map -> HF cache -> hub) and the session cache."""

from __future__ import annotations

import functools
import os
import socket
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from pipeprobe.devices import Target
from pipeprobe.model_lock import LockEntry, is_full_commit, lock_path_for, read_lock

MODEL_MAP_ENV = "PIPEPROBE_MODEL_MAP"
HOW_TO_SUPPLY = (
    "supply it with --model-map/PIPEPROBE_MODEL_MAP (TOML: [models] \"<id>\" = \"<folder>\") "
    "or run `pipeprobe models fetch` on a machine that reaches the Hugging Face Hub"
)


class ModelMapError(ValueError):
    """A model map that can't be read; the message is one line."""


class ModelUnavailable(RuntimeError):
    """A model that could not be had from any source; the message says why and what to do."""


@dataclass(frozen=True)
class ModelSpec:
    """A model the probes need, pinned to a revision, with its lock file entry if any.

    ``revision`` is what models.yaml pins (it names baselines); ``load_revision`` is what
    loads: the locked commit while the lock entry was made for this revision, else the pin.
    """

    id: str
    revision: str
    task: str
    note: str = ""
    gguf_file: str | None = None
    lock: LockEntry | None = None

    @property
    def locked_commit(self) -> str | None:
        """The lock file's commit for this revision; None without an entry, or with a stale one."""
        return self.lock.commit if self.lock is not None and not self.lock_stale else None

    @property
    def lock_stale(self) -> bool:
        """The lock entry was made for another revision than models.yaml now pins (so it is ignored)."""
        return self.lock is not None and self.lock.revision != self.revision

    @property
    def load_revision(self) -> str:
        return self.locked_commit or self.revision

    @property
    def key(self) -> str:
        return f"{self.id}@{self.revision}"

    @property
    def slug(self) -> str:
        """A folder name for this model@revision, safe on every filesystem."""
        return f"{self.id.replace('/', '--')}@{self.revision}"


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


def load_registry(path: Path, lock_path: Path | None = None) -> dict[str, ModelSpec]:
    """The pinned models (``fixtures/models.yaml``), keyed by hub id, with their lock entries.

    ``lock_path``: the lock file (default ``models.lock.yaml`` beside ``path``); a malformed
    one raises LockFileError.
    """
    if not path.exists():
        return {}
    locks = read_lock(lock_path or lock_path_for(path))
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    models = document.get("models") or {}
    return {
        model_id: ModelSpec(
            id=model_id,
            revision=str(entry["revision"]),
            task=str(entry["task"]),
            note=str(entry.get("note", "")),
            gguf_file=entry.get("gguf_file"),
            lock=locks.get(model_id),
        )
        for model_id, entry in models.items()
    }


# Tasks that need a model's tokenizer alone: a tokenizer-only model map entry serves them.
TOKENIZER_TASKS = frozenset({"tokenizer"})

Loader = Callable[[str, str | None, Target, bool, str | None], Any]


@dataclass
class LoadRecord:
    """What happened when a model was asked for: where it came from, or why it couldn't."""

    spec: ModelSpec
    target: Target
    task: str = ""
    source: str = ""
    seconds: float = 0.0
    error: str | None = None
    commit: str | None = None  # the commit that loaded, when known (lock file, full pin, or HF cache)

    def describe(self) -> str:
        where = f"{self.target.device}/{self.target.dtype} ({self.task})"
        if self.error:
            return f"{self.spec.key} on {where}: unavailable: {self.error}"
        at = f" (commit {self.commit[:12]})" if self.commit and self.commit != self.spec.revision else ""
        return f"{self.spec.key}{at} on {where}: loaded from {self.source} in {self.seconds:.2f} s"


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@functools.cache
def hub_unreachable_reason(timeout: float = 3.0) -> str | None:
    """Why the hub can't be reached (checked once per process), or None if it answers.

    huggingface_hub retries a failed connection for ~45 s per file; a DNS lookup and a
    TCP connect tell the same thing at once, so an air-gapped run is not slowed down.
    """
    from huggingface_hub import constants

    endpoint = urlsplit(constants.ENDPOINT)
    host, port = endpoint.hostname or "", endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return f"{constants.ENDPOINT} unreachable ({error.strerror or error})"


def resolve_and_load(
    spec: ModelSpec, target: Target, model_map: ModelMap, loader: Loader, task: str = ""
) -> tuple[Any, LoadRecord]:
    """Load ``spec`` from the model map, else the local HF cache, else the hub.

    The HF cache and the hub are asked for ``spec.load_revision`` (the locked commit, if any).
    Raises ModelUnavailable naming every source tried and why each failed.
    """
    record = LoadRecord(spec=spec, target=target, task=task)
    reasons: list[str] = []
    started = time.perf_counter()
    entry = model_map.entries.get(spec.id)
    if entry is not None and entry.tokenizer_only and task not in TOKENIZER_TASKS:
        reasons.append(
            f"the model map supplies only its tokenizer ({entry.path}), and {task or 'this task'} needs the model"
        )
    elif entry is not None:
        if not entry.path.is_dir():
            reasons.append(f"model map {model_map.source} points to missing folder {entry.path}")
        else:
            try:
                loaded = loader(str(entry.path), None, target, True, entry.gguf_file)
            except Exception as error:  # noqa: BLE001 - any load failure is reported, not raised
                reasons.append(f"model map folder {entry.path} did not load: {_brief(error)}")
            else:
                return loaded, _done(record, f"model map ({entry.path})", started)
    else:
        reasons.append("not in the model map" if model_map.source else "no model map given")
    try:
        loaded = loader(spec.id, spec.load_revision, target, True, spec.gguf_file)
    except Exception:  # noqa: BLE001 - transformers says "couldn't connect" even offline
        from huggingface_hub import constants

        reasons.append(f"not in the local HF cache ({constants.HF_HUB_CACHE})")
    else:
        return loaded, _done(record, "HF cache", started, loaded_commit(spec))
    unreachable = None if hub_offline() else hub_unreachable_reason()
    if hub_offline():
        reasons.append("hub not tried (HF_HUB_OFFLINE is set)")
    elif unreachable:
        reasons.append(f"hub not tried: {unreachable}")
    else:
        try:
            loaded = loader(spec.id, spec.load_revision, target, False, spec.gguf_file)
        except Exception as error:  # noqa: BLE001
            reasons.append(f"hub unreachable or refused ({_brief(error)})")
        else:
            return loaded, _done(record, "hub", started, loaded_commit(spec))
    record.error = "; ".join(reasons)
    raise ModelUnavailable(f"model {spec.key} unavailable: {record.error}; {HOW_TO_SUPPLY}")


def _done(record: LoadRecord, source: str, started: float, commit: str | None = None) -> LoadRecord:
    record.source = source
    record.seconds = time.perf_counter() - started
    record.commit = commit
    return record


def loaded_commit(spec: ModelSpec) -> str | None:
    """The full commit ``spec`` loaded from the HF cache or hub: locked, pinned in full, or found in the cache."""
    if is_full_commit(spec.load_revision):
        return spec.load_revision
    snapshot = cached_snapshot(spec)
    return snapshot.name if snapshot is not None and is_full_commit(snapshot.name) else None


def _brief(error: Exception, limit: int = 160) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class ModelCache:
    """Each (model, revision, device, dtype) is loaded at most once per session."""

    model_map: ModelMap
    loaders: dict[str, Loader]
    records: list[LoadRecord] = field(default_factory=list)
    _loaded: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _failed: dict[tuple[str, ...], ModelUnavailable] = field(default_factory=dict)

    def get(self, spec: ModelSpec, target: Target, task: str) -> Any:
        """The model loaded by ``task``'s adapter (a tokenizer alone, a pipeline, ...)."""
        key = (task, spec.id, spec.revision, target.device, target.dtype)
        if key in self._loaded:
            return self._loaded[key]
        if key in self._failed:
            raise self._failed[key]
        try:
            loaded, record = resolve_and_load(spec, target, self.model_map, self.loaders[task], task)
        except ModelUnavailable as error:
            self._failed[key] = error
            self.records.append(LoadRecord(spec=spec, target=target, task=task, error=str(error)))
            raise
        self._loaded[key] = loaded
        self.records.append(record)
        return loaded

    def record_for(self, spec: ModelSpec, target: Target, task: str) -> LoadRecord | None:
        for record in self.records:
            if record.spec == spec and record.target == target and record.task == task:
                return record
        return None


@dataclass(frozen=True)
class Location:
    """Where a model would load from now (without loading it), or why it can't."""

    source: str  # "model map", "HF cache", "hub" or "unavailable"
    detail: str

    @property
    def available(self) -> bool:
        return self.source != "unavailable"

    def describe(self) -> str:
        return f"{self.source}: {self.detail}" if self.detail else self.source


def cached_snapshot(spec: ModelSpec) -> Path | None:
    """The local HF cache's snapshot of ``spec`` at its load revision (a branch or a commit prefix), if any."""
    from huggingface_hub import constants

    repo = Path(constants.HF_HUB_CACHE) / f"models--{spec.id.replace('/', '--')}"
    ref = repo / "refs" / spec.load_revision
    commit = ref.read_text(encoding="utf-8").strip() if ref.is_file() else spec.load_revision
    snapshots = repo / "snapshots"
    if len(commit) < 7 or not snapshots.is_dir():
        return None
    wanted = [spec.gguf_file] if spec.gguf_file else ["config.json", "tokenizer_config.json"]
    for snapshot in sorted(snapshots.iterdir()):
        if snapshot.name.startswith(commit) and any((snapshot / name).exists() for name in wanted):
            return snapshot
    return None


def locate(spec: ModelSpec, model_map: ModelMap, tokenizer_only_ok: bool = False) -> Location:
    """Where ``resolve_and_load`` would find ``spec`` (map, HF cache, hub), checked without loading.

    ``tokenizer_only_ok``: the asker needs the tokenizer alone, so a tokenizer-only map entry serves.
    """
    reasons: list[str] = []
    entry = model_map.entries.get(spec.id)
    if entry is None:
        reasons.append("not in the model map" if model_map.source else "no model map given")
    elif not entry.path.is_dir():
        reasons.append(f"model map points to missing folder {entry.path}")
    elif entry.gguf_file and not (entry.path / entry.gguf_file).is_file():
        reasons.append(f"model map: {entry.gguf_file} missing in {entry.path}")
    elif entry.tokenizer_only and not tokenizer_only_ok:
        reasons.append(f"model map supplies only its tokenizer ({entry.path})")
    else:
        what = f"{entry.path}/{entry.gguf_file}" if entry.gguf_file else str(entry.path)
        return Location("model map", what + (" (tokenizer only)" if entry.tokenizer_only else ""))
    snapshot = cached_snapshot(spec)
    if snapshot is not None:
        return Location("HF cache", str(snapshot))
    reasons.append("not in the local HF cache")
    if hub_offline():
        reasons.append("hub not tried (HF_HUB_OFFLINE is set)")
    else:
        unreachable = hub_unreachable_reason()
        if unreachable is None:
            return Location("hub", "reachable; loads will download it (or run `pipeprobe models fetch`)")
        reasons.append(unreachable)
    return Location("unavailable", "; ".join(reasons))
