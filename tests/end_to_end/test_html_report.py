"""The pytest-html report: environment, per-probe columns and details, filters; rendered offline."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers

from pipeprobe.baselines import statuses as drift
from tests import twins
from tests.conftest import PROJECT
from tests.perturb import copy_sentiment_project

PROBES = 25
PORTUGUESE = 7
SKIPPED_PROBES = 6  # the zero-shot suite, whose model the run lacks
ZERO_SHOT = ("suites/test_zero_shot.py", "fixtures/zero_shot.yaml")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, sst2_twin: Path) -> Path:
    """The sentiment suite against the twin and the notes' baselines (their outputs differ: failures), and the
    zero-shot suite, whose model the map lacks (skips), with both reports (made once)."""
    project = copy_sentiment_project(tmp_path_factory.mktemp("html"), PROJECT)
    for part in ZERO_SHOT:
        shutil.copy2(PROJECT / part, project / part)
    mapping = twins.write_model_map(project / "map.toml", {twins.SST2_ID: sst2_twin})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "sentiment or zero_shot",
         f"--model-map={mapping}",
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
    assert len(tests) == 2 * (PROBES + SKIPPED_PROBES)
    # pytest-html's own settings, set by the plugin: what needs a decision first, the rest collapsed
    assert data["initialSort"] == "probe_status" and data["renderCollapsed"] == ["passed", "skipped", "xfailed"]
    row = tests["suites/test_sentiment.py::test_baseline[teste-06]"][0]
    cells = "".join(row["resultsTableRow"])
    assert '<td class="col-task">text-classification</td>' in cells
    assert '<td class="col-lang">en</td>' in cells
    status = re.search(r'<td class="col-probe_status"><!--[^>]*-->([^<]*)</td>', cells).group(1)
    assert status in drift.STATUSES
    assert "distilbert/distilbert-base-uncased-finetuned-sst-2-english@714eb0f" in cells
    details = "".join(extra["content"] for extra in row["extras"] if extra["format_type"] == "html")
    for shown in (
        "I have a complaint to make",  # the input
        "notes' verdict: <b>wrong</b>",  # reprovado, read as wrong
        "doubtful record",
        "0.9828368425369263",  # the notes' baseline
        "transformers=4.55.2",  # and its provenance
        "Delta / tolerance", "cpu/float32", "model load", "inference",
        f"transformers 4.55.2 → {transformers.__version__}",  # in words, as explain and drift say it
    ):
        assert shown in details, shown
    expectation = "".join(tests["suites/test_sentiment.py::test_expectation[teste-05]"][0]["resultsTableRow"])
    assert '<td class="col-lang">pt</td>' in expectation and "expectation " in expectation

    assert 'id="pp-task"' in page and "<option>text-classification</option>" in page
    assert "<option>en</option><option>pt</option>" in page
    assert "reports/drift/drift.html" in page
    # the count says what ran: not the zero-shot probes' tests, nor a baseline test without a baseline
    results = [runs[-1]["result"] for runs in tests.values()]
    skipped_tests = results.count("Skipped")
    assert skipped_tests > 2 * SKIPPED_PROBES
    ran = len(results) - skipped_tests
    assert f"{ran} of {len(results)} tests ran." in page
    # the answer first: probes ran / held / drifted / failed / skipped, each skip reason once
    tiles = dict((name, int(count)) for count, name in re.findall(r'<b style="[^"]*">(\d+)</b> (\w+)</span>', page))
    assert tiles["ran"] == PROBES and tiles["skipped"] == SKIPPED_PROBES
    assert tiles["held"] + tiles["drifted"] + tiles["failed"] == PROBES and tiles["drifted"] > 0
    assert f"{SKIPPED_PROBES} probes: 1 model unavailable" in page
    # durations in one unit; each failure's traceback folded under its details
    durations = [re.search(r'<td class="col-duration">([^<]*)</td>', "".join(runs[-1]["resultsTableRow"])).group(1)
                 for runs in tests.values()]
    assert all(re.fullmatch(r"\d+ ms", shown) for shown in durations), durations
    failed = [runs[-1] for runs in tests.values() if runs[-1]["result"] == "Failed"]
    assert failed and all(run["log"].startswith("<details><summary>pytest's traceback") for run in failed)

    # a skipped probe: one line naming its model, never pytest's raw (file, line, reason) tuple
    skipped = tests["suites/test_zero_shot.py::test_baseline[base]"][0]
    assert skipped["result"] == "Skipped"
    assert "not run: facebook/bart-large-mnli@" in "".join(skipped["resultsTableRow"])
    assert skipped["log"].startswith("not run: model facebook/bart-large-mnli@") and "('" not in skipped["log"]
    assert "facebook/bart-large-mnli@d7645e1</b>: 6 probes not run" in html.unescape(page)
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', page), "the report loads from the network"


def _browser() -> str:
    """Debian's chromium; CI installs it (.ci/run), so there a missing browser fails instead of skipping."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("PIPEPROBE_REQUIRE_BROWSER"):
            pytest.fail("no chromium, and PIPEPROBE_REQUIRE_BROWSER is set (CI): apt-get install -y chromium")
        pytest.skip("no chromium here (Debian: apt-get install -y chromium)")
    return browser


