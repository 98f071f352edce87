"""The model lock file (``fixtures/models.lock.yaml``): the commit each loosely pinned model resolved to.

models.yaml pins some models to a branch (``main``) or a short commit (``714eb0f``).
``pipeprobe models fetch`` records the full commit it got for each of them here, and later
runs load that commit, like a package lock. An entry counts only while its ``revision`` is
still what models.yaml pins; otherwise it is stale and ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeprobe import atomic

LOCK_NAME = "models.lock.yaml"
_COMMIT = re.compile(r"[0-9a-f]{40}")
_FIELDS = ("revision", "commit", "fetched")
_HEADER = (
    "# Written by `pipeprobe models fetch`: the full commit that each model models.yaml pins to a\n"
    "# branch or a short commit resolved to. Commit this file: runs load these commits. An entry whose\n"
    "# revision no longer matches models.yaml is ignored. Re-resolve: `pipeprobe models fetch --update`.\n"
)


class LockFileError(ValueError):
    """A lock file that can't be read; the message is one line."""


@dataclass(frozen=True)
class LockEntry:
    """One model's lock: the revision models.yaml pinned when it was resolved, and the commit it got."""

    revision: str
    commit: str
    fetched: str  # ISO date the commit was first locked


def is_full_commit(revision: str) -> bool:
    """Whether ``revision`` is a full 40-hex commit (nothing left to lock)."""
    return bool(_COMMIT.fullmatch(revision))


def lock_path_for(models_yaml: Path) -> Path:
    """The lock file beside ``models.yaml``."""
    return models_yaml.with_name(LOCK_NAME)


def read_lock(path: Path) -> dict[str, LockEntry]:
    """The lock's entries by model id ({} when there is no lock file). Raises LockFileError."""
    if not path.exists():
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LockFileError(f"lock file {path}: cannot read it ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise LockFileError(f"lock file {path}: not valid YAML ({' '.join(str(error).split())})") from None
    if document is None:
        return {}
    models = document.get("models") if isinstance(document, dict) and set(document) == {"models"} else []
    models = {} if models is None else models  # "models:" with every entry deleted
    if not isinstance(models, dict):
        raise LockFileError(f"lock file {path}: expected one 'models' mapping: model id -> revision, commit, fetched")
    return {str(model_id): _entry(path, str(model_id), value) for model_id, value in models.items()}


def _entry(path: Path, model_id: str, value: Any) -> LockEntry:
    where = f"lock file {path}: entry {model_id!r}"
    if not isinstance(value, dict):
        raise LockFileError(f"{where} must be a mapping with revision, commit and fetched")
    missing = sorted(set(_FIELDS) - set(value))
    unknown = sorted(str(key) for key in set(value) - set(_FIELDS))
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown key(s) {', '.join(unknown)}"] if unknown else []
        raise LockFileError(f"{where}: {'; '.join(problems)}")
    commit, fetched = value["commit"], value["fetched"]
    if not isinstance(commit, str) or not is_full_commit(commit):
        raise LockFileError(f"{where}: commit {commit!r} is not a full 40-hex commit")
    if isinstance(fetched, dt.date):
        fetched = fetched.isoformat()
    if not isinstance(fetched, str):
        raise LockFileError(f"{where}: fetched {fetched!r} is not an ISO date")
    if value["revision"] is None or isinstance(value["revision"], (dict, list)):
        raise LockFileError(f"{where}: revision {value['revision']!r} is not a revision")
    return LockEntry(revision=str(value["revision"]), commit=commit, fetched=fetched)


def update_lock(path: Path, entries: dict[str, LockEntry]) -> None:
    """Merge ``entries`` into the lock at ``path`` (others kept), sorted, written atomically.

    An entry whose revision and commit are already locked keeps its first ``fetched`` date,
    so refetching leaves the committed file unchanged.
    """
    merged = read_lock(path)
    for model_id, entry in entries.items():
        old = merged.get(model_id)
        if old is not None and (old.revision, old.commit) == (entry.revision, entry.commit):
            continue
        merged[model_id] = entry
    document = {"models": {
        model_id: {"revision": entry.revision, "commit": entry.commit, "fetched": entry.fetched}
        for model_id, entry in sorted(merged.items())
    }}
    text = _HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
    atomic.write(path, text)  # an existing lock keeps its mode; a new one gets the umask's (0644 under 022)


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()
