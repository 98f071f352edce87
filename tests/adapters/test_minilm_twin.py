"""The minilm suite end to end, against a tiny random BertModel with all-MiniLM-L6-v2's tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import twins
from tests.conftest import run_inprocess

SNAPSHOTS = Path("snapshots/minilm/sentence-transformers--all-MiniLM-L6-v2@main")
PROBES = 9


@pytest.fixture(scope="module")
def minilm_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return twins.build_minilm_twin(tmp_path_factory.mktemp("twins") / "minilm")


def test_minilm_suite_records_then_matches_and_shows_padding_and_the_512_limit(project, minilm_twin):
    twin = minilm_twin
    mapping = twins.write_model_map(project.path / "map.toml", {twins.MINILM_ID: twin})
    update = run_inprocess(
        project, "suites/test_minilm.py", f"--model-map={mapping}", "-k", "baseline", "--snapshot-update"
    )
    update.assert_outcomes(passed=PROBES, deselected=PROBES)
    records = {path.stem: json.loads(path.read_text())["output"] for path in (project.path / SNAPSHOTS).glob("*.json")}
    assert records["truncation-512"] == {"tokens": 512, "last_hidden_state": [1, 512, 384]}
    assert records["beyond-512-without-truncation"]["tokens"] > 512
    assert "error" in records["beyond-512-without-truncation"]
    assert records["padding-attention-mask"]["with_mask_max_diff"] < 1e-5
    assert records["padding-attention-mask"]["without_mask_max_diff"] > 1e-3

    again = run_inprocess(project, "suites/test_minilm.py", f"--model-map={mapping}")
    # a random twin has no notion of similarity: only those two expectations may miss
    outcomes = again.parseoutcomes()
    assert outcomes["passed"] >= 2 * PROBES - 2 and outcomes.get("failed", 0) <= 2, again.stdout.str()
    assert again.stdout.str().count("FAILED suites/test_minilm.py::test_expectation[similarity") == outcomes.get(
        "failed", 0
    )
