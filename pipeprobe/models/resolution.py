"""Where a model comes from: one ordered list of sources (model map -> HF cache -> hub).

Loading (``resolve_and_load``) and ``pipeprobe models list`` (``locate``) walk the same
``candidates``, so the two can't disagree on the order or on why a source can't serve.
"""

from __future__ import annotations

import functools
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeprobe.devices import Target
from pipeprobe.models.lock import is_full_commit
from pipeprobe.models.model_map import ModelMap
from pipeprobe.models.registry import ModelSpec

HOW_TO_SUPPLY = (
    "supply it with --model-map/PIPEPROBE_MODEL_MAP (TOML: [models] \"<id>\" = \"<folder>\") "
    "or run `pipeprobe models fetch` on a machine that reaches the Hugging Face Hub"
)
# Tasks that need a model's tokenizer alone: a tokenizer-only model map entry serves them.
TOKENIZER_TASKS = frozenset({"tokenizer"})
# A tokenizer-only map entry asked for a model: not a broken mapping, the model is simply not supplied.
TOKENIZER_ONLY_PROBLEM = "the model map supplies only its tokenizer"

Loader = Callable[[str, str | None, Target, bool, str | None], Any]


class ModelUnavailable(RuntimeError):
    """A model that could not be had from any source; the message says why and what to do.

    ``model``: the model@revision key; ``reason``: why each source failed (without the advice).
    """

    def __init__(self, message: str, model: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.model = model
        self.reason = reason


class MappedModelBroken(ModelUnavailable):
    """A model the user mapped explicitly that is there but does not load: an error, never a skip."""


@dataclass
class ModelLoad:
    """What happened when a model was asked for: where it came from, or why it couldn't."""

    spec: ModelSpec
    target: Target
    task: str = ""
    source: str = ""
    seconds: float = 0.0
    error: str | None = None
    commit: str | None = None  # the commit that loaded, when known (lock file, full pin, or HF cache)
    # digests of what loaded (weights, tokenizer, config, chat template, attention): models.fingerprints
    fingerprint: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        where = f"{self.target.device}/{self.target.dtype} ({self.task})"
        if self.error:
            return f"{self.spec.key} on {where}: unavailable: {self.error}"
        at = f" (commit {self.commit[:12]})" if self.commit and self.commit != self.spec.revision else ""
        return f"{self.spec.key}{at} on {where}: loaded from {self.source} in {self.seconds:.2f} s"


@dataclass(frozen=True)
class Candidate:
    """One source a model may come from, in resolution order.

    ``problem``: why it can't serve, known without loading (None: worth a try).
    ``present``: whether a look without loading finds it (None: only loading tells).
    """

    source: str  # "model map", "HF cache" or "hub"
    location: str  # a local folder, or the hub id
    revision: str | None
    local_only: bool
    gguf_file: str | None
    detail: str
    problem: str | None = None
    present: bool | None = None


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


def loaded_commit(spec: ModelSpec) -> str | None:
    """The full commit ``spec`` loaded from the HF cache or hub: locked, pinned in full, or found in the cache."""
    if is_full_commit(spec.load_revision):
        return spec.load_revision
    snapshot = cached_snapshot(spec)
    return snapshot.name if snapshot is not None and is_full_commit(snapshot.name) else None


def candidates(spec: ModelSpec, model_map: ModelMap, task: str = "") -> Iterator[Candidate]:
    """The sources of ``spec`` in the order they are tried (lazily: the hub is looked at last).

    ``task``: the asker's task; a tokenizer-only map entry serves only TOKENIZER_TASKS.
    """
    entry = model_map.entries.get(spec.id)
    if entry is None:
        problem = "not in the model map" if model_map.source else "no model map given"
        yield Candidate("model map", "", None, True, None, "", problem=problem)
    else:
        problem = None
        if not entry.path.is_dir():
            what = "a file, not a folder" if entry.path.exists() else "missing folder"
            problem = f"model map {model_map.source} points to {what} {entry.path}"
        elif entry.gguf_file and not (entry.path / entry.gguf_file).is_file():
            problem = f"model map: {entry.gguf_file} missing in {entry.path}"
        elif entry.tokenizer_only and task not in TOKENIZER_TASKS:
            problem = (f"{TOKENIZER_ONLY_PROBLEM} ({entry.path}), "
                       f"and {task or 'this task'} needs the model")
        shown = f"{entry.path}/{entry.gguf_file}" if entry.gguf_file else str(entry.path)
        yield Candidate("model map", str(entry.path), None, True, entry.gguf_file,
                        shown + (" (tokenizer only)" if entry.tokenizer_only else ""),
                        problem=problem, present=problem is None)
    snapshot = cached_snapshot(spec)
    yield Candidate("HF cache", spec.id, spec.load_revision, True, spec.gguf_file,
                    str(snapshot) if snapshot else "", present=snapshot is not None)
    if hub_offline():
        problem = "hub not tried (HF_HUB_OFFLINE is set)"
    else:
        unreachable = hub_unreachable_reason()
        problem = f"hub not tried: {unreachable}" if unreachable else None
    yield Candidate("hub", spec.id, spec.load_revision, False, spec.gguf_file,
                    "reachable; loads will download it (or run `pipeprobe models fetch`)", problem=problem)


def resolve_and_load(
    spec: ModelSpec, target: Target, model_map: ModelMap, loader: Loader, task: str = ""
) -> tuple[Any, ModelLoad]:
    """Load ``spec`` from the first of its ``candidates`` that loads.

    The HF cache and the hub are asked for ``spec.load_revision`` (the locked commit, if any).
    Raises ModelUnavailable naming every source tried and why each failed.
    """
    record = ModelLoad(spec=spec, target=target, task=task)
    reasons: list[str] = []
    started = time.perf_counter()
    for candidate in candidates(spec, model_map, task):
        if candidate.problem:
            mapped_broken = candidate.source == "model map" and candidate.location
            if mapped_broken and not candidate.problem.startswith(TOKENIZER_ONLY_PROBLEM):  # the user mapped it
                raise MappedModelBroken(f"model {spec.key}: {candidate.problem}", model=spec.key,
                                        reason=candidate.problem)
            reasons.append(candidate.problem)
            continue
        try:
            loaded = loader(candidate.location, candidate.revision, target, candidate.local_only, candidate.gguf_file)
        except Exception as error:  # noqa: BLE001 - any load failure is reported, not raised
            if candidate.source == "model map":  # the user mapped it: a broken folder is an error, not a skip
                reason = f"model map folder {candidate.location} did not load: {_brief(error, limit=600)}"
                raise MappedModelBroken(f"model {spec.key}: {reason}", model=spec.key, reason=reason) from None
            reasons.append(_failure(candidate, error))
            continue
        wrong_labels = label_mismatch(spec, loaded, candidate.location)
        if wrong_labels:
            if candidate.source == "model map":
                raise MappedModelBroken(f"model {spec.key}: {wrong_labels}", model=spec.key, reason=wrong_labels)
            reasons.append(wrong_labels)
            continue
        record.source = f"model map ({candidate.location})" if candidate.source == "model map" else candidate.source
        record.seconds = time.perf_counter() - started
        record.commit = None if candidate.source == "model map" else loaded_commit(spec)
        record.fingerprint = _fingerprint(spec, candidate, loaded)
        return loaded, record
    record.error = "; ".join(reasons)
    raise ModelUnavailable(f"model {spec.key} unavailable: {record.error}; {HOW_TO_SUPPLY}",
                           model=spec.key, reason=record.error)


def _fingerprint(spec: ModelSpec, candidate: Candidate, loaded: Any) -> dict[str, str]:
    """The load's fingerprint: the folder it read (the map's, or the HF cache snapshot) and the loaded object."""
    from pipeprobe.models.fingerprints import fingerprint

    folder = Path(candidate.location) if candidate.source == "model map" else cached_snapshot(spec)
    return fingerprint(folder, loaded, candidate.gguf_file)


def label_mismatch(spec: ModelSpec, loaded: Any, location: str) -> str | None:
    """Why the loaded model's labels are not the set models.yaml pins (``labels``), or None.

    A folder of the right architecture can still hold another head (a model fine-tuned on other
    classes); its probes would then compare labels that mean something else. Loads that carry no
    label map (a tokenizer alone) are not checked.
    """
    if not spec.labels:
        return None
    config = getattr(getattr(loaded, "model", loaded), "config", None)
    id2label = getattr(config, "id2label", None)
    if not isinstance(id2label, dict) or not id2label:
        return None
    from pipeprobe.models.labels import label_difference

    difference = label_difference((str(label) for label in id2label.values()), spec.labels)
    if difference is None:
        return None
    return f"{location}'s labels are not the set models.yaml pins: {difference}; another model's head"


def _failure(candidate: Candidate, error: Exception) -> str:
    if candidate.source == "model map":
        return f"model map folder {candidate.location} did not load: {_brief(error)}"
    if candidate.source == "HF cache":  # transformers says "couldn't connect" even offline
        from huggingface_hub import constants

        return f"not in the local HF cache ({constants.HF_HUB_CACHE})"
    return f"hub unreachable or refused ({_brief(error)})"


def _brief(error: Exception, limit: int = 160) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def locate(spec: ModelSpec, model_map: ModelMap, tokenizer_only_ok: bool = False) -> Location:
    """Where ``resolve_and_load`` would find ``spec``, checked without loading (its same ``candidates``).

    ``tokenizer_only_ok``: the asker needs the tokenizer alone, so a tokenizer-only map entry serves.
    """
    reasons: list[str] = []
    task = next(iter(TOKENIZER_TASKS)) if tokenizer_only_ok else spec.task
    for candidate in candidates(spec, model_map, task):
        if candidate.problem:
            reasons.append(candidate.problem)
        elif candidate.present is False:
            reasons.append("not in the local HF cache")
        else:
            return Location(candidate.source, candidate.detail)
    return Location("unavailable", "; ".join(reasons))