def rendered_dom(report: Path, profile: Path, fragment: str = "") -> str:
    """The report as headless Chromium leaves it once its own JavaScript ran, with no network."""
    command = [
        _browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--proxy-server=http://127.0.0.1:9", "--virtual-time-budget=5000", "--dump-dom", report.as_uri() + fragment,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def test_the_report_renders_offline_in_headless_chromium_failures_first_skips_collapsed(report, tmp_path):
    dom = rendered_dom(report, tmp_path / "profile")
    rows = re.findall(r'<tbody class="results-table-row ([a-z]+)"[^>]*>(.*?)</tbody>', dom, re.S)
    # The rows exist only once the report's own JavaScript ran, with no network.
    assert len(rows) == 2 * (PROBES + SKIPPED_PROBES)
    outcomes = [outcome for outcome, _ in rows]
    assert "failed" in outcomes  # the twin's outputs are not the notes' baselines
    first = rows[0][1]
    assert outcomes[0] == "failed" and re.search(r'<td class="col-result">Failed</td>', first)
    first_status = re.search(r'<td class="col-probe_status">(?:<!--[^>]*-->)?([^<]*)</td>', first).group(1)
    assert first_status in drift.FAILING  # a baseline that moved beyond tolerance comes first, open
    assert outcomes.index("skipped") > max(i for i, outcome in enumerate(outcomes) if outcome == "failed")
    assert outcomes[-2 * SKIPPED_PROBES:] == ["skipped"] * 2 * SKIPPED_PROBES  # skipped rows last,
    for outcome, body in rows:  # collapsed, like passed ones; failures open
        collapsed = 'class="col-result collapsed"' in body
        assert collapsed == (outcome in ("passed", "skipped", "xfailed")), outcome
    # the environment is folded below the results, not above the summary
    assert '<div id="environment-header">' not in dom
    assert dom.index('<details class="pp-environment">') > dom.index('id="results-table"')

    # "#lang=pt" preselects the language filter: only the Portuguese probes' rows show.
    filtered = rendered_dom(report, tmp_path / "profile-pt", "#lang=pt")
    shown = re.findall(r'<tbody class="results-table-row [a-z]+"[^>]*>', filtered)
    assert len(shown) == 2 * (PROBES + SKIPPED_PROBES)
    assert len([row for row in shown if "display: none" not in row]) == 2 * PORTUGUESE


def test_a_teams_probe_speaks_of_the_teams_verdict_and_a_notes_probe_of_the_notes():
    from pipeprobe.plugin.html_report import details_html
    from pipeprobe.report.record import ProbeRecord

    team = ProbeRecord(suite="reviews", probe="refund", task="text-classification", lang=None, model="m", revision="r",
                       expect={"label": "NEGATIVE"}, verdict="wrong", expectation="missed")
    shown = details_html(team, [])
    assert "the team's verdict: <b>wrong</b>" in shown and "notes" not in shown
    assert "notes" not in details_html(ProbeRecord(suite="reviews", probe="ok", task="t", lang=None, model="m",
                                                   revision="r", expect={"label": "POSITIVE"}), [])
    notes = ProbeRecord(suite="sentiment", probe="teste-01", task="text-classification", lang="en", model="m",
                        revision="r", source="1º Transformer, Teste 1", expect={"label": "POSITIVE"})
    shown = details_html(notes, [])
    assert "notes' verdict: <b>absent (the notes gave none)</b>" in shown and "notes: 1º Transformer" in shown


def test_an_image_or_audio_input_is_shown_inline(tmp_path):
    from pipeprobe.plugin.html_report import media_html

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
