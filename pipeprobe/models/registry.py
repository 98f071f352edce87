"""The pinned models (``fixtures/models.yaml``) with their lock file entries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeprobe.models.lock import LockEntry, lock_path_for, read_lock


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
    labels: tuple[str, ...] | None = None  # the label set its head must have (models.yaml ``labels``)

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
            labels=tuple(str(label) for label in entry["labels"]) if entry.get("labels") else None,
        )
        for model_id, entry in models.items()
    }
