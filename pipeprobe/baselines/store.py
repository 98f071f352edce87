"""The baseline store: the one place that places, reads, validates, locks and writes baseline files.

Layout: ``<snapshot root>/<suite>/<model slug>@<revision>/<probe id>.json``. Every reader (the
run, ``check``, ``calibrate``, ``baselines``, the drift report) calls ``read``; every writer (the
snapshot extension under ``--snapshot-update``, ``calibrate``) calls ``write`` or ``update``.

- Reading is strict JSON (``pipeprobe.strict_json``) checked against the declared schema
  (``probes.schema.Baseline``) and the baseline's own tolerance rule: anything else is a
  BaselineError, one line.
- Paths are confined to the snapshot folder, symlinks resolved.
- A write takes the baseline's lock (``filelock``), reads the file as it is now, merges
  (per-target entries: ``targets.merged``) and writes through ``pipeprobe.atomic`` (a temporary
  file beside it, synced, renamed over; an existing file keeps its mode): two processes updating
  different targets of one file both keep their update, and an interrupted write leaves the old
  file or the new one.
- Temporary files a killed writer left (``atomic.temporaries``) are swept only while their
  baseline's lock is free.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pipeprobe import atomic, strict_json
from pipeprobe.baselines import targets
from pipeprobe.baselines.compare import own_tolerance

# A baseline record that stands for a corrupt file: ``{CORRUPT_FIELD: why}`` (drift status "corrupt baseline").
CORRUPT_FIELD = "corrupt"
LOCK_TIMEOUT_S = 120.0


class BaselineError(ValueError):
    """Why a file is not a usable baseline; one line."""


class SnapshotPathError(ValueError):
    """A baseline path that would leave the snapshot folder; the message is one line."""


# Reading ---------------------------------------------------------------------------------------------------------
def parse(text: str) -> dict[str, Any]:
    """A baseline file's content, validated; BaselineError saying why it is not one."""
    try:
        return _validated(strict_json.loads(text))
    except strict_json.StrictJSONError as error:
        raise BaselineError(str(error)) from None


def read(path: Path) -> dict[str, Any] | None:
    """The baseline at ``path``; None when there is none; BaselineError when the file is not one."""
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_dir():
        raise BaselineError("a folder stands where the baseline file belongs")
    try:
        data = strict_json.read(path)
    except strict_json.StrictJSONError as error:
        raise BaselineError(str(error)) from None
    return _validated(data)


def _validated(data: Any) -> dict[str, Any]:
    """``parse`` for a value already read as strict JSON."""
    from pipeprobe.language.schema import Baseline, SchemaError, validate

    if not isinstance(data, dict) or "output" not in data:
        raise BaselineError("not a pipeprobe baseline (no 'output' field)")
    try:
        validate(Baseline, data, Path("baseline"), "a baseline")
    except SchemaError as error:
        raise BaselineError("; ".join(line.removeprefix("baseline: ") for line in error.lines)) from None
    if "tolerance" in data:
        try:
            own_tolerance(data["tolerance"])
        except ValueError as error:
            raise BaselineError(str(error)) from None
    return data


def read_or_corrupt(path: Path) -> dict[str, Any] | None:
    """``read``, with a corrupt file as ``{CORRUPT_FIELD: why}`` (what a run compares and reports)."""
    try:
        return read(path)
    except BaselineError as error:
        return {CORRUPT_FIELD: str(error)}


def each(root: Path, suite: str | None = None) -> Iterator[tuple[Path, dict[str, Any] | BaselineError]]:
    """Every baseline file under ``root`` (one suite's with ``suite``), with its content or its fault."""
    if not root.is_dir():
        return
    for path in sorted(root.glob("*/*/*.json")):
        if suite and path.parts[-3] != suite:
            continue
        try:
            yield path, read(path) or {}
        except BaselineError as error:
            yield path, error


# Places ----------------------------------------------------------------------------------------------------------
def location(root: Path, suite: str, model_slug: str, probe_id: str) -> Path:
    """Where one probe's baseline lives; SnapshotPathError when, resolved, it leaves ``root``."""
    path = root / suite / model_slug / f"{probe_id}.json"
    confine(path, root, f"baseline of probe {suite}/{probe_id}")
    return path


