"""Micro-batching: batched outputs equal per-probe outputs within the tier, on twins, for every batchable task;
the planner keeps the notes' groups, sorts by length and runs only what the session selected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeprobe.baselines.compare import differences
from pipeprobe.devices import Target
from pipeprobe.execution.batching import BatchPlanner
from pipeprobe.probes.catalogue import Probe, Source
from pipeprobe.tasks import ADAPTERS, adapter_for
from pipeprobe.tolerance import tier_for
from tests import twins

CPU = Target("cpu", "float32")
SENTENCES = [
    "Hi.",
    "I hate this so much!",
    "My name is Sylvain and I work at Hugging Face in Brooklyn.",
    "I've been waiting for a HuggingFace course my whole life.",
    "Eu gostei muito do curso. Ele mora em São Paulo e trabalha no Rio de Janeiro, perto do mar.",
    "Nice!",
    "The quick brown fox jumps over the lazy dog, then over the lazy cat, then over the whole farm again and again.",
    "Paris",
    "This movie was not good at all, although the actors tried.",
]
# task -> (twin builder, the probe parameters the suites use, inputs)
CASES: dict[str, tuple[Any, dict[str, Any], list[Any]]] = {
    "text-classification": (twins.build_sst2_twin, {}, SENTENCES),
    "fill-mask": (twins.build_roberta_mlm_twin, {"top_k": 2},
                  [f"{text.rstrip('.!')} <mask>." for text in SENTENCES]),
    "token-classification": (twins.build_conll_ner_twin, {"aggregation_strategy": "simple"}, SENTENCES),
    "feature-extraction": (twins.build_minilm_twin, {}, SENTENCES),
}


def test_every_batchable_adapter_is_compared_here():
    assert {task for task, adapter in ADAPTERS.items() if adapter.batches} == set(CASES)


@pytest.mark.parametrize("task", sorted(CASES))
def test_batched_outputs_match_per_probe_outputs_within_the_tier(task: str, tmp_path: Path):
    build, params, inputs = CASES[task]
    adapter = adapter_for(task)
    loaded = adapter.load(str(build(tmp_path / "twin")), None, CPU, True, None)
    alone = [adapter.run(loaded, [item], params)[0] for item in inputs]
    order = sorted(range(len(inputs)), key=lambda index: len(inputs[index]))
    batched_sorted = adapter.run(loaded, [inputs[index] for index in order], params, batch_size=4)
    batched = dict(zip(order, batched_sorted, strict=True))
    tolerance = tier_for(CPU.device, CPU.dtype)
    for index, item in enumerate(inputs):
        assert differences(alone[index], batched[index], tolerance) == [], (task, item)
    assert adapter.run(loaded, inputs, params, batch_size=1) == alone  # 1 is the per-probe way


def _probe(probe_id: str, text: Any, *, model: str = "m", task: str = "text-classification",
           params: dict | None = None, batch: str | None = None, suite: str = "s") -> Probe:
    return Probe(
        id=probe_id, suite=suite, task=task, marker="sentiment", model=model, lang="en",
        source=Source("section", "test"), input=text, expect={}, batch=batch, params=params or {},
    )


def test_planner_groups_by_model_task_and_params_and_sorts_by_length():
    probes = {
        "s": [_probe("long", "x" * 30), _probe("short", "x"), _probe("mid", "x" * 10),
              _probe("other-params", "xx", params={"top_k": 2}), _probe("other-model", "xx", model="n")],
        "t": [_probe("elsewhere", "x" * 5, suite="t")],
    }
    planner = BatchPlanner(probes, batch_size=2)
    members, size = planner.members(probes["s"][0], batches=True)
    assert size == 2
    assert [member.id for member in members] == ["mid", "long"]
    assert [member.id for member in planner.members(probes["s"][1], batches=True)[0]] == ["short", "elsewhere"]
    assert [member.id for member in planner.members(probes["s"][3], batches=True)[0]] == ["other-params"]
    assert [member.id for member in planner.members(probes["s"][4], batches=True)[0]] == ["other-model"]


def test_planner_keeps_the_notes_batches_and_runs_per_probe_when_asked():
    probes = {"s": [_probe("a", "aaaa", batch="teste-07"), _probe("b", "b"), _probe("c", "c", batch="teste-07")]}
    planner = BatchPlanner(probes, batch_size=32)
    assert [member.id for member in planner.members(probes["s"][0], batches=True)[0]] == ["a", "c"]
    assert planner.members(probes["s"][0], batches=True)[1] == 1  # as the notes ran them
    assert [member.id for member in planner.members(probes["s"][1], batches=True)[0]] == ["b"]
    assert BatchPlanner(probes, batch_size=1).members(probes["s"][1], batches=True) == ([probes["s"][1]], 1)
    assert BatchPlanner(probes, batch_size=8).members(probes["s"][1], batches=False) == ([probes["s"][1]], 1)


def test_planner_runs_only_the_selected_probes():
    probes = {"s": [_probe(name, name) for name in ("a", "bb", "ccc", "dddd")]}
    planner = BatchPlanner(probes, batch_size=8)
    planner.select([probes["s"][1], probes["s"][3]])
    assert [member.id for member in planner.members(probes["s"][1], batches=True)[0]] == ["bb", "dddd"]
    # a probe outside the selection (run directly) still gets an answer, never someone else's batch
    assert [member.id for member in planner.members(probes["s"][0], batches=True)[0]] == ["a"]


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_batch_size_below_one_is_one_line_and_a_usage_error(project, value):
    from tests.conftest import run_inprocess

    result = run_inprocess(project, "--co", "-q", f"--probe-batch-size={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--probe-batch-size={value}:" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_a_long_outlier_gets_its_own_batch_so_padding_stays_bounded():
    probes = {"s": [_probe("a", "x" * 10), _probe("b", "x" * 11), _probe("c", "x" * 12), _probe("long", "x" * 400)]}
    planner = BatchPlanner(probes, batch_size=32)
    assert [member.id for member in planner.members(probes["s"][0], batches=True)[0]] == ["a", "b", "c"]
    assert [member.id for member in planner.members(probes["s"][3], batches=True)[0]] == ["long"]


def test_batched_similarity_matches_one_call_per_probe_within_the_tier(tmp_path: Path):
    """Similarity probes share their micro-batch's forward passes (every query and candidate, length-sorted)."""
    adapter = adapter_for("feature-extraction")
    loaded = adapter.load(str(twins.build_minilm_twin(tmp_path / "minilm")), None, CPU, True, None)
    items = [{"query": SENTENCES[index], "candidates": SENTENCES[index + 1:index + 4]} for index in range(6)]
    params = {"check": "similarity"}
    alone = adapter.run(loaded, items, params, batch_size=1)
    batched = adapter.run(loaded, items, params, batch_size=4)
    tolerance = tier_for("cpu", "float32")
    for one, many in zip(alone, batched, strict=True):
        assert differences(one, many, tolerance) == []
