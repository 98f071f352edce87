"""The syrupy extension: syrupy keeps its ``--snapshot-update`` flow and its report; pipeprobe keeps the rest.

One JSON file per probe (``store.location``). syrupy's comparator seam (``matches``) returns the
probe's BaselineVerdict, judged once when the probe ran (``baselines.verdict.judge``, on the probe's record);
a write goes through the baseline store (lock, merge per target, atomic rename). No snapshot is ever
discovered as unused, so updating a subset of suites never deletes another suite's baselines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from syrupy.data import SnapshotCollections
from syrupy.extensions.json import JSONSnapshotExtension

from pipeprobe import strict_json
from pipeprobe.baselines import store
from pipeprobe.baselines.statuses import CORRUPT, NEW
from pipeprobe.baselines.verdict import CORRUPT_PREFIX, BaselineVerdict


class NonFiniteOutput(ValueError):
    """An output holding NaN or Infinity: strict JSON can't hold it, so it is never written."""


class ProbeSnapshotExtension(JSONSnapshotExtension):
    """Base class; ``for_probe`` makes a subclass bound to one probe's baseline file and verdict."""

    location: ClassVar[Path] = Path("snapshots/probe.json")
    root: ClassVar[Path | None] = None
    run_keys: ClassVar[tuple[str, ...]] = ()  # this run's target keys (baselines.targets.keys_for)
    update: ClassVar[bool] = False  # --snapshot-update: a target without its own entry records one
    verdict_of: ClassVar[Callable[[], BaselineVerdict | None]] = staticmethod(lambda: None)

    @classmethod
    def for_probe(cls, *, location: Path, root: Path | None, run_keys: list[str], update: bool,
                  verdict_of: Callable[[], BaselineVerdict | None]) -> type:
        """``location``: the probe's baseline file; ``root``: the folder it must stay in; ``verdict_of``:
        the probe's verdict, read when the assertion runs (the probe's output fixture judged it)."""
        attributes = {"location": location, "root": root, "run_keys": tuple(run_keys), "update": update,
                      "verdict_of": staticmethod(verdict_of)}
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

    # Serialisation, reading and writing ----------------------------------------------------
    def serialize(self, data: Any, **_: Any) -> str:
        """Compact JSON: syrupy only hands it back to ``write_snapshot_collection`` (the store formats files)."""
        if (place := strict_json.non_finite_path(data, "")) is not None:
            where = data.get("suite", "?") + "/" + data.get("probe", "?") if isinstance(data, dict) else "a probe"
            raise NonFiniteOutput(
                f"the output of {where} holds NaN or Infinity at {place}: a fault of the model's output, "
                "not written (baselines are strict JSON)"
            )
        return json.dumps(data, ensure_ascii=False, allow_nan=False)

    def read_snapshot_data_from_location(self, *, snapshot_location: str, snapshot_name: str, session_id: str) -> Any:
        """Whether a file is there (syrupy needs it to tell "no snapshot"); its content is the store's to read."""
        return "" if Path(snapshot_location).exists() else None

    @classmethod
    def write_snapshot_collection(cls, *, snapshot_collection: Any, name_order: Any = None) -> None:
        """Record this run through the store: under the baseline's lock, merged, atomically renamed."""
        record = json.loads(next(iter(snapshot_collection)).data)
        store.write(Path(snapshot_collection.location), record, list(cls.run_keys), root=cls.root)

    # Comparison and report ------------------------------------------------------------
    def matches(self, *, serialized_data: Any, snapshot_data: Any) -> bool:
        """The probe's verdict, computed once; an update also records a target that has no entry of its own."""
        verdict = self.verdict_of()
        if verdict is None or not verdict.holds:
            return False
        return not (self.update and not verdict.own_target)

    def diff_lines(self, serialized_data: Any, snapshot_data: Any) -> Iterator[str]:
        """The verdict in words: a missing or corrupt file named, else what moved beyond which tolerance."""
        verdict = self.verdict_of()
        if verdict is None:
            yield "this probe was not judged (no record of its run)"
            return
        if verdict.baseline_status == NEW:
            yield f"no baseline file {self.location}: run with --snapshot-update to record one"
            return
        if verdict.baseline_status == CORRUPT:
            why = verdict.differences[0].removeprefix(CORRUPT_PREFIX) if verdict.differences else "?"
            yield f"baseline file {self.location} is corrupt: {why}"
            yield "run with --snapshot-update to record a new baseline"
            return
        yield verdict.baseline_status + (f", compared with {verdict.compared_with}" if verdict.compared_with else "")
        yield from (f"  {difference}" for difference in verdict.differences)
