"""The real fill-mask suite, end to end, against tiny random RoBERTa and cased-BERT twins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeprobe.probes.catalogue import load_suite
from pipeprobe.tasks import adapter_for
from tests import twins
from tests.conftest import run_inprocess

FOLDERS = {
    "base": Path("snapshots/fill_mask/distilbert--distilroberta-base@fb53ab8"),
    "exercicio-bert-pt": Path("snapshots/fill_mask/neuralmind--bert-base-portuguese-cased@main"),
}
PROBES = 2


@pytest.fixture(scope="module")
def mlm_twins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("twins")
    return {
        twins.FILL_MASK_DEFAULT_ID: twins.build_roberta_mlm_twin(folder / "roberta-mlm"),
        twins.FILL_MASK_PT_ID: twins.build_bert_cased_mlm_twin(folder / "bert-cased-mlm"),
    }


def test_update_writes_the_top_two_of_both_models_then_a_second_run_matches(project, mlm_twins):
    mapping = str(twins.write_model_map(project.path / "map.toml", mlm_twins))
    update = run_inprocess(project, "-m", "fill_mask", f"--model-map={mapping}", "--snapshot-update")
    update.assert_outcomes(passed=2 * PROBES)
    update.stdout.fnmatch_lines([
        "*loaded distilbert/distilroberta-base@fb53ab8 on cpu/float32 (fill-mask)*",
        "*loaded neuralmind/bert-base-portuguese-cased@main on cpu/float32 (fill-mask)*",
    ])

    for probe, folder in FOLDERS.items():
        record = json.loads((project.path / folder / f"{probe}.json").read_text())
        assert record["provenance"]["transformers"] != "4.55.2"
        predictions = record["output"]
        assert len(predictions) == 2
        for prediction in predictions:
            assert set(prediction) == {"score", "token", "token_str", "sequence"}
            assert isinstance(prediction["token"], int) and isinstance(prediction["score"], float)
            assert prediction["sequence"].startswith("This course will teach you all")
            assert "<mask>" not in prediction["sequence"] and "[MASK]" not in prediction["sequence"]

    again = run_inprocess(project, "-m", "fill_mask", f"--model-map={mapping}", "-k", "baseline")
    outcomes = again.parseoutcomes()
    assert outcomes.get("passed") == PROBES and not {"failed", "skipped", "error", "errors"} & outcomes.keys(), outcomes


def test_the_notes_baseline_holds_the_portuguese_berts_recorded_top_two():
    folder = Path(__file__).resolve().parents[2] / FOLDERS["exercicio-bert-pt"]
    record = json.loads((folder / "exercicio-bert-pt.json").read_text())
    assert record["provenance"]["transformers"] == "4.55.2"
    assert [(p["token"], p["token_str"], p["score"]) for p in record["output"]] == [
        (1621, "the", 0.6997271180152893), (123, "a", 0.04927678406238556),
    ]
    assert record["output"][1]["sequence"] == "This course will teach you all about a models"


def test_the_expectation_holds_on_the_recorded_top_two_and_catches_a_bad_ranking():
    root = Path(__file__).resolve().parents[2]
    probe = next(p for p in load_suite(root / "fixtures/fill_mask.yaml") if p.id == "exercicio-bert-pt")
    output = json.loads((root / FOLDERS[probe.id] / f"{probe.id}.json").read_text())["output"]
    judge = adapter_for("fill-mask").judge
    assert judge(probe.expect, output) == []
    assert len(judge(probe.expect, list(reversed(output)))) == 1
    assert len(judge(probe.expect, output[:1])) == 1
