"""The real NER and POS suites, end to end, against tiny random CoNLL-2003 and UPOS BERT twins."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeprobe.probes.catalogue import load_suite
from pipeprobe.tasks import adapter_for
from tests import twins
from tests.conftest import run_inprocess

FOLDERS = {
    ("ner", "base"): Path("snapshots/ner/dbmdz--bert-large-cased-finetuned-conll03-english@4c53496"),
    ("ner", "exercicio-dslim"): Path("snapshots/ner/dslim--bert-base-NER@main"),
    ("pos", "teste-01"): Path("snapshots/pos/vblagoje--bert-english-uncased-finetuned-pos@main"),
}
PROBES = 3
GROUPS = {"ner": {"PER", "ORG", "LOC", "MISC"}, "pos": set(twins.UPOS_LABELS)}


@pytest.fixture(scope="module")
def tagger_twins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("twins")
    conll = twins.build_conll_ner_twin(folder / "conll-ner")
    return {twins.NER_ID: conll, twins.NER_DEFAULT_ID: conll, twins.POS_ID: twins.build_upos_twin(folder / "upos")}


def test_update_writes_grouped_entities_then_a_second_run_matches(project, tagger_twins):
    mapping = str(twins.write_model_map(project.path / "map.toml", tagger_twins))
    update = run_inprocess(project, "-m", "ner or pos", f"--model-map={mapping}", "--snapshot-update")
    outcomes = update.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 2 * PROBES, outcomes
    assert not {"skipped", "error", "errors", "xfailed", "xpassed"} & outcomes.keys(), update.stdout.str()
    update.stdout.fnmatch_lines(["*loaded vblagoje/bert-english-uncased-finetuned-pos@main on cpu/float32*"])

    for (suite, probe), folder in FOLDERS.items():
        record = json.loads((project.path / folder / f"{probe}.json").read_text())
        assert record["provenance"]["transformers"] != "4.55.2"
        text, groups = record["input"], record["output"]
        assert groups and [group["start"] for group in groups] == sorted(group["start"] for group in groups)
        for group in groups:
            assert set(group) == {"entity_group", "score", "word", "start", "end"}
            assert group["entity_group"] in GROUPS[suite]
            assert isinstance(group["score"], float) and isinstance(group["start"], int)
            assert 0 <= group["start"] < group["end"] <= len(text)
    pos = json.loads((project.path / FOLDERS["pos", "teste-01"] / "teste-01.json").read_text())
    assert all(group["word"] == group["word"].lower() for group in pos["output"])

    again = run_inprocess(project, "-m", "ner or pos", f"--model-map={mapping}", "-k", "baseline")
    outcomes = again.parseoutcomes()
    assert outcomes.get("passed") == PROBES and not {"failed", "skipped", "error", "errors"} & outcomes.keys(), outcomes


def test_every_probe_of_the_four_suites_is_collected_under_its_markers(project):
    listed = run_inprocess(project, "-m", "zero_shot or fill_mask or ner or pos", "--co", "-q").stdout.str()
    assert "suites/test_pos.py::test_baseline[teste-01]" in listed
    assert "suites/test_ner.py::test_expectation[exercicio-dslim]" in listed
    assert re.search(r"\b22(/\d+)? tests collected", listed), listed


def test_notes_baselines_hold_the_grouped_entities_and_flag_the_doubtful_pos_score():
    root = Path(__file__).resolve().parents[2]
    ner = json.loads((root / FOLDERS["ner", "exercicio-dslim"] / "exercicio-dslim.json").read_text())
    assert [(g["entity_group"], g["word"], g["start"], g["end"]) for g in ner["output"]] == [
        ("PER", "Sylvain", 11, 18), ("ORG", "Hugging Face", 33, 45), ("LOC", "Brooklyn", 49, 57),
    ]
    pos = json.loads((root / FOLDERS["pos", "teste-01"] / "teste-01.json").read_text())
    assert len(pos["output"]) == 12
    assert pos["output"][3] == {"entity_group": "PROPN", "score": 0.9981525, "word": "sylvain", "start": 11, "end": 18}
    assert pos["output"][3]["score"] == ner["output"][0]["score"] and "0.9981525" in pos["doubtful"]


def test_the_expectations_hold_on_the_recorded_groups_and_a_missed_entity_is_named():
    root = Path(__file__).resolve().parents[2]
    judge = adapter_for("token-classification").judge
    for suite, probe_id in (("ner", "exercicio-dslim"), ("pos", "teste-01")):
        probe = next(p for p in load_suite(root / f"fixtures/{suite}.yaml") if p.id == probe_id)
        output = json.loads((root / FOLDERS[suite, probe_id] / f"{probe_id}.json").read_text())["output"]
        assert judge(probe.expect, output) == []
        missed = judge(probe.expect, output[1:])
        assert missed and output[0]["word"] in missed[0]
