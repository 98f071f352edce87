"""Perturbations, metamorphic and stochastic results, and the rate comparison: no model needed."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from pipeprobe.baselines.compare import differences
from pipeprobe.behaviour import members as behaviour
from pipeprobe.behaviour import metamorphic, stochastic
from pipeprobe.behaviour.perturb import KINDS, PerturbError, perturb, seed_for
from pipeprobe.tolerance import CPU_FLOAT32


def test_perturbations_are_deterministic_distinct_and_change_the_text():
    text = "I've been waiting for a HuggingFace course my whole life."
    for kind in ("typo", "casing", "punctuation", "whitespace", "contraction", "append"):
        first = perturb(text, kind, 2, seed_for("probe"), "en")
        assert first == perturb(text, kind, 2, seed_for("probe"), "en")
        assert all(variant.text != text for variant in first)
        assert len({variant.text for variant in first}) == len(first)
    assert perturb(text, "typo", 3, seed_for("a")) != perturb(text, "typo", 3, seed_for("b"))
    assert seed_for("probe") == zlib.crc32(b"probe")  # not hash(): the same on every machine and run


def test_negation_contractions_names_and_numbers_in_english_and_portuguese():
    assert perturb("I love instrumental music", "negation", 1, 0)[0].text == "I don't love instrumental music"
    assert perturb("I hate apple pie", "negation", 1, 0)[0].text == "I don't hate apple pie"
    assert perturb("EU amo você", "negation", 1, 0, "pt")[0].text == "EU não amo você"
    assert perturb("eu tenho ódio de uva passas", "negation", 1, 0, "pt")[0].text == "eu não tenho ódio de uva passas"
    assert perturb("I'm honestly disappointed", "contraction", 1, 0)[0].text == "I am honestly disappointed"
    assert perturb("Eu gosto de você", "contraction", 1, 0, "pt")[0].text == "Eu gosto de vc"
    assert perturb("Mary met John", "name", 1, 0)[0].text != "Mary met John"
    assert perturb("eating 3 slices", "number", 1, 0)[0].text != "eating 3 slices"


def test_a_perturbation_that_finds_nothing_to_change_is_one_clear_error():
    with pytest.raises(PerturbError, match="negation.*finds nothing to change"):
        perturb("Hello.", "negation", 1, 0)
    with pytest.raises(PerturbError, match="unknown perturbation 'shout'"):
        perturb("Hello.", "shout", 1, 0)
    assert "negation" in KINDS


def _declared(**entry):
    return behaviour.parse({"input": "I love instrumental music", **entry}, "p", "en")


def test_metamorphic_result_fail_rate_and_gate():
    declared = _declared(perturb={"casing": 2}, invariant="label", max_fail_rate=0.4).metamorphic
    inputs = metamorphic.inputs(declared, "p", "I love instrumental music", "en")
    assert inputs == ["I love instrumental music", "i love instrumental music", "I LOVE INSTRUMENTAL MUSIC"]
    outputs = [{"label": "POSITIVE"}, {"label": "POSITIVE"}, {"label": "NEGATIVE"}]
    result = metamorphic.result(declared, "p", inputs[0], "en", outputs)
    assert result["fail_rate"] == 0.5 and result["failed"] == ["casing#2"]
    assert result["variants"][1]["why"] == "label 'POSITIVE' -> 'NEGATIVE' (must stay)"
    (line,) = metamorphic.gate(declared, result)
    assert "1 of 2 variants failed (fail rate 0.50 > max_fail_rate 0.4)" in line and "I LOVE" in line


def test_direction_and_counterpart():
    declared = _declared(perturb=["negation"], counterpart={"lang": "pt", "input": "Eu amo música"},
                         direction={"scores.positive": "down"})
    assert declared.markers == ("directional", "cross_lingual")
    outputs = [{"scores": {"positive": 0.8}}, {"scores": {"positive": 0.3}}, {"scores": {"positive": 0.9}}]
    result = metamorphic.result(declared.metamorphic, "p", "I love instrumental music", "en", outputs)
    assert [v["name"] for v in result["variants"]] == ["negation#1", "counterpart (pt)"]
    assert result["failed"] == ["counterpart (pt)"]


@pytest.mark.parametrize("entry, message", [
    ({"perturb": ["typo"]}, "needs 'invariant' or 'direction'"),
    ({"invariant": "label"}, "need variants"),
    ({"perturb": ["typo"], "invariant": "label", "max_fail_rate": 2}, "max_fail_rate must be a number from 0 to 1"),
    ({"perturb": {"typo": 0}, "invariant": "label"}, "count must be a whole number from 1 to 100"),
    ({"repeats": 1}, "repeats must be a whole number from 2"),
    ({"repeats": 5, "perturb": ["typo"], "invariant": "label"}, "not both"),
])
def test_bad_declarations_are_one_line(entry, message):
    with pytest.raises(behaviour.BehaviourError, match=message):
        _declared(**entry)


def test_a_bad_declaration_in_a_probe_file_names_the_file_and_probe(tmp_path: Path):
    from pipeprobe.probes.catalogue import CatalogueError, load_suite

    path = tmp_path / "bad.yaml"
    path.write_text(
        "suite: bad\ntask: text-classification\nmodel: m\nprobes:\n"
        "  - {id: p, input: 'Hello.', expect: {}, perturb: [negation], invariant: label}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=r"bad.yaml: probe 'p': perturbation 'negation' finds nothing"):
        load_suite(path)


def test_stochastic_result_gate_and_binomial_tolerance():
    declared = stochastic.parse({"repeats": 4, "min_pass_rate": 0.75})
    seeds = stochastic.seeds(declared, "p", {"seed": 10})
    assert seeds == [10, 11, 12, 13]
    outputs = [{"ok": True}, {"ok": False}, {"ok": True}, {"ok": False}]
    result = stochastic.result(declared, seeds, outputs, lambda out: [] if out["ok"] else ["not ok"])
    assert (result["passes"], result["pass_rate"]) == (2, 0.5)
    (line,) = stochastic.gate(declared, result)
    assert "pass rate 0.50 (2/4) is below min_pass_rate 0.75" in line and "seed 11: not ok" in line
    assert stochastic.binomial_tolerance(0.5, 100) == pytest.approx(0.15)
    assert stochastic.binomial_tolerance(1.0, 20) > 0.1  # a perfect rate still gets a tolerance


def test_a_rate_compares_within_its_binomial_tolerance_and_ignores_the_samples():
    baseline = {"repeats": 20, "passes": 16, "pass_rate": 0.8, "samples": [{"seed": 1}], "tolerance": 0.27}
    near = {**baseline, "passes": 18, "pass_rate": 0.9, "samples": [{"seed": 1, "other": "text"}]}
    far = {**baseline, "passes": 6, "pass_rate": 0.3}
    assert differences(baseline, near, CPU_FLOAT32) == []
    (found,) = differences(baseline, far, CPU_FLOAT32)
    assert found.path == "pass_rate" and found.delta == pytest.approx(0.5)
    assert [d.path for d in differences(baseline, {**near, "repeats": 10}, CPU_FLOAT32)] == ["repeats"]


def test_the_sampling_judgement_agrees_with_the_notes_on_their_two_recorded_texts():
    import yaml

    from pipeprobe.language.expect import judge

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    probe = yaml.safe_load((fixtures / "smollm2_sampling.yaml").read_text(encoding="utf-8"))["probes"][0]
    first = (
        "The clouds are sereny and bright, and the air is so fresh that people can breathe freely without looking down."
    )
    second = "The clouds are sereny and bright, and I can see the stars and the stars and the stars. And I"
    assert judge(probe["expect"], {"generated_text": first, "new_tokens": 15}) == []
    assert judge(probe["expect"], {"generated_text": second, "new_tokens": 15}) != []  # "muito aleatório"
