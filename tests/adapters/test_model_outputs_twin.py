"""The model-outputs and batching suites (Modulos 2, 3, 5), end to end, against tiny random twins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import transformers

from pipeprobe.baselines.compare import differences, tolerance_between
from pipeprobe.probes.catalogue import load_suite
from pipeprobe.tasks import adapter_for, model_outputs
from pipeprobe.tolerance import CPU_FLOAT32, tier_for
from tests import twins
from tests.conftest import run_inprocess

PROJECT = Path(__file__).resolve().parents[2]
SST2_SLUG = "distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f"
BERT_SLUG = "google-bert--bert-base-cased@main"
SELECT = "model_outputs or batching"
PROBES = 14  # 7 model_outputs + 7 batching
NOTES_BASELINES = {
    f"model_outputs/{SST2_SLUG}": {"fase-2-hidden-state", "fase-2-1-logits-shape", "fase-3-logits", "fase-3-id2label"},
    f"model_outputs/{BERT_SLUG}": {"modulo-3-tensores", "modulo-3-bertconfig"},
    f"batching/{SST2_SLUG}": {
        "tensor-1d", "novas-dimensoes", "preenchendo-sem-mascara", "mascara-de-atencao",
    },
}
# Expectations that hold for any model with these label maps and tokenizers, the twins included.
MODEL_AGNOSTIC = (
    "test_model_outputs.py::test_expectation[fase-2-1-logits-shape]",
    "test_model_outputs.py::test_expectation[fase-3-id2label]",
    "test_model_outputs.py::test_expectation[exercicio-fases-2-3]",
    "test_model_outputs.py::test_expectation[modulo-3-bertconfig]",
    "test_batching.py::test_expectation[tensor-1d]",
    "test_batching.py::test_expectation[mesmos-logits-duas-vezes]",
    "test_batching.py::test_expectation[preenchendo-sem-mascara]",
    "test_batching.py::test_expectation[mascara-de-atencao]",
    "test_batching.py::test_expectation[exercicio-mascara]",
    "test_batching.py::test_expectation[sequencias-longas]",
)


@pytest.fixture(scope="module")
def model_map(sst2_twin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outputs-twins")
    scaled = twins.scale_classifier(sst2_twin, folder / "sst2-scaled", 1000.0)
    bert = twins.build_bert_cased_twin(folder / "bert-cased")
    return twins.write_model_map(folder / "map.toml", {twins.SST2_ID: scaled, twins.BERT_CASED_ID: bert})


def test_update_records_every_probe_then_a_second_run_matches(project, model_map):
    update = run_inprocess(project, "-m", SELECT, f"--model-map={model_map}", "--snapshot-update", "-rA")
    outcomes = update.parseoutcomes()
    assert outcomes.get("skipped", 0) == 0 and "error" not in outcomes and "errors" not in outcomes, update.stdout.str()
    update.stdout.fnmatch_lines(["*loaded google-bert/bert-base-cased@main on cpu/float32 (model-outputs)*"])
    passed = {line.split(" ", 1)[1].strip() for line in update.stdout.lines if line.startswith("PASSED ")}
    for test in MODEL_AGNOSTIC:
        assert f"suites/{test}" in passed, update.stdout.str()

    recorded = {path.stem: json.loads(path.read_text()) for path in (project.path / "snapshots").glob(
        "*/*/*.json") if path.parts[-3] in ("model_outputs", "batching")}
    assert len(recorded) == PROBES
    # A baseline the twin departs from is re-recorded; one it still matches (the label map, a
    # shape) is kept, with the notes' provenance.
    for name in ("tensor-1d", "fase-2-hidden-state", "fase-3-logits", "preenchendo-sem-mascara"):
        assert "model map" in recorded[name]["provenance"]["source"] and "tolerance" not in recorded[name]
    for name in ("fase-3-id2label", "fase-2-1-logits-shape"):
        assert recorded[name]["provenance"]["transformers"] == "4.55.2"
    # What each library version does, as seen here: 4.57 logs the padding warning and raises IndexError
    # for ids without a batch dimension; 5.x logs nothing and raises a RuntimeError.
    warning = recorded["preenchendo-sem-mascara"]["output"]["padding_warning"]
    if int(transformers.__version__.split(".")[0]) >= 5:
        assert warning is None and recorded["tensor-1d"]["output"]["error"] == "RuntimeError"
    else:
        assert warning.startswith("We strongly recommend passing in an `attention_mask`")
        assert recorded["tensor-1d"]["output"]["error"] == "IndexError"
    assert recorded["mascara-de-atencao"]["output"]["padding_warning"] is None
    assert recorded["fase-2-hidden-state"]["output"] == {"shape": [2, 16, 32]}
    assert recorded["modulo-3-bertconfig"]["output"]["config"]["hidden_size"] == 768
    assert recorded["sequencias-longas"]["output"]["truncated"] == {"tokens": 512, "logits_shape": [1, 2]}

    again = run_inprocess(project, "-m", SELECT, "-k", "baseline", f"--model-map={model_map}")
    outcomes = again.parseoutcomes()
    assert outcomes.get("passed") == PROBES and not {"failed", "error", "errors", "skipped"} & set(outcomes), outcomes


def test_notes_baselines_hold_every_recorded_value_with_provenance():
    records = {}
    for folder, names in NOTES_BASELINES.items():
        found = {path.stem: json.loads(path.read_text()) for path in (PROJECT / "snapshots" / folder).glob("*.json")}
        assert set(found) == names
        records.update(found)
    assert all(record["provenance"]["transformers"] == "4.55.2" for record in records.values())
    assert records["fase-3-logits"]["output"]["logits"] == [[-1.5607, 1.6123], [4.1692, -3.3464]]
    assert records["fase-3-logits"]["output"]["probabilities"][1] == [0.99946, 0.00054418]
    assert records["novas-dimensoes"]["output"]["logits"] == [[-2.7276, 2.8789]]
    assert records["preenchendo-sem-mascara"]["output"]["batched_logits"][1] == [1.3374, -1.2163]
    assert records["preenchendo-sem-mascara"]["output"]["padding_warning"].startswith("We strongly recommend")
    assert records["mascara-de-atencao"]["output"]["batched_logits"][1] == [0.5803, -0.4125]
    printed_to_4 = {name for name, record in records.items() if "tolerance" in record}
    assert printed_to_4 == {"fase-3-logits", "novas-dimensoes", "preenchendo-sem-mascara", "mascara-de-atencao"}


def test_bertconfig_defaults_meet_the_notes_baseline_but_for_this_versions_drift():
    """BertConfig() needs no weights: the notes' 4.55.2 baseline meets the installed library."""
    record = json.loads((PROJECT / "snapshots/model_outputs" / BERT_SLUG / "modulo-3-bertconfig.json").read_text())
    probe = next(probe for probe in load_suite(PROJECT / "fixtures/model_outputs.yaml") if probe.id == record["probe"])
    output = model_outputs.config_defaults(None, probe.input, probe.params)
    found = [(item.path, item.baseline, item.output) for item in differences(record["output"], output, CPU_FLOAT32)]
    if int(transformers.__version__.split(".")[0]) >= 5:
        assert found == [("config.position_embedding_type", "absolute", model_outputs.ABSENT)]
    else:
        assert found == []
    assert adapter_for("model-outputs").judge(probe.expect, output) == []


def test_a_baselines_own_tolerance_loosens_but_never_tightens_the_tier():
    printed = {"provenance": {"device": "cpu", "dtype": "float32"}, "tolerance": {"abs": 2e-4, "rel": 1e-4, "why": "x"}}
    loosened = tolerance_between(tier_for("cpu", "float32"), printed)
    assert loosened.allows(-2.7276, -2.72775) and not loosened.allows(-2.7276, -2.7280)
    assert "baseline's own: x" in loosened.describe()
    assert tolerance_between(tier_for("cuda:0", "float16"), printed) == tier_for("cuda:0", "float16")
