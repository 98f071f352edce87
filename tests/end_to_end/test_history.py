"""``pipeprobe history`` over five real twin runs, with a drift injected from the third one on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeprobe.cli.main import main as cli
from pipeprobe.report import history
from tests import twins
from tests.conftest import PROJECT, run_inprocess
from tests.perturb import build_sensitive_sst2_twin, copy_sentiment_project, inputs_with_word, perturb_word

WORD = "love"
RUNS = 5
DRIFT_FROM = 3


@pytest.fixture(scope="module")
def twin_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    sensitive = build_sensitive_sst2_twin(tmp_path_factory.mktemp("twins") / "sensitive")
    return sensitive, perturb_word(sensitive, tmp_path_factory.mktemp("twins") / "perturbed", WORD, 1.0)


@pytest.fixture
def five_runs(pytester: pytest.Pytester, twin_pair: tuple[Path, Path]) -> tuple[list[Path], set[str]]:
    """Baselines recorded from the twin; runs 1-2 on it, runs 3-5 on a copy whose 'love' embedding moved.

    The six runs are pytest in this process (no interpreter start, no second torch import each)."""
    sensitive, perturbed = twin_pair
    root = pytester.path
    copy_sentiment_project(root, PROJECT)
    maps = {
        name: "--model-map=" + str(twins.write_model_map(root / f"{name}.toml", {twins.SST2_ID: folder}))
        for name, folder in (("night-model", sensitive), ("new-model", perturbed))
    }

    def run(*args: str) -> None:
        outcome = run_inprocess(pytester, "suites", "-k", "baseline", *args)
        assert outcome.ret in (0, 1), outcome.stdout.str()[-3000:]

    run(maps["night-model"], "--snapshot-update")
    reports = []
    for index in range(1, RUNS + 1):
        run(maps["night-model"] if index < DRIFT_FROM else maps["new-model"], f"--drift-report=runs/{index}")
        reports.append(root / "runs" / str(index) / "drift.json")
    from pipeprobe.probes.catalogue import load_suite

    texts = {p.id: p.input for p in load_suite(root / "fixtures/sentiment.yaml") if isinstance(p.input, str)}
    return reports, inputs_with_word(sensitive, texts, WORD)


def test_history_names_the_run_where_the_drift_began_and_what_changed_then(five_runs, tmp_path, capsys):
    reports, moved = five_runs
    assert moved, "the perturbed word must occur in some probes"
    code = cli(["history", *map(str, reports), "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert code == 0
    document = json.loads((tmp_path / "out/history.json").read_text())
    assert document["format"] == history.FORMAT and len(document["runs"]) == RUNS
    by_probe = {p["probe"]: p for p in document["probes"]}
    drifted = {name for name, p in by_probe.items() if p["first_failing"] is not None}
    # exactly the probes whose input holds the moved token drift, and each began at run 3
    assert drifted and drifted <= moved
    for name in drifted:
        probe = by_probe[name]
        assert probe["began"] == DRIFT_FROM and probe["first_failing"] == DRIFT_FROM
        assert [p["status"] for p in probe["points"][: DRIFT_FROM - 1]] == ["unchanged"] * (DRIFT_FROM - 1)
        assert probe["provenance_then"]["model_map"]["after"].endswith("new-model.toml")
    for name in set(by_probe) - moved:
        assert by_probe[name]["first_failing"] is None
    # the third run's provenance change is the model map; runs 2, 4 and 5 changed nothing
    assert set(document["runs"][DRIFT_FROM - 1]["changed"]) == {"model_map"}
    assert all(not document["runs"][i]["changed"] for i in (1, 3, 4))
    # in the last run nothing is new since the run before (the drift began at run 3)
    assert document["new_since_last_run"] == []
    assert sorted(document["beyond_tolerance_now"]) == sorted(f"sentiment/{name}" for name in drifted)
    assert f"| run {DRIFT_FROM} | run {DRIFT_FROM} |" in printed
    png = (tmp_path / "out/history.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    page = (tmp_path / "out/history.html").read_text()
    assert "data:image/png;base64," in page and "<td>run 3</td>" in page
    # over the first three runs only, what began in the last of them is new since the run before
    first_three = history.build_history([(str(p), history.load_report(p)) for p in reports[:DRIFT_FROM]])
    assert first_three["new_since_last_run"]
    assert first_three["new_since_last_run"] == first_three["beyond_tolerance_now"]
    assert "new since the run before" in history.markdown(first_three)


def test_a_file_that_is_not_a_drift_report_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text('{"format": "something else"}')
    assert cli(["history", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a pipeprobe drift report" in err
    bad.write_text('{"format": "pipeprobe-drift/1", "run": {}, "probes": '
                   '[{"suite": "s", "probe": "p", "status": "drifted", "delta": "x"}]}')
    assert cli(["history", str(bad)]) == 2
    assert "non-numeric 'delta'" in capsys.readouterr().err
