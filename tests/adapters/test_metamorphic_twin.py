"""Metamorphic probes end to end on SST-2 twins: an insensitive twin keeps its label on every
variant; a perturbation-sensitive twin raises the fail rate past max_fail_rate and the probe fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import twins
from tests.conftest import run_inprocess
from tests.perturb import build_sensitive_sst2_twin

PROBE_FILE = """\
suite: meta_twin
task: text-classification
marker: sentiment
model: distilbert/distilbert-base-uncased-finetuned-sst-2-english
probes:
  - id: inv-teste-02
    lang: en
    input: "I love instrumental music"
    perturb: {typo: 3, casing: 2, append: 3}
    invariant: label
    max_fail_rate: 0.1
    expect: {}
"""
SUITE_MODULE = """\
from pipeprobe.plugin.probes import assert_expected

SUITE = "meta_twin"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
"""
SNAPSHOT = Path("snapshots/meta_twin/distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f")


@pytest.fixture
def meta_project(project: pytest.Pytester) -> pytest.Pytester:
    (project.path / "fixtures" / "meta_twin.yaml").write_text(PROBE_FILE, encoding="utf-8")
    (project.path / "suites" / "test_meta_twin.py").write_text(SUITE_MODULE, encoding="utf-8")
    return project


def _map(project: pytest.Pytester, folder: Path) -> str:
    return str(twins.write_model_map(project.path / "map.toml", {twins.SST2_ID: folder}))


def test_variants_run_with_the_original_and_an_insensitive_twin_keeps_its_label(meta_project, sst2_twin):
    result = run_inprocess(meta_project, "suites/test_meta_twin.py", f"--model-map={_map(meta_project, sst2_twin)}",
                           "-m", "invariance", "--snapshot-update")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*pipeprobe rates*", "meta_twin/inv-teste-02: fail rate 0.00 (0/8 variants)"])
    record = json.loads((meta_project.path / SNAPSHOT / "inv-teste-02.json").read_text())
    output = record["output"]
    names = [variant["name"] for variant in output["variants"]]
    assert names == ["typo#1", "typo#2", "typo#3", "casing#1", "casing#2", "append#1", "append#2", "append#3"]
    assert all(variant["input"] != "I love instrumental music" for variant in output["variants"])
    assert output["fail_rate"] == 0.0 and output["failed"] == []
    assert {variant["output"]["label"] for variant in output["variants"]} == {output["original"]["label"]}


def test_a_perturbation_sensitive_twin_fails_past_max_fail_rate_listing_the_variants(meta_project, tmp_path):
    sensitive = build_sensitive_sst2_twin(tmp_path / "sensitive", initializer_range=0.5)
    result = run_inprocess(meta_project, "suites/test_meta_twin.py", f"--model-map={_map(meta_project, sensitive)}",
                           "-k", "expectation")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "variants failed (fail rate" in text and "> max_fail_rate 0.1" in text, text
    assert "(must stay)" in text
    line = next(line for line in text.splitlines() if line.startswith("meta_twin/inv-teste-02: fail rate"))
    assert float(line.split("fail rate ")[1].split()[0]) > 0.1
