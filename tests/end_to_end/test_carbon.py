"""``--carbon``: energy and CO2eq per model load and per suite, in the terminal and drift.json; absent
codecarbon or a bad country is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeprobe.plugin import carbon
from tests import twins
from tests.conftest import PROJECT, run
from tests.perturb import copy_sentiment_project

SELECT = ("-k", "baseline")


@pytest.fixture
def sentiment(pytester: pytest.Pytester, sst2_twin: Path) -> tuple[pytest.Pytester, str]:
    copy_sentiment_project(pytester.path, PROJECT)
    mapping = twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin})
    return pytester, f"--model-map={mapping}"


def test_carbon_measures_each_model_load_and_suite_in_the_terminal_and_drift_json(sentiment):
    pytest.importorskip("codecarbon")
    project, mapping = sentiment
    result = run(project, "suites", *SELECT, mapping, "--carbon", "--carbon-country=FRA", "--drift-report=out",
                 "--html=out/report.html", "--self-contained-html")
    # the twin is not the real model: its baselines may fail; what counts here is that every probe ran
    assert sum(result.parseoutcomes().get(name, 0) for name in ("passed", "failed", "skipped")) == 25
    text = result.stdout.str()
    assert "pipeprobe carbon" in text and "country FRA" in text
    load_line = next(line for line in text.splitlines() if line.startswith("model load " + twins.SST2_ID))
    assert " kWh, " in load_line and " g CO2eq " in load_line
    assert any(line.startswith("suite sentiment (with its loads): ") for line in text.splitlines())
    measured = json.loads((project.path / "out/drift.json").read_text())["carbon"]
    assert measured["country"] == "FRA" and measured["problem"] is None
    (load_name, load), = measured["loads"].items()
    assert load_name.startswith(twins.SST2_ID) and load["kwh"] > 0 and load["kg_co2eq"] > 0
    suite = measured["suites"]["sentiment"]
    # the suite's energy includes its model load; the total is every suite's
    assert suite["kwh"] >= load["kwh"] and measured["total"]["kwh"] == pytest.approx(suite["kwh"])
    # the HTML report's environment table has the same numbers
    page = (project.path / "out/report.html").read_text()
    assert "Energy (codecarbon)" in page and f"Energy: load {load_name}" in page
    # CO2eq is the energy times France's carbon intensity: the same factor for every part
    assert load["kg_co2eq"] / load["kwh"] == pytest.approx(suite["kg_co2eq"] / suite["kwh"], rel=1e-6)


def test_without_codecarbon_carbon_is_one_line_not_a_failure(sentiment, monkeypatch):
    import os

    project, mapping = sentiment
    blocker = project.path / "blocked" / "codecarbon"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('codecarbon is blocked for this test')\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(blocker.parent), os.environ.get("PYTHONPATH")])))
    result = run(project, "suites", "-k", "baseline and teste-01", mapping, "--carbon")
    # the probe ran and was judged as without --carbon (the twin may miss the real baseline)
    assert result.ret in (0, 1) and sum(result.parseoutcomes().get(k, 0) for k in ("passed", "failed")) == 1
    text = result.stdout.str()
    assert text.count("codecarbon is not installed (pip install 'pipeprobe[carbon]')") == 1
    assert "Traceback" not in text


def test_an_unknown_country_is_a_usage_error(sentiment):
    project, mapping = sentiment
    result = run(project, "suites", "--co", mapping, "--carbon", "--carbon-country=Atlantis")
    assert result.ret == 4
    assert "give an ISO 3166 alpha-3 code" in result.stderr.str()


def test_worker_results_add_up():
    part = {"country": "BRA", "method": "m", "problem": None,
            "loads": {"m@r (t)": {"kwh": 1.0, "kg_co2eq": 0.1, "seconds": 2.0}},
            "suites": {"s": {"kwh": 1.5, "kg_co2eq": 0.15, "seconds": 3.0}},
            "total": {"kwh": 1.5, "kg_co2eq": 0.15, "seconds": 3.0}}
    other = {**part, "loads": {}, "suites": {"u": {"kwh": 0.5, "kg_co2eq": 0.05, "seconds": 1.0}},
             "total": {"kwh": 0.5, "kg_co2eq": 0.05, "seconds": 1.0}}
    merged = carbon.merge([part, other])
    assert merged["processes"] == 2 and merged["total"]["kwh"] == pytest.approx(2.0)
    assert set(merged["suites"]) == {"s", "u"} and merged["loads"]["m@r (t)"]["kwh"] == 1.0
    assert carbon.check_country("FRA") is None or "energy mix" in carbon.check_country("FRA")
