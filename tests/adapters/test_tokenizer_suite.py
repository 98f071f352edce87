"""The tokenizer suite with the offline pack's tokenizer-only entries: the notes' uncased ids, for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeprobe.cli import pack
from tests import twins
from tests.conftest import run_inprocess

RUNNABLE = 5  # SST-2 and bert-base-uncased probes; the 12 bert-base-cased ones skip
PROBES = 17


@pytest.fixture(scope="module")
def tokenizer_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built before pytester snapshots sys.modules, so transformers' modules stay imported."""
    folder = tmp_path_factory.mktemp("pack")
    for target, class_name in pack.TOKENIZER_ONLY.values():
        pack.write_tokenizer(twins.minilm_folder(), folder / target, class_name)
    return pack.write_map(folder)


def test_uncased_probes_match_the_notes_records_and_cased_ones_skip_naming_the_model(project, tokenizer_map):
    result = run_inprocess(project, "suites/test_tokenizer.py", f"--model-map={tokenizer_map}", "-rs")
    result.assert_outcomes(passed=2 * RUNNABLE, skipped=2 * (PROBES - RUNNABLE))
    # two separate checks: the skip summary and the models section may come in either order
    result.stdout.fnmatch_lines(
        ["*loaded distilbert/distilbert-base-uncased-finetuned-sst-2-english@714eb0f on cpu/float32 (tokenizer)*"]
    )
    result.stdout.fnmatch_lines([
        "*model google-bert/bert-base-cased@main unavailable (why: *", "*pipeprobe models*",
        "*google-bert/bert-base-cased@main: unavailable, its 12 probes skipped: not in the model map*",
    ])


def test_a_tokenizer_only_entry_does_not_serve_the_model_itself(project, tokenizer_map):
    result = run_inprocess(project, "-m", "sentiment", "-k", "teste-01", f"--model-map={tokenizer_map}", "-rs")
    assert result.parseoutcomes().get("passed", 0) == 0
    result.stdout.fnmatch_lines(["*supplies only its tokenizer*text-classification needs the model*"])
