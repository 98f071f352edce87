"""The drift report end to end: the sentiment suite against the SST-2 twin and perturbed copies."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import transformers

from pipeprobe.baselines import statuses as drift
from pipeprobe.probes.catalogue import load_suite
from pipeprobe.report import document
from tests import twins
from tests.conftest import PROJECT, run_inprocess
from tests.perturb import build_sensitive_sst2_twin, copy_sentiment_project, inputs_with_word, perturb_word

SNAPSHOTS = Path("snapshots/sentiment/distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f")
PROBES = 25
RECORDED_BY_NOTES = 20
NO_BASELINE = "teste-03"
VERSION = transformers.__version__
# a version that is never the installed one (CI runs these tests on 5.x and on 4.57.6)
OTHER_VERSION = "4.56.0"
WORD = "love"


@pytest.fixture
def sentiment(pytester: pytest.Pytester) -> pytest.Pytester:
    copy_sentiment_project(pytester.path, PROJECT)
    return pytester


def model_map(project: pytest.Pytester, name: str, folder: Path) -> str:
    return "--model-map=" + str(twins.write_model_map(project.path / f"{name}.toml", {twins.SST2_ID: folder}))


def report_of(project: pytest.Pytester, name: str) -> dict:
    return document.load_report(project.path / name / "drift.json")


def by_status(report: dict, key: str = "baseline_status") -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for probe in report["probes"]:
        found.setdefault(probe[key], set()).add(probe["probe"])
    return found


@pytest.fixture(scope="session")
def sensitive_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once, before any pytester test snapshots sys.modules (transformers stays imported)."""
    return build_sensitive_sst2_twin(tmp_path_factory.mktemp("twins") / "sensitive")


@pytest.fixture(scope="session")
def perturbed_twin(sensitive_twin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return perturb_word(sensitive_twin, tmp_path_factory.mktemp("twins") / "perturbed", WORD, 1.0)


@pytest.fixture(scope="session")
def probes_with_word(sensitive_twin: Path) -> set[str]:
    texts = {probe.id: probe.input for probe in load_suite(PROJECT / "fixtures/sentiment.yaml")}
    return inputs_with_word(sensitive_twin, texts, WORD)


def test_a_perturbed_word_drifts_exactly_the_probes_that_contain_it(
    sentiment, sensitive_twin, perturbed_twin, probes_with_word, tmp_path
):
    # Run 1 records baselines from the twin over the notes' ones (transformers 4.55.2).
    first = run_inprocess(sentiment, "-m", "sentiment", model_map(sentiment, "twin", sensitive_twin),
                          "--snapshot-update", "--drift-report=first")
    first.stdout.fnmatch_lines(["*pipeprobe drift*", "drift report: first/drift.html*"])
    notes = report_of(sentiment, "first")
    compared = [probe for probe in notes["probes"] if probe["baseline"] is not None]
    assert len(compared) == RECORDED_BY_NOTES
    assert all(probe["provenance_differences"]["transformers"] == {"baseline": "4.55.2", "run": VERSION}
               for probe in compared)

    # Baselines now from "another transformers version"; one probe lost its baseline, one baseline its probe.
    folder = sentiment.path / SNAPSHOTS
    for path in folder.glob("*.json"):
        record = json.loads(path.read_text())
        record["provenance"]["transformers"] = OTHER_VERSION
        path.write_text(json.dumps(record, indent=2) + "\n")
    assert NO_BASELINE not in probes_with_word
    (folder / f"{NO_BASELINE}.json").unlink()
    retired = json.loads((folder / "teste-01.json").read_text())
    (folder / "retired.json").write_text(json.dumps({**retired, "probe": "retired"}))

    moved = probes_with_word
    assert 0 < len(moved) < PROBES
    result = run_inprocess(sentiment, "-m", "sentiment", model_map(sentiment, "perturbed", perturbed_twin),
                 "--drift-report=moved")

    report = report_of(sentiment, "moved")
    assert {probe["probe"] for probe in document.failing(report)} == moved
    statuses = by_status(report)
    assert statuses[drift.UNCHANGED] == {p["probe"] for p in notes["probes"]} - moved - {NO_BASELINE}
    assert statuses[drift.NEW] == {NO_BASELINE}
    assert statuses[drift.NOT_RUN] == {"retired"}
    failed = {line.split("[")[1].split("]")[0] for line in result.outlines
              if line.startswith("FAILED") and "test_baseline" in line}
    assert failed == moved | {NO_BASELINE}
    for probe in report["probes"]:
        if probe["baseline"] is not None and probe["has_output"]:
            # the library, and the model files: the perturbed twin's weights (and its re-saved tokenizer files)
            differences = probe["provenance_differences"]
            assert differences["transformers"] == {"baseline": OTHER_VERSION, "run": VERSION}
            assert set(differences) <= {"transformers", "weights", "tokenizer"} and "weights" in differences
    for probe in document.failing(report):
        assert probe["delta"] > probe["allowed"] >= 1e-4 / 2
        assert probe["differences"] and probe["differences"][0].startswith("output.")
    chart = sentiment.path / "moved" / "drift.png"
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and chart.stat().st_size > 5000
    page = (sentiment.path / "moved" / "drift.html").read_text()
    assert "data:image/png;base64," in page
    assert all(f"sentiment/{probe}<br>" in page for probe in moved)
    # what needs a decision first, the retired probe's baseline (not run) last; fixed column widths fit the page
    statuses_in_page = [row.split('"')[1] for row in page.split('<tr data-status=')[1:]]
    assert statuses_in_page[0] in drift.FAILING and statuses_in_page[-1] == drift.NOT_RUN
    assert "<colgroup>" in page and "table-layout:fixed" in page
    assert f"<tr><td>transformers</td><td>{OTHER_VERSION}</td><td>{VERSION}</td><td>{PROBES - 1}</td></tr>" in page

    # The same comparison between the two runs' reports, with `pipeprobe drift A B`.
    command = sentiment.run(
        sys.executable, "-m", "pipeprobe.cli", "drift", "first/drift.json", "moved/drift.json",
        "--out", str(tmp_path / "a-vs-b"), "--fail-on-drift",
    )
    assert command.ret == 1
    table = command.stdout.str()
    assert all(f"| sentiment/{probe} |" in table for probe in moved)
    compared = document.load_report(tmp_path / "a-vs-b" / "drift.json")
    assert {probe["probe"] for probe in document.failing(compared)} == moved
    assert by_status(compared)[drift.UNCHANGED] == {p["probe"] for p in notes["probes"]} - moved
    assert (tmp_path / "a-vs-b" / "drift.png").exists() and (tmp_path / "a-vs-b" / "drift.html").exists()
