"""Stochastic probes end to end on a tiny random causal-LM twin: repeats with their own seeds,
a pass rate judged against min_pass_rate, and a baseline compared within a binomial tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import twins
from tests.conftest import run_inprocess

SUITE_MODULE = """\
from pipeprobe.plugin.probes import assert_expected

SUITE = "sampling_twin"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
"""
PROBE = """\
  - id: {id}
    lang: en
    input: "The clouds are"
    params: {{max_new_tokens: 6, do_sample: true, temperature: 1.0, seed: 7}}
    repeats: 12
    min_pass_rate: {gate}
    expect: {expect}
"""
SMOLLM2_REVISION = "ab810cf68114990406fdf996510dd3d3c6adbdf5"
SNAPSHOT = Path("snapshots/sampling_twin") / f"{twins.SMOLLM2_ID.replace('/', '--')}@{SMOLLM2_REVISION}"


@pytest.fixture(scope="module")
def causal_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return twins.build_causal_lm_twin(tmp_path_factory.mktemp("twins") / "causal")


def _project(project: pytest.Pytester, probes: str) -> pytest.Pytester:
    header = f"suite: sampling_twin\ntask: text-generation\nmarker: text_generation\nmodel: {twins.SMOLLM2_ID}\n"
    header += "probes:\n"
    (project.path / "fixtures" / "sampling_twin.yaml").write_text(header + probes, encoding="utf-8")
    (project.path / "suites" / "test_sampling_twin.py").write_text(SUITE_MODULE, encoding="utf-8")
    return project


def test_every_repeat_is_judged_and_a_rate_below_the_gate_fails(project, causal_twin):
    probes = PROBE.format(id="always", gate=1.0, expect="{new_tokens: {between: [1, 6]}}") + PROBE.format(
        id="never", gate=0.5, expect='{generated_text: {matches: "^Nothing like this"}}'
    )
    mapping = twins.write_model_map(project.path / "map.toml", {twins.SMOLLM2_ID: causal_twin})
    result = run_inprocess(_project(project, probes), "suites/test_sampling_twin.py", f"--model-map={mapping}",
                           "-m", "stochastic", "--snapshot-update")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*pass rate 0.00 (0/12) is below min_pass_rate 0.5; failing repeats: seed 7: generated_text: *",
        "*pipeprobe rates*",
        "sampling_twin/always: pass rate 1.00 (12/12, gate >= 1, baseline tolerance *",
        "sampling_twin/never: pass rate 0.00 (0/12, gate >= 0.5, baseline tolerance *",
    ])
    record = json.loads((project.path / SNAPSHOT / "always.json").read_text())
    samples = record["output"]["samples"]
    assert [sample["seed"] for sample in samples] == list(range(7, 19))
    assert len({sample["output"]["generated_text"] for sample in samples}) > 1  # each repeat has its own seed


def test_the_baseline_is_the_rate_within_a_binomial_tolerance(project, causal_twin):
    probes = PROBE.format(id="always", gate=1.0, expect="{new_tokens: {between: [1, 6]}}")
    mapping = twins.write_model_map(project.path / "map.toml", {twins.SMOLLM2_ID: causal_twin})
    _project(project, probes)
    run_inprocess(project, "suites/test_sampling_twin.py", f"--model-map={mapping}", "--snapshot-update")
    path = project.path / SNAPSHOT / "always.json"
    record = json.loads(path.read_text())
    tolerance = record["output"]["tolerance"]
    assert 0.05 < tolerance < 0.3  # 3 standard errors of a rate over 12 repeats, not 1e-4

    record["output"]["pass_rate"] = 1.0 - tolerance / 2  # a rate that moved within its tolerance
    record["output"]["samples"] = []  # the samples are shown, never compared
    path.write_text(json.dumps(record))
    within = run_inprocess(project, "suites/test_sampling_twin.py", f"--model-map={mapping}", "-k", "baseline")
    within.assert_outcomes(passed=1)

    record["output"]["pass_rate"] = 0.25  # 3 standard errors of 0.25 over 12 repeats: 0.375, well short of 1.0
    path.write_text(json.dumps(record))
    beyond = run_inprocess(project, "suites/test_sampling_twin.py", f"--model-map={mapping}", "-k", "baseline")
    beyond.assert_outcomes(failed=1)
    assert "pass_rate" in beyond.stdout.str()


def test_batched_repeats_give_each_seed_the_text_generate_gives_it(causal_twin):
    import torch

    from pipeprobe.devices import resolve_target
    from pipeprobe.tasks import adapter_for

    text_generation = adapter_for("text-generation")
    generator = text_generation.load(str(causal_twin), None, resolve_target("cpu", "float32"), True, None)
    params = {"max_new_tokens": 6, "do_sample": True, "temperature": 0.7}
    batched = text_generation.run(generator, ["The clouds are"] * 4, {**params, "seeds": [3, 4, 5, 6]})
    for seed, sample in zip([3, 4, 5, 6], batched, strict=True):
        torch.manual_seed(seed)
        encoded = generator.tokenizer("The clouds are", return_tensors="pt", return_token_type_ids=False)
        with torch.no_grad():
            sequence = generator.model.generate(
                **encoded, **params, pad_token_id=generator.tokenizer.pad_token_id, num_return_sequences=1
            )[0]
        assert sample["generated_text"] == generator.tokenizer.decode(sequence, skip_special_tokens=True)