def confine(path: Path, root: Path, what: str) -> Path:
    """``path`` resolved, or SnapshotPathError when it (or a symlink on its way) leads out of ``root``."""
    inside = Path(os.path.normpath(path.absolute())).is_relative_to(Path(os.path.normpath(root.absolute())))
    resolved = path.resolve()
    if not inside or not resolved.is_relative_to(root.resolve()):
        raise SnapshotPathError(
            f"{what}: path {path} leads to {resolved}, outside the snapshot folder {root}; "
            "probe ids and suite names must be plain names, and snapshot folders must not link out of it"
        )
    return resolved


def unusable(path: Path) -> str | None:
    """Why a baseline can't be written at ``path`` (a folder stands there), or None."""
    if path.is_dir():
        return f"baseline {path} is a folder, not a file: remove it to record the baseline"
    return None


# Writing ---------------------------------------------------------------------------------------------------------
def lock_for(path: Path) -> FileLock:
    """The lock of one baseline file. It lives in the system's temporary folder, keyed by the file's
    absolute path, so the project gains no lock files and every process on this machine shares it."""
    folder = Path(tempfile.gettempdir()) / "pipeprobe-locks"
    folder.mkdir(mode=0o777, exist_ok=True)
    digest = hashlib.sha256(str(path.absolute()).encode()).hexdigest()[:32]
    return FileLock(folder / f"{digest}.lock", timeout=LOCK_TIMEOUT_S)


def write(path: Path, record: dict[str, Any], run_keys: list[str], root: Path | None = None) -> None:
    """Record ``record`` (a probe's run) at ``path``: under the lock, merged with what the file holds now
    (``targets.merged``: the reference, or only this target's entry), written atomically."""
    if strict_json_fault := _non_finite(record):
        raise BaselineError(strict_json_fault)

    def merge(existing: dict[str, Any] | None) -> dict[str, Any]:
        return targets.merged(existing, record, run_keys) if run_keys else record

    update(path, merge, root=root, corrupt_ok=True)


def update(path: Path, change: Callable[[dict[str, Any] | None], dict[str, Any] | None], *,
           root: Path | None = None, corrupt_ok: bool = False) -> bool:
    """Read-change-write one baseline under its lock. ``change`` gets the file's content (None when absent;
    also when corrupt, with ``corrupt_ok``) and returns what to write, or None to leave it. True if written."""
    if root is not None:
        confine(path, root, "baseline")
    if (problem := unusable(path)) is not None:
        raise IsADirectoryError(problem)
    path.parent.mkdir(parents=True, exist_ok=True)
    if root is not None:
        confine(path, root, "baseline")
    with lock_for(path):
        try:
            existing = read(path)
        except BaselineError:
            if not corrupt_ok:
                raise
            existing = None
        new = change(existing)
        if new is None:
            return False
        _remove_temporaries(path)
        atomic.write(path, serialize(new))  # an existing baseline keeps its mode; a new one gets the umask's
    return True


def serialize(record: dict[str, Any]) -> str:
    """A baseline file's text."""
    return strict_json.dumps(record)


def _non_finite(record: dict[str, Any]) -> str | None:
    where = strict_json.non_finite_path(record.get("output"))
    return None if where is None else f"the output holds NaN or Infinity at {where}; never written"


# Sweeping --------------------------------------------------------------------------------------------------------
def _remove_temporaries(path: Path) -> None:
    """Temporary files beside ``path`` (the caller holds its lock, so no writer is in flight)."""
    for temporary in atomic.temporaries(path.parent, path.name):
        temporary.unlink(missing_ok=True)


def sweep(root: Path) -> list[Path]:
    """Temporary files killed writers left under ``root``, removed where their baseline's lock is free
    (a writer holding it is still in flight: its file is left alone)."""
    if not root.is_dir():
        return []
    removed: list[Path] = []
    for folder in [root, *root.rglob("*")]:
        if not folder.is_dir() or folder.is_symlink():
            continue
        for temporary in atomic.temporaries(folder):
            try:
                with lock_for(atomic.target_of(temporary)).acquire(timeout=0):
                    temporary.unlink(missing_ok=True)
                    removed.append(temporary)
            except Timeout:
                continue
    return removed
