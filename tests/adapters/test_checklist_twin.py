"""Tests of many cases end to end on a tiny random causal-LM twin (task lm-classification): one pytest item per
test, CheckList's rates gated, the capability table in the terminal and drift.json, every case's data in drift.json
(recomputed independently here), and the baseline compared as a rate with the flipped cases listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import twins
from tests.checklist_recompute import check_report
from tests.conftest import run_inprocess

PROBE_FILE = f"""\
suite: cl_twin
task: lm-classification
model: {twins.SMOLLM2_ID}
params:
  labels: [positive, negative]
  chat: false
  template: "Review: {{text}}\\nSentiment:"
tests:
  - name: mft-template
    capability: Vocabulary
    type: MFT
    template: "The {{noun}} was {{pos_adj}}."
    nsamples: 30
    label: positive
    max_fail_rate: 1.0
  - name: inv-names
    capability: NER
    type: INV
    template: ["{{first_name}} liked the {{noun}}.", "The {{noun}} was {{pos_adj}}."]
    lexicons: {{first_name: [Scott, Nicole, Logan, Austin]}}
    nsamples: 20
    perturb: {{name: 2}}
    threshold: 0.01
    max_fail_rate: 1.0
  - name: dir-negative-phrase
    capability: Vocabulary
    type: DIR
    cases: ["The food was good.", {{text: "Nice hotel.", variants: ["Nice hotel. The staff were awful."]}}]
    perturb: [add_negative]
    direction: not_up
    of: positive
    tolerance: 0.0
    max_fail_rate: 1.0
  - name: mft-gated
    capability: Negation
    type: MFT
    cases: [{{text: "Not bad at all.", label: positive}}, {{text: "Not bad at all.", label: negative}}]
    max_fail_rate: 0.0
"""
SUITE_MODULE = """\
from pipeprobe.plugin.probes import assert_expected

SUITE = "cl_twin"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
"""


@pytest.fixture(scope="module")
def causal_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return twins.build_causal_lm_twin(tmp_path_factory.mktemp("twins") / "causal")


@pytest.fixture
def cl_project(project: pytest.Pytester, causal_twin: Path) -> tuple[pytest.Pytester, str]:
    (project.path / "fixtures" / "cl_twin.yaml").write_text(PROBE_FILE, encoding="utf-8")
    (project.path / "suites" / "test_cl_twin.py").write_text(SUITE_MODULE, encoding="utf-8")
    mapping = twins.write_model_map(project.path / "map.toml", {twins.SMOLLM2_ID: causal_twin})
    return project, f"--model-map={mapping}"


def _report(project: pytest.Pytester) -> dict:
    return json.loads((project.path / "reports" / "drift.json").read_text(encoding="utf-8"))


def test_one_item_per_test_gated_by_its_rate_with_the_table_and_every_case_in_drift_json(cl_project):
    project, mapping = cl_project
    result = run_inprocess(project, "suites/test_cl_twin.py", mapping, "--snapshot-update",
                           "--drift-report=reports")
    result.assert_outcomes(passed=7, failed=1)  # 4 tests x (expectation, baseline); mft-gated's rate is 0.5
    result.stdout.fnmatch_lines([
        "*mft-gated*Negation MFT mft-gated: 1 of 2 cases failed (rate 0.500 > max_fail_rate 0)*",
        "*pipeprobe capabilities (tests of many cases)*",
        "capability*type*test*cases*failed*rate*gate*",
    ])
    report = _report(project)
    assert check_report(report) == []  # CheckList's rates recomputed from the case data alone agree
    rows = {row["test"]: row for row in report["capabilities"]["tests"]}
    assert set(rows) == {"mft-template", "inv-names", "dir-negative-phrase", "mft-gated"}
    assert (rows["mft-gated"]["cases"], rows["mft-gated"]["failed"], rows["mft-gated"]["passed_gate"]) == (2, 1, False)
    assert rows["mft-template"]["cases"] == 30
    names = rows["inv-names"]  # "The {noun} was {pos_adj}." has no name to swap: not applicable, never an error
    assert names["not_applicable"] > 0 and names["cases"] + names["not_applicable"] == 20
    entry = next(probe for probe in report["probes"] if probe["probe"] == "dir-negative-phrase")
    case = entry["output"]["data"][1]
    assert case["texts"][:2] == ["Nice hotel.", "Nice hotel. The staff were awful."]
    assert len(case["pred"]) == len(case["probs"]) == len(case["texts"]) == 3
    baseline = next((project.path / "snapshots" / "cl_twin").glob("*/inv-names.json"))
    assert json.loads(baseline.read_text())["output"]["fail_rate"] == rows["inv-names"]["fail_rate"]


def test_the_baseline_compares_the_rate_within_its_binomial_tolerance_and_lists_flipped_cases(cl_project):
    project, mapping = cl_project
    run_inprocess(project, "suites/test_cl_twin.py", mapping, "--snapshot-update", "-k", "mft-template")
    [path] = (project.path / "snapshots" / "cl_twin").glob("*/mft-template.json")
    stored = json.loads(path.read_text())
    first = stored["output"]["data"][0]
    other = next(label for label in stored["output"]["labels"] if label != first["pred"][0])
    first["pred"][0] = other  # the baseline saw another prediction for one case: a flip, not a rate change
    path.write_text(json.dumps(stored), encoding="utf-8")
    result = run_inprocess(project, "suites/test_cl_twin.py", mapping, "-k", "mft-template", "--drift-report=reports")
    result.assert_outcomes(passed=2)
    [entry] = [probe for probe in _report(project)["probes"] if probe["probe"] == "mft-template"]
    assert entry["case_test"]["flipped"] == 1 and first["texts"][0] in entry["case_test"]["flipped_examples"][0]
    stored["output"]["fail_rate"] = 1.0 if stored["output"]["fail_rate"] < 0.5 else 0.0  # far past the tolerance
    path.write_text(json.dumps(stored), encoding="utf-8")
    result = run_inprocess(project, "suites/test_cl_twin.py", mapping, "-k", "mft-template")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*fail_rate*"])
