"""A syrupy extension: one JSON file per probe, with provenance, compared within tolerance.

Layout: ``<snapshot root>/<suite>/<model slug>@<revision>/<probe id>.json``. Only the
``input`` and ``output`` fields are compared (``compare.py``); provenance says where
the baseline came from and picks the tolerance tier together with the current run.
Writes are atomic, and no snapshot is ever discovered as unused, so updating a subset
of suites never deletes another suite's baselines.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from syrupy.data import SnapshotCollections
from syrupy.extensions.json import JSONSnapshotExtension

from pipeprobe.compare import Tolerance, differences, tier_for

COMPARED_FIELDS = ("input", "output")


def parse_snapshot(text: str) -> dict[str, Any]:
    """A baseline file's content, or ValueError saying why it is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error})") from None
    if not isinstance(data, dict) or "output" not in data:
        raise ValueError("not a pipeprobe baseline (no 'output' field)")
    return data


def snapshot_root(config: Any) -> Path:
    """The baselines folder of a pytest run (ini ``pipeprobe_snapshots``, from the rootdir)."""
    return config.rootpath / config.getini("pipeprobe_snapshots")


def baseline_location(root: Path, suite: str, model_slug: str, probe_id: str) -> Path:
    """Where one probe's baseline lives: ``<root>/<suite>/<model slug>@<revision>/<probe id>.json``."""
    return root / suite / model_slug / f"{probe_id}.json"


def tolerance_between(current: Tolerance, baseline: dict[str, Any]) -> Tolerance:
    """Compare two runs with the looser of their two tiers, and of the baseline's own bound.

    A baseline may carry ``tolerance: {abs, rel, why}`` when its values are less precise than
    its tier (the notes printed some logits to 4 decimals); a re-recorded baseline drops it.
    """
    provenance = baseline.get("provenance") or {}
    device, dtype = provenance.get("device"), provenance.get("dtype")
    if device and dtype:
        current = current.loosest(tier_for(str(device), str(dtype)))
    own = baseline.get("tolerance")
    if isinstance(own, dict):
        tier = f"baseline's own: {own['why']}" if own.get("why") else "baseline's own"
        current = current.loosest(Tolerance(abs=float(own.get("abs", 0.0)), rel=float(own.get("rel", 0.0)), tier=tier))
    return current


class ProbeSnapshotExtension(JSONSnapshotExtension):
    """Base class; ``for_probe`` makes a subclass bound to one probe's location and tolerance."""

    location: ClassVar[Path] = Path("snapshots/probe.json")
    tolerance: ClassVar[Tolerance] = tier_for("cpu", "float32")

    @classmethod
    def for_probe(cls, *, location: Path, tolerance: Tolerance) -> type:
        """``location``: the probe's baseline file (``baseline_location``)."""
        attributes = {"location": location, "tolerance": tolerance}
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
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def write_snapshot_collection(cls, *, snapshot_collection: Any, name_order: Any = None) -> None:
        """Write to a temporary file beside the target, then rename it over: atomic."""
        target = Path(snapshot_collection.location)
        data = next(iter(snapshot_collection)).data
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    # Comparison and report ------------------------------------------------------------
    def matches(self, *, serialized_data: Any, snapshot_data: Any) -> bool:
        try:
            baseline = parse_snapshot(str(snapshot_data))
        except ValueError:
            return False
        current = json.loads(str(serialized_data))
        tolerance = tolerance_between(self.tolerance, baseline)
        return not any(
            differences(baseline.get(name), current.get(name), tolerance) for name in COMPARED_FIELDS
        )

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
        tolerance = tolerance_between(self.tolerance, baseline)
        provenance = baseline.get("provenance") or {}
        yield "  baseline from " + ", ".join(f"{key}={value}" for key, value in provenance.items())
        yield f"  baseline: {json.dumps(baseline.get('output'), ensure_ascii=False)}"
        yield f"  output:   {json.dumps(current.get('output'), ensure_ascii=False)}"
        for name in COMPARED_FIELDS:
            for difference in differences(baseline.get(name), current.get(name), tolerance):
                yield f"  {name}.{difference.describe(tolerance)}"
