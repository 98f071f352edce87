"""Question answering, summarization and translation (removed from transformers 5's pipelines),
end to end against tiny random twins, and the same answers as the 4.x pipelines gave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import transformers

from pipeprobe.devices import Target
from pipeprobe.probes.catalogue import load_suite
from pipeprobe.tasks import adapter_for
from tests import twins
from tests.conftest import run_inprocess

PROJECT = Path(__file__).resolve().parents[2]
SELECT = "question_answering or summarization or translation"
PROBES = 5
SUITES = {"question_answering": "question-answering", "summarization": "summarization", "translation": "translation"}


@pytest.fixture(scope="module")
def twin_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("text2text-twins")
    marian = twins.build_marian_twin(folder / "marian")
    return {
        twins.QA_ID: twins.build_squad_twin(folder / "squad"),
        twins.SUMMARIZATION_ID: twins.build_distilbart_cnn_twin(folder / "distilbart"),
        twins.TRANSLATION_FR_EN_ID: marian,
        twins.TRANSLATION_EN_PT_ID: marian,
    }


def test_update_records_every_probe_then_a_second_run_matches(project, twin_folders, tmp_path):
    mapping = twins.write_model_map(tmp_path / "map.toml", twin_folders)
    update = run_inprocess(project, "-m", SELECT, f"--model-map={mapping}", "--snapshot-update")
    outcomes = update.parseoutcomes()
    assert outcomes.get("skipped", 0) == 0 and "error" not in outcomes and "errors" not in outcomes, update.stdout.str()
    update.stdout.fnmatch_lines([
        "*loaded Helsinki-NLP/opus-mt-fr-en@main on cpu/float32 (translation): loaded from model map*",
        "*loaded distilbert/distilbert-base-cased-distilled-squad@564e9b5 on cpu/float32 (question-answering)*",
    ])
    written = {f"{suite}/{path.stem}": json.loads(path.read_text()) for suite in SUITES
               for path in (project.path / "snapshots" / suite).glob("*/*.json")}
    assert len(written) == PROBES
    assert all("model map" in record["provenance"]["source"] for record in written.values())
    assert set(written["question_answering/teste-01"]["output"]) == {"score", "start", "end", "answer"}
    assert isinstance(written["question_answering/teste-01"]["output"]["score"], float)
    assert set(written["summarization/base"]["output"]) == {"summary_text"}

    again = run_inprocess(project, "-m", SELECT, "-k", "baseline", f"--model-map={mapping}")
    outcomes = again.parseoutcomes()
    assert outcomes.get("passed") == PROBES and not {"failed", "error", "errors", "skipped"} & set(outcomes), outcomes


@pytest.mark.skipif(
    not hasattr(transformers, "QuestionAnsweringPipeline") or int(transformers.__version__.split(".")[0]) >= 5,
    reason=f"transformers {transformers.__version__} has no question-answering, summarization or translation "
    "pipeline to compare with (run the tests under transformers 4.57 for this)",
)
@pytest.mark.parametrize("suite", sorted(SUITES))
def test_adapters_answer_exactly_as_the_4x_pipelines_did(suite, twin_folders):
    from transformers import pipeline

    task = SUITES[suite]
    adapter = adapter_for(task)
    probes = load_suite(PROJECT / f"fixtures/{suite}.yaml")
    for probe in probes:
        folder = str(twin_folders[probe.model])
        loaded = adapter.load(folder, None, Target("cpu", "float32"), True, None)
        ours = adapter.run(loaded, [probe.input], probe.params)[0]
        reference = pipeline(task, model=folder, device="cpu")
        theirs = reference(**probe.input) if suite == "question_answering" else reference(probe.input)[0]
        assert ours == theirs, probe.id
        if suite != "question_answering":
            assert loaded.generation_config.to_diff_dict() == reference.generation_config.to_diff_dict(), probe.id


def test_notes_baselines_hold_the_recorded_texts_exactly():
    summary = json.loads((PROJECT / "snapshots/summarization/sshleifer--distilbart-cnn-12-6@a4f8f3e/base.json")
                         .read_text())
    assert summary["output"]["summary_text"].startswith(" America has changed dramatically during recent years .")
    assert "civil,    electrical" in summary["output"]["summary_text"]
    assert summary["provenance"]["transformers"] == "4.55.2"
    fr_en = json.loads((PROJECT / "snapshots/translation/Helsinki-NLP--opus-mt-fr-en@main/base-fr-en.json").read_text())
    assert fr_en["output"] == {"translation_text": "This course is produced by Hugging Face."}
    en_pt = PROJECT / "snapshots/translation/Helsinki-NLP--opus-mt-tc-big-en-pt@main/exercicio-en-pt.json"
    assert json.loads(en_pt.read_text())["output"] == {"translation_text": "Olá, gostaria de fazer um pedido"}
    assert not list((PROJECT / "snapshots").glob("question_answering/*/*.json"))  # the notes printed no answer


def test_question_answering_judge_wants_the_answer_from_the_passage():
    passage = "Delivery informations: We deliver to neighborhoods x, y"
    judge = adapter_for("question-answering").judge
    assert judge({"answer_within": passage}, {"answer": "neighborhoods x, y", "score": 0.5}) == []
    assert judge({"answer_within": passage}, {"answer": "fresh fish", "score": 0.5})
    assert judge({"answer": "Hugging Face"}, {"answer": "Hugging Face in Brooklyn", "score": 0.5})
