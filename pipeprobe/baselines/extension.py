"""A syrupy extension: one JSON file per probe, with provenance, compared within tolerance.

Layout: ``<snapshot root>/<suite>/<model slug>@<revision>/<probe id>.json``. Only the
``input`` and ``output`` fields are compared (``compare.py``); provenance says where
the baseline came from, and the tolerance tier is this run's (device, dtype), never the
baseline's. Writes are atomic, strict JSON (no NaN/Infinity), confined to the snapshot
folder (symlinks resolved), with the umask's file mode; no snapshot is ever discovered as
unused, so updating a subset of suites never deletes another suite's baselines.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from syrupy.data import SnapshotCollections
from syrupy.extensions.json import JSONSnapshotExtension

from pipeprobe.baselines import targets
from pipeprobe.baselines.compare import Tolerance, differences, own_tolerance, tier_for, tolerance_between

COMPARED_FIELDS = ("input", "output")
# What read_snapshot_data_from_location returns for a file it cannot read as UTF-8 text.
_UNREADABLE = "\0pipeprobe-unreadable: "


# A baseline record that stands for a corrupt file: ``{CORRUPT_FIELD: why}`` (drift status "corrupt baseline").
CORRUPT_FIELD = "corrupt"


class SnapshotPathError(ValueError):
    """A baseline path that would leave the snapshot folder; the message is one line."""


class NonFiniteOutput(ValueError):
    """An output holding NaN or Infinity: strict JSON can't hold it, so it is never written."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"holds {name}, which strict JSON does not allow")


def parse_snapshot(text: str) -> dict[str, Any]:
    """A baseline file's content, or ValueError saying why it is not one (a corrupt baseline)."""
    if text.startswith(_UNREADABLE):
        raise ValueError(text.removeprefix(_UNREADABLE))
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error})") from None
    if not isinstance(data, dict) or "output" not in data:
        raise ValueError("not a pipeprobe baseline (no 'output' field)")
    if "tolerance" in data:
        own_tolerance(data["tolerance"])
    return data


