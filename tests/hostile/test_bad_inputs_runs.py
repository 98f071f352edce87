"""Bad inputs, surface: runs in which nothing was checked (issue 17, item 7). ``require_models = true``
makes an all-skipped run (every model absent) fail in one line; the summary tells probes skipped
because their model is absent from probes that errored; ``expect: {}`` checks nothing and is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import twins
from tests.bad_inputs import GOOD_PROBES, PYPROJECT, make_project, usage_error
from tests.conftest import run_inprocess


@pytest.fixture
def absent(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The project with its model in no source: an empty model map, an empty HF cache, offline."""
    make_project(pytester.path)
    (pytester.path / "map.toml").write_text("[models]\n", encoding="utf-8")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(pytester.path / "empty-cache"))
    return pytester


def _require(project: pytest.Pytester) -> None:
    (project.path / "pyproject.toml").write_text(PYPROJECT + "require_models = true\n", encoding="utf-8")


def test_require_models_fails_a_run_where_every_model_is_absent_in_one_line(absent):
    _require(absent)
    result = run_inprocess(absent, "--model-map=map.toml")
    text = result.stdout.str()
    assert "Traceback" not in text and "INTERNALERROR" not in text
    assert result.ret == pytest.ExitCode.TESTS_FAILED, text
    lines = [line for line in result.stdout.lines if line.startswith("ERROR: require_models = true")]
    assert len(lines) == 1 and "no probe ran" in lines[0] and twins.SST2_ID in lines[0], text


def test_without_require_models_the_same_run_stays_green_but_says_why_nothing_ran(absent):
    result = run_inprocess(absent, "--model-map=map.toml")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*0 of 2 probes ran: 2 skipped (model absent)*"])


def test_require_models_lets_a_run_that_ran_pass(pytester, sst2_twin):
    make_project(pytester.path)
    _require(pytester)
    twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin})
    result = run_inprocess(pytester, "--model-map=map.toml", "-k", "expectation")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()


def test_the_summary_says_errored_not_skipped_when_the_model_is_broken(pytester, tmp_path):
    make_project(pytester.path)
    twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: tmp_path / "missing-folder"})
    result = run_inprocess(pytester, "--model-map=map.toml", "-k", "expectation")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*0 of 2 probes ran: 2 errored (model broken or input refused)*"])
    assert "every selected probe skipped" not in result.stdout.str()


def test_require_models_must_be_a_boolean(pytester):
    make_project(pytester.path)
    (pytester.path / "pyproject.toml").write_text(PYPROJECT + 'require_models = "yes"\n', encoding="utf-8")
    usage_error(run_inprocess(pytester, "--co"), "require_models")


def test_an_empty_expect_is_refused(pytester):
    make_project(pytester.path, GOOD_PROBES.replace("expect: {label: POSITIVE}", "expect: {}", 1))
    usage_error(run_inprocess(pytester, "--co"), "demo.yaml", "expect: empty")


def test_an_empty_expect_is_allowed_where_behaviour_checks_the_output(pytester):
    behaviour_only = "expect: {}\n    perturb: [typo]\n    invariant: label"
    probes = GOOD_PROBES.replace("expect: {label: POSITIVE}", behaviour_only, 1)
    make_project(pytester.path, probes)
    result = run_inprocess(pytester, "--co", "-q")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()


def test_the_projects_own_probe_files_have_no_empty_expect_outside_behaviour_or_doubt():
    from pipeprobe.cli.check import check_project
    from pipeprobe.config import load_config

    faults, _ = check_project(load_config(Path(__file__).resolve().parents[2]))
    assert not [line for line in faults if "expect: empty" in line], faults
