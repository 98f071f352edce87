"""``pipeprobe calibrate``: measured noise beside each baseline; a deliberately noisy twin is flagged fragile."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeprobe.baselines import targets
from pipeprobe.cli import calibrate
from pipeprobe.cli.main import main as cli
from pipeprobe.tolerance import CPU_FLOAT32
from tests import twins
from tests.conftest import PROJECT
from tests.perturb import build_sensitive_sst2_twin, copy_sentiment_project

SNAPSHOTS = Path("snapshots/sentiment/distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f")
KEY = "cpu/float32"


@pytest.fixture(scope="module")
def twin_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A steady twin, and a noisy one: the same weights, its tokenizer padding on the left. DistilBERT's
    absolute positions then move with the padding, so a probe's output depends on what it is batched with."""
    from transformers import AutoTokenizer

    steady = build_sensitive_sst2_twin(tmp_path_factory.mktemp("twins") / "steady")
    noisy = tmp_path_factory.mktemp("twins") / "noisy"
    import shutil

    shutil.copytree(steady, noisy, dirs_exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(noisy)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(noisy)
    return {"steady": steady, "noisy": noisy}


def calibrate_with(project: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, capsys, *extra: str) -> str:
    mapping = twins.write_model_map(project / "map.toml", {twins.SST2_ID: folder})
    monkeypatch.chdir(project)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert cli(["calibrate", "-m", "sentiment", "--repeats", "2", f"--model-map={mapping}", *extra]) == 0
    return capsys.readouterr().out


def calibration(project: Path) -> dict[str, dict]:
    found = {}
    for path in sorted((project / SNAPSHOTS).glob("*.json")):
        record = json.loads(path.read_text())
        if KEY in record.get(targets.CALIBRATION_FIELD, {}):
            found[path.stem] = record[targets.CALIBRATION_FIELD][KEY]
    return found


def test_a_noisy_twin_is_flagged_fragile_and_its_noise_recorded_beside_its_baselines(
        tmp_path, twin_folders, monkeypatch, capsys):
    project = copy_sentiment_project(tmp_path / "noisy", PROJECT)
    before = {path.name: json.loads(path.read_text()) for path in (project / SNAPSHOTS).glob("*.json")}
    printed = calibrate_with(project, twin_folders["noisy"], monkeypatch, capsys)
    recorded = calibration(project)
    fragile = {name for name, entry in recorded.items() if entry["fragile"]}
    assert fragile, printed
    for name in fragile:
        entry = recorded[name]
        # its noise comes from batching (padding on the left moves positions), not from repeats
        assert entry["by_source"]["batching"] > CPU_FLOAT32.abs / calibrate.FACTOR
        assert entry["by_source"]["repeats"] == 0.0
        assert any("less than 10x its noise" in reason or "changes between runs" in reason
                   for reason in entry["fragile"])
        assert f"FRAGILE sentiment/{name}:" in printed
    # the reference and everything else in each file are as they were; no tolerance without --tighten
    for path in (project / SNAPSHOTS).glob("*.json"):
        record = json.loads(path.read_text())
        record.pop(targets.CALIBRATION_FIELD, None)
        assert record == before[path.name]
        assert "tolerance" not in recorded.get(path.stem, {})
    # a later run flags them in the terminal, the drift report and the HTML report
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "suites", "-k", "baseline",
         f"--model-map={project / 'map.toml'}", "--drift-report=out", "--html=out/report.html",
         "--self-contained-html"], cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
    for name in fragile:
        assert f"FRAGILE sentiment/{name} (pipeprobe calibrate): " in done.stdout
    report = json.loads((project / "out/drift.json").read_text())
    flagged = {p["probe"] for p in report["probes"] if ((p.get("baseline") or {}).get("baseline_calibration") or {})
               .get("fragile")}
    assert flagged == fragile
    assert "FRAGILE on cpu/float32" in (project / "out/report.html").read_text()
    assert "FRAGILE on cpu/float32" in (project / "out/drift.html").read_text()
    # pipeprobe baselines shows it
    monkeypatch.chdir(project)
    assert cli(["baselines", "--suite", "sentiment"]) == 0
    grid = capsys.readouterr().out
    for name in recorded:
        row = next(line for line in grid.splitlines() if line.startswith(f"| sentiment/{name} "))
        assert ("ref FRAGILE" if name in fragile else "ref +noise") in row


def test_a_steady_twin_is_not_fragile_and_tighten_records_a_tighter_tolerance(
        tmp_path, twin_folders, monkeypatch, capsys):
    project = copy_sentiment_project(tmp_path / "steady", PROJECT)
    printed = calibrate_with(project, twin_folders["steady"], monkeypatch, capsys, "--tighten")
    recorded = calibration(project)
    assert recorded and not any(entry["fragile"] for entry in recorded.values()), printed
    assert "0 fragile" in printed
    for entry in recorded.values():
        assert entry["noise"] * calibrate.FACTOR < CPU_FLOAT32.abs
        assert entry["tolerance"]["abs"] < CPU_FLOAT32.abs and "why" not in entry["tolerance"]
        assert entry["runs"] == 2 * len(calibrate.variants())


def test_bad_input_is_one_line(tmp_path, monkeypatch, capsys):
    project = copy_sentiment_project(tmp_path / "bad", PROJECT)
    monkeypatch.chdir(project)
    assert cli(["calibrate", "--repeats", "1"]) == 2
    assert cli(["calibrate", "-m", "no_such_marker"]) == 2
    assert cli(["calibrate", "--widen-why", " "]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("pipeprobe calibrate: ") for line in err)


def test_analyse_flags_a_ranking_whose_margin_is_within_noise():
    runs = {("batched", 2, 0): {"labels": ["a", "b"], "scores": [0.5001, 0.4999]},
            ("unbatched", 2, 0): {"labels": ["b", "a"], "scores": [0.50005, 0.49995]}}
    noise = calibrate.analyse("s", "p", runs, CPU_FLOAT32)
    assert noise.margin == pytest.approx(0.0002) and noise.noise > 0
    assert any("margin" in reason for reason in noise.fragile)
