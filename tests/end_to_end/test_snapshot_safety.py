"""Updating baselines is safe: only what ran is rewritten, writes are atomic, xdist agrees with a serial run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from syrupy.data import Snapshot, SnapshotCollection

from pipeprobe.baselines.extension import ProbeSnapshotExtension
from pipeprobe.report import document
from tests import twins
from tests.conftest import PROJECT, run
from tests.perturb import copy_sentiment_project

SLUG = "distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f"
SENTIMENT = Path("snapshots/sentiment") / SLUG
PROBES = 25


@pytest.fixture
def two_suites(pytester: pytest.Pytester) -> pytest.Pytester:
    """The sentiment suite, a copy of it as a second suite (marker beyond_notes, same twin and
    baselines), and every other suite's real baseline files."""
    copy_sentiment_project(pytester.path, PROJECT)
    probes = (PROJECT / "fixtures/sentiment.yaml").read_text(encoding="utf-8")
    probes = probes.replace("suite: sentiment\n", "suite: sentiment_copy\n").replace(
        "marker: sentiment\n", "marker: beyond_notes\n")
    (pytester.path / "fixtures/sentiment_copy.yaml").write_text(probes, encoding="utf-8")
    module = (PROJECT / "suites/test_sentiment.py").read_text(encoding="utf-8")
    (pytester.path / "suites/test_sentiment_copy.py").write_text(
        module.replace('SUITE = "sentiment"', 'SUITE = "sentiment_copy"'), encoding="utf-8")
    shutil.copytree(PROJECT / SENTIMENT, pytester.path / "snapshots/sentiment_copy" / SLUG)
    for folder in (PROJECT / "snapshots").iterdir():
        if folder.is_dir() and not (pytester.path / "snapshots" / folder.name).exists():
            shutil.copytree(folder, pytester.path / "snapshots" / folder.name)
    return pytester


def files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def mapping(project: pytest.Pytester, folder: Path) -> str:
    return "--model-map=" + str(twins.write_model_map(project.path / "map.toml", {twins.SST2_ID: folder}))


def _ids() -> list[str]:
    from pipeprobe.probes.catalogue import load_suite

    return [probe.id for probe in load_suite(PROJECT / "fixtures/sentiment.yaml")]


# Atomic writes -----------------------------------------------------------------------------------------------------
OLD = '{"suite": "s", "probe": "p", "output": {"label": "OLD"}}\n'
NEW = json.dumps({"suite": "s", "probe": "p", "output": {"label": "NEW", "text": "x" * 100_000}}) + "\n"


def write(path: Path, text: str) -> None:
    collection = SnapshotCollection(location=str(path))
    collection.add(Snapshot(name="p", data=text))
    ProbeSnapshotExtension.write_snapshot_collection(snapshot_collection=collection)


class HalfWritten:
    """A stream that writes half of what it is given, then is interrupted (Ctrl-C, a kill)."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()
        return False

    def write(self, text):
        self.stream.write(text[: len(text) // 2])
        self.stream.flush()
        raise KeyboardInterrupt

    def __getattr__(self, name):
        return getattr(self.stream, name)


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_an_interrupted_write_leaves_the_old_file_whole_and_no_temporary_file(tmp_path, monkeypatch, where):
    target = tmp_path / "p.json"
    target.write_text(OLD, encoding="utf-8")
    if where == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda *args, **kwargs: HalfWritten(real_fdopen(*args, **kwargs)))
    else:
        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt if where == "replace" else OSError(28, "No space left on device")

        monkeypatch.setattr(os, where, interrupted)
    with pytest.raises((KeyboardInterrupt, OSError)):
        write(target, NEW)
    assert target.read_text(encoding="utf-8") == OLD
    assert [path.name for path in tmp_path.iterdir()] == ["p.json"]


def test_a_completed_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "p.json"
    target.write_text(OLD, encoding="utf-8")
    write(target, NEW)
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads(NEW)
    assert [path.name for path in tmp_path.iterdir()] == ["p.json"]


# Only what ran, and the same under xdist ---------------------------------------------------------------------------
def test_an_update_rewrites_only_what_ran_and_under_xdist_writes_the_same_bytes_and_drift(two_suites, sst2_twin):
    snapshots = two_suites.path / "snapshots"
    shutil.copytree(snapshots, two_suites.path / "pristine")
    before = files(snapshots)
    assert sum(name.startswith("sentiment_copy/") for name in before) == 20
    assert len({name.split("/")[0] for name in before}) >= 2
    args = ("-m", "sentiment", "-k", "not teste-01", mapping(two_suites, sst2_twin), "--snapshot-update")

    result = run(two_suites, *args, "--drift-report=serial")
    result.stdout.fnmatch_lines(["5 snapshots generated. 19 snapshots updated."])
    assert "deleted" not in result.stdout.str()
    serial = files(snapshots)
    ran = {f"sentiment/{SLUG}/{name}.json" for name in _ids() if name != "teste-01"}
    assert set(serial) == set(before) | ran
    assert {name for name in serial if serial[name] != before.get(name)} == ran
    assert not [name for name in serial if name.endswith(".tmp")]

    shutil.rmtree(snapshots)
    shutil.copytree(two_suites.path / "pristine", snapshots)
    parallel = run(two_suites, *args, "-n", "2", "--drift-report=parallel")
    parallel.stdout.fnmatch_lines(["*2 workers*", "*pipeprobe drift*"])
    assert files(snapshots) == serial

    reports = [document.load_report(two_suites.path / name / "drift.json") for name in ("serial", "parallel")]
    keep = ("probe", "status", "baseline_status", "output", "delta", "expectation", "outcomes")
    serial_probes, parallel_probes = (
        sorted(({key: p.get(key) for key in keep} for p in report["probes"]), key=lambda p: p["probe"])
        for report in reports
    )
    assert len(serial_probes) == PROBES - 1
    assert parallel_probes == serial_probes
