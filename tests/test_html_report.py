"""The pytest-html report: environment, per-probe columns and details, filters; rendered offline."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers

from pipeprobe import drift
from tests import twins
from tests.conftest import PROJECT
from tests.perturb import copy_sentiment_project

PROBES = 25
PORTUGUESE = 7


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, sst2_twin: Path) -> Path:
    """The sentiment suite against the twin and the notes' baselines, with both reports (made once)."""
    project = copy_sentiment_project(tmp_path_factory.mktemp("html"), PROJECT)
    mapping = twins.write_model_map(project / "map.toml", {twins.SST2_ID: sst2_twin})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "sentiment", f"--model-map={mapping}",
         "--html=reports/report.html", "--self-contained-html", "--drift-report=reports/drift"],
        cwd=project, capture_output=True, text=True, timeout=300,
    )
    assert "Generated html report: file://" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]
    return project / "reports/report.html"


def report_data(page: str) -> dict:
    blob = re.search(r'id="data-container" data-jsonblob="([^"]*)"', page)
    assert blob, "pytest-html's data blob is missing"
    return json.loads(html.unescape(blob.group(1)))


def test_the_report_shows_the_environment_and_each_probe_in_detail(report):
    page = report.read_text(encoding="utf-8")
    data = report_data(page)
    environment = data["environment"]
    assert environment["transformers"] == transformers.__version__
    assert environment["torch"] == torch.__version__
    assert {"pipeprobe", "tokenizers", "Python", "dtype", "Date"} <= environment.keys()
    assert environment["Device"] == "cpu (cpu)"
    assert environment["Model map"].endswith("map.toml")

    tests = data["tests"]
    assert len(tests) == 2 * PROBES
    row = tests["suites/test_sentiment.py::test_baseline[teste-06]"][0]
    cells = "".join(row["resultsTableRow"])
    assert '<td class="col-task">text-classification</td>' in cells
    assert '<td class="col-lang">en</td>' in cells
    status = re.search(r'<td class="col-probe_status">([^<]*)</td>', cells).group(1)
    assert status in drift.STATUSES
    assert "distilbert/distilbert-base-uncased-finetuned-sst-2-english@714eb0f" in cells
    details = "".join(extra["content"] for extra in row["extras"] if extra["format_type"] == "html")
    for shown in (
        "I have a complaint to make",  # the input
        "notes' verdict: <b>reprovado</b>",
        "doubtful record",
        "0.9828368425369263",  # the notes' baseline
        "transformers=4.55.2",  # and its provenance
        "Delta / tolerance", "cpu/float32", "model load", "inference",
        f"transformers: 4.55.2 → {transformers.__version__}",
    ):
        assert shown in details, shown
    expectation = "".join(tests["suites/test_sentiment.py::test_expectation[teste-05]"][0]["resultsTableRow"])
    assert '<td class="col-lang">pt</td>' in expectation and "expectation " in expectation

    assert 'id="pp-task"' in page and "<option>text-classification</option>" in page
    assert "<option>en</option><option>pt</option>" in page
    assert "reports/drift/drift.html" in page
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', page), "the report loads from the network"


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")), reason="no chromium here")
def test_the_report_renders_offline_in_headless_chromium(report, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
        "--proxy-server=http://127.0.0.1:9", "--virtual-time-budget=5000", "--dump-dom", report.as_uri() + "#lang=pt",
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    # The rows exist only once the report's own JavaScript ran, with no network.
    assert dom.count('class="col-task"') == 2 * PROBES
    # "#lang=pt" preselected the language filter: only the Portuguese probes' rows show.
    rows = re.findall(r'<tbody class="results-table-row [a-z]+"[^>]*>', dom)
    assert len(rows) == 2 * PROBES
    assert len([row for row in rows if "display: none" not in row]) == 2 * PORTUGUESE


def test_an_image_or_audio_input_is_shown_inline(tmp_path):
    from pipeprobe.html_report import media_html

    (tmp_path / "images").mkdir()
    (tmp_path / "images/cat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    (tmp_path / "speech.wav").write_bytes(b"RIFF" + b"\0" * 16)
    image = media_html("images/cat.png", [tmp_path / "fixtures", tmp_path])
    assert image.startswith('<img src="data:image/png;base64,iVBORw0KGgo')
    assert media_html({"file": "speech.wav", "url": "https://example.org"}, [tmp_path]).startswith(
        '<audio controls src="data:audio/')
    assert media_html({"file": "absent.jpg", "description": "a photo"}, [tmp_path]) is None
    assert media_html("a sentence that ends in .png", [tmp_path]) is None
    assert media_html({"question": "q"}, [tmp_path]) is None