def read_baseline_record(path: Path) -> dict[str, Any] | None:
    """A baseline file's record; None when there is none; ``{CORRUPT_FIELD: why}`` when it is not one."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as error:
        return {CORRUPT_FIELD: f"not UTF-8 text (byte {error.start})"}
    except OSError as error:
        return {CORRUPT_FIELD: f"cannot read it ({error.strerror or error})"}
    try:
        return parse_snapshot(text)
    except ValueError as error:
        return {CORRUPT_FIELD: str(error)}


def snapshot_root(config: Any) -> Path:
    """The baselines folder of a pytest run (``[tool.pipeprobe] snapshots``, from the rootdir)."""
    from pipeprobe.config import for_pytest

    return for_pytest(config).snapshots


def baseline_location(root: Path, suite: str, model_slug: str, probe_id: str) -> Path:
    """Where one probe's baseline lives: ``<root>/<suite>/<model slug>@<revision>/<probe id>.json``.

    SnapshotPathError when the path, resolved (``..``, absolute parts, symlinks), leaves ``root``.
    """
    location = root / suite / model_slug / f"{probe_id}.json"
    confine(location, root, f"baseline of probe {suite}/{probe_id}")
    return location


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


def non_finite_path(value: Any, path: str = "output") -> str | None:
    """Where ``value`` holds a NaN or an infinity (``output.scores[2]``), or None: strict JSON holds neither."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, dict):
        items = ((f"{path}.{key}", item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    return next((found for sub, item in items if (found := non_finite_path(item, sub)) is not None), None)


def unusable_baseline(location: Path) -> str | None:
    """Why a baseline can't be written at ``location`` (a folder stands there), or None."""
    if location.is_dir():
        return f"baseline {location} is a folder, not a file: remove it to record the baseline"
    return None


def check_baseline_paths(root: Path, probes: dict[str, list[Any]], registry: dict[str, Any]) -> None:
    """Every probe's baseline path stays in ``root`` (SnapshotPathError otherwise), checked before any test runs."""
    for suite in probes.values():
        for probe in suite:
            spec = registry.get(probe.model)
            if spec is not None:
                baseline_location(root, probe.suite, spec.slug, probe.id)


def prepare_session(config: Any, probes: dict[str, list[Any]], registry: dict[str, Any]) -> None:
    """At start-up: every baseline path confined (SnapshotPathError), and an update (not an xdist
    worker's: the controller does it once) first removes temporary files an earlier killed update left."""
    root = snapshot_root(config)
    check_baseline_paths(root, probes, registry)
    if getattr(config.option, "update_snapshots", False) and not hasattr(config, "workerinput"):
        sweep_stale_temporaries(root)


def write_atomically(target: Path, text: str, mode: int) -> None:
    """Write ``text`` to a temporary file beside ``target``, sync it, then rename it over ``target``.

    An interrupted write leaves the old file or the new one, never half of one (a SIGKILL at the
    wrong moment may leave the temporary file, which the next update removes).
    """
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process umask (read without changing it where /proc allows)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: Path, name: str = "*") -> list[Path]:
    """Temporary files an interrupted write left beside baseline ``name`` (every one: ``*``), removed."""
    removed = []
    for path in folder.glob(f".{name}.*.tmp"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def sweep_stale_temporaries(root: Path) -> list[Path]:
    """Every temporary file an earlier, killed update left under the snapshot folder, removed."""
    if not root.is_dir():
        return []
    return [path for folder in [root, *root.rglob("*")] if folder.is_dir() and not folder.is_symlink()
            for path in remove_stale_temporaries(folder)]


class ProbeSnapshotExtension(JSONSnapshotExtension):
    """Base class; ``for_probe`` makes a subclass bound to one probe's location and tolerance."""

    location: ClassVar[Path] = Path("snapshots/probe.json")
    root: ClassVar[Path | None] = None
    tolerance: ClassVar[Tolerance] = tier_for("cpu", "float32")
    # per-target baselines (pipeprobe.baselines.targets.bind): this run's target keys; record its own entry on update
    target_keys: ClassVar[tuple[str, ...]] = ()
    record_target: ClassVar[bool] = False

    @classmethod
    def for_probe(cls, *, location: Path, tolerance: Tolerance, root: Path | None = None) -> type:
        """``location``: the probe's baseline file (``baseline_location``); ``root``: the folder it must stay in."""
        attributes = {"location": location, "tolerance": tolerance, "root": root}
        return type("BoundProbeSnapshotExtension", (cls,), attributes)

    # Location -------------------------------------------------------------------------
    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        return str(cls.location.parent)

    @classmethod
    def discovery_dirname(cls, *, test_location: Any) -> str:
        return cls.dirname(test_location=test_location)

    @classmethod
    def get_snapshot_name(cls, *, test_location: Any, index: Any = 0) -> str:
        return cls.location.stem

    @classmethod
    def get_file_basename(cls, *, test_location: Any, index: Any) -> str:
        return cls.location.stem

    @classmethod
    def matches_test_location(cls, *, test_location: Any, snapshot_location: str) -> bool:
        return True

    def discover_snapshots(self, *, test_location: Any, ignore_extensions: Any = None) -> SnapshotCollections:
        """Report nothing as unused: baselines are only ever replaced, never pruned."""
        return SnapshotCollections()

    # Serialisation and writing --------------------------------------------------------
    def serialize(self, data: Any, **_: Any) -> str:
        try:
            return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        except ValueError:
            where = data.get("suite", "?") + "/" + data.get("probe", "?") if isinstance(data, dict) else "a probe"
            raise NonFiniteOutput(
                f"the output of {where} holds NaN or Infinity: a fault of the model's output, "
                "not written (baselines are strict JSON)"
            ) from None

    def read_snapshot_data_from_location(self, *, snapshot_location: str, snapshot_name: str, session_id: str) -> Any:
        """The file's text; a file that is not UTF-8 text (or is a folder) reads as a corrupt baseline, not a crash."""
        try:
            return Path(snapshot_location).read_bytes().decode("utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError as error:
            return f"{_UNREADABLE}not UTF-8 text (byte {error.start})"
        except OSError as error:
            return f"{_UNREADABLE}cannot read it ({error.strerror or error})"

    @classmethod
    def write_snapshot_collection(cls, *, snapshot_collection: Any, name_order: Any = None) -> None:
        """Write to a temporary file beside the target, then rename it over: atomic.

        The target must stay in the snapshot folder once resolved; the file gets the umask's
        mode (mkstemp's is 0600); temporary files a killed earlier write left are removed.
        """
        target = Path(snapshot_collection.location)
        data = next(iter(snapshot_collection)).data
        if cls.root is not None:
            confine(target, cls.root, "baseline")
        if target.is_dir() and not target.is_symlink():
            raise IsADirectoryError(f"baseline {target} is a folder, not a file: remove it to record the baseline")
        target.parent.mkdir(parents=True, exist_ok=True)
        if cls.root is not None:
            confine(target, cls.root, "baseline")
        remove_stale_temporaries(target.parent, target.name)
        if cls.target_keys:  # per-target baselines: write only this target's entry (pipeprobe.baselines.targets)
            existing = target.read_text(encoding="utf-8") if target.is_file() else None
            data = targets.merged_for_write(existing, data, list(cls.target_keys))
        write_atomically(target, data, 0o666 & ~current_umask())

    # Comparison and report ------------------------------------------------------------
    def matches(self, *, serialized_data: Any, snapshot_data: Any) -> bool:
        try:
            baseline = parse_snapshot(str(snapshot_data))
        except ValueError:
            return False
        current = json.loads(str(serialized_data))
        baseline, tolerance = self._compared_with(baseline)
        if baseline is None:  # an update on a target without its own entry: record it
            return False
        return not any(
            differences(baseline.get(name), current.get(name), tolerance) for name in COMPARED_FIELDS
        )

    def _compared_with(self, baseline: dict[str, Any]) -> tuple[dict[str, Any] | None, Tolerance]:
        """The recorded values this run compares with and their tolerance (``pipeprobe.baselines.targets``)."""
        if not self.target_keys:
            return baseline, tolerance_between(self.tolerance, baseline)
        selection = targets.select(baseline, list(self.target_keys), self.tolerance, tolerance_between)
        if self.record_target and not selection.own:
            return None, selection.tolerance
        return selection.record, selection.tolerance

    def diff_lines(self, serialized_data: Any, snapshot_data: Any) -> Iterator[str]:
        current = json.loads(str(serialized_data))
        yield f"probe {current.get('suite')}/{current.get('probe')} on {current.get('model')}@{current.get('revision')}"
        location = self.get_location(test_location=None, index=0)
        if not snapshot_data and not Path(location).exists():
            yield f"  no baseline file {location}: run with --snapshot-update to record one"
            return
        try:
            baseline = parse_snapshot(str(snapshot_data))
        except ValueError as error:
            yield f"  baseline file {location} is corrupt: {error}"
            yield "  run with --snapshot-update to record a new baseline"
            return
        if self.target_keys:  # per-target baselines: say which recorded values this run is compared with
            selection = targets.select(baseline, list(self.target_keys), self.tolerance, tolerance_between)
            yield f"  compared with {selection.describe()}"
        compared, tolerance = self._compared_with(baseline)
        baseline = compared or baseline
        provenance = baseline.get("provenance") or {}
        yield "  baseline from " + ", ".join(f"{key}={value}" for key, value in provenance.items())
        yield f"  baseline: {json.dumps(baseline.get('output'), ensure_ascii=False)}"
        yield f"  output:   {json.dumps(current.get('output'), ensure_ascii=False)}"
        for name in COMPARED_FIELDS:
            for difference in differences(baseline.get(name), current.get(name), tolerance):
                yield f"  {name}.{difference.describe(tolerance)}"
