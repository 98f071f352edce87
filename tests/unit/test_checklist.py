"""Tests of many cases without a model: declarations, CheckList's rules and knobs, rates, gates, perturbations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeprobe.behaviour import checklist
from pipeprobe.behaviour.cases import CaseTestError, parse
from pipeprobe.behaviour.lexicons import builtin
from pipeprobe.behaviour.perturb import perturb
from pipeprobe.probes.catalogue import CatalogueError, load_suite
from tests.checklist_recompute import rates


def _test(tmp_path: Path = Path("."), **entry):
    base = {"name": "t", "capability": "Vocabulary", "type": "MFT", "max_fail_rate": 0.0}
    return parse({**base, **entry}, entry.pop("lang", "en") if "lang" in entry else "en", tmp_path)


def _out(positive: float) -> dict:
    return {"label": "positive" if positive >= 0.5 else "negative",
            "scores": {"positive": positive, "negative": 1 - positive}}


def test_inv_fails_only_when_the_prediction_flips_and_its_confidence_moves_past_the_threshold():
    test = _test(type="INV", cases=[{"text": "a", "variants": ["b"]}, {"text": "c", "variants": ["d"]},
                                    {"text": "e", "variants": ["f"]}])
    # a -> b: flips, positive 0.55 -> 0.48 (moved 0.07 <= 0.1): holds; c -> d: flips, 0.9 -> 0.3: fails;
    # e -> f: same prediction although the score moved 0.5: holds
    result = checklist.result(test, [_out(0.55), _out(0.48), _out(0.9), _out(0.3), _out(0.99), _out(0.51)])
    assert [case["status"] for case in result["data"]] == ["pass", "fail", "pass"]
    assert (result["cases"], result["failed"], result["fail_rate"]) == (3, 1, pytest.approx(1 / 3, abs=1e-6))
    strict = _test(type="INV", threshold=0, cases=[{"text": "a", "variants": ["b"]}])
    assert checklist.result(strict, [_out(0.55), _out(0.48)])["failed"] == 1  # threshold 0: any flip fails


def test_dir_tolerance_direction_named_label_and_the_cases_that_cannot_fail():
    cases = [{"text": "a", "variants": ["a2"]}, {"text": "b", "variants": ["b2"]}, {"text": "c", "variants": ["c2"]}]
    not_down = _test(type="DIR", direction="not_down", cases=cases)
    # original's prediction: a positive 0.8 -> 0.75 (within 0.1) holds; b positive 0.8 -> 0.6 fails;
    # c negative 0.95 (positive 0.05) -> negative conf 0.5: fails
    outputs = [_out(0.8), _out(0.75), _out(0.8), _out(0.6), _out(0.05), _out(0.5)]
    assert [c["status"] for c in checklist.result(not_down, outputs)["data"]] == ["pass", "fail", "fail"]
    of_positive = _test(type="DIR", direction="not_down", of="positive", cases=cases)
    # the positive confidence of c starts at 0.05 <= tolerance: it can't drop past it, so c is not applicable
    result = checklist.result(of_positive, outputs)
    assert [c["status"] for c in result["data"]] == ["pass", "fail", "n/a"]
    assert (result["cases"], result["not_applicable"]) == (2, 1)
    up = _test(type="DIR", direction="up", of="positive", tolerance=0.0, cases=cases[:1])
    assert checklist.result(up, [_out(0.8), _out(0.75)])["failed"] == 1  # up: any drop fails


def test_neutral_band_turns_a_two_class_model_into_three_labels_and_label_sets_accept_several():
    test = _test(label={"not": "negative"}, neutral_band=[0.3, 0.7], cases=["a", "b", "c"])
    result = checklist.result(test, [_out(0.5), _out(0.9), _out(0.2)])
    assert result["labels"] == ["negative", "neutral", "positive"]
    assert [case["pred"][0] for case in result["data"]] == ["neutral", "positive", "negative"]
    assert result["data"][0]["probs"][0] == [0.0, 1.0, 0.0]  # the band's middle: all neutral
    assert [case["status"] for case in result["data"]] == ["pass", "pass", "fail"]


def test_gates_name_the_rate_and_examples_and_metrics_have_their_own_thresholds():
    test = _test(cases=[{"text": "good", "label": "positive"}, {"text": "bad", "label": "negative"}],
                 max_fail_rate=0.4, metrics={"accuracy": 0.9, "macro_f1": 0.9})
    result = checklist.result(test, [_out(0.9), _out(0.8)])
    assert result["metrics"] == {"accuracy": 0.5, "macro_f1": pytest.approx(1 / 3, abs=1e-6)}
    problems = checklist.gate(test, result)
    assert problems[0].startswith("Vocabulary MFT t: 1 of 2 cases failed (rate 0.500 > max_fail_rate 0.4)")
    assert "'bad' -> positive 0.80 (expected negative)" in problems[0]
    assert problems[1:] == ["t: accuracy 0.500 is below 0.9", "t: macro_f1 0.333 is below 0.9"]


def test_templates_fill_every_combination_or_a_seeded_sample_with_articles_and_second_draws():
    every = _test(template="{first_name} met {first_name1}.", lexicons={"first_name": ["Ann", "Bo", "Cy"]},
                  label="positive")
    assert sorted(case.text for case in every.cases) == sorted(
        f"{a} met {b}." for a in ("Ann", "Bo", "Cy") for b in ("Ann", "Bo", "Cy") if a != b)
    sample = _test(template="The {noun} was {a:pos_adj} one.", nsamples=40, label="positive")
    assert len(sample.cases) == 40 and sample == _test(template="The {noun} was {a:pos_adj} one.", nsamples=40,
                                                       label="positive")
    assert any(" an " in case.text for case in sample.cases) and all(" a a" not in case.text for case in sample.cases)
    with pytest.raises(CaseTestError, match="no built-in lexicon 'colour'"):
        _test(template="{colour}", label="positive")


def test_data_files_map_columns_and_stay_beside_the_probe_file(tmp_path: Path):
    (tmp_path / "rows.jsonl").write_text(json.dumps({"t": "fine", "y": "positive", "v": "fine!|FINE"}) + "\n")
    (tmp_path / "rows.csv").write_text("t,y\nawful,negative\n")
    test = _test(tmp_path, type="INV", data={"file": "rows.jsonl", "text": "t", "label": "y", "variants": "v"})
    assert test.cases[0].variants == (("variant#1", "fine!"), ("variant#2", "FINE"))
    assert _test(tmp_path, data={"file": "rows.csv", "text": "t", "label": "y"}).cases[0].label == {"negative"}
    with pytest.raises(CaseTestError, match="outside"):
        _test(tmp_path, data={"file": "../../etc/passwd", "text": "t", "label": "y"})


def test_a_case_no_perturbation_can_change_is_not_applicable_never_a_file_error():
    test = _test(type="INV", cases=["Scott met Nicole in Boston.", "It was fine."], perturb={"name": 2})
    assert [case.text for case in test.cases] == ["Scott met Nicole in Boston."]
    assert test.not_applicable == ("It was fine.",)
    assert checklist.result(test, [_out(0.9)] * 3)["not_applicable"] == 1


def test_perturbations_find_hundreds_of_names_places_and_protected_words_in_english_and_portuguese():
    names = builtin("en")["first_name"]
    assert len(names) >= 200 and len(builtin("pt")["first_name"]) >= 150
    found = sum(perturb(f"{name} loved it.", "name", 1, 0)[0].text != f"{name} loved it." for name in names)
    assert found == len(names)  # every built-in name is found (CheckList's Scott, Nicole, Logan, Austin...)
    assert perturb("Paulo mora em São Paulo", "name", 1, 0, "pt")[0].text.endswith("em São Paulo")
    assert "New York" not in perturb("I live in New York", "location", 1, 0)[0].text
    assert perturb("We had an Iraqi pilot.", "protected", 3, 1)[0].text.startswith("We had a")
    assert perturb("The food was good", "intensifier", 1, 0)[0].text != "The food was good"
    assert perturb("O filme foi ótimo", "reducer", 1, 0, "pt")[0].text.split()[-2] in builtin("pt")["reducer"] + (
        "pouco",)
    assert "@" in perturb("see @bob", "handle", 1, 0)[0].text and "https://" in perturb("hi", "add_url", 1, 0)[0].text


def test_a_probe_file_of_tests_gives_one_probe_per_test_and_faults_name_the_test(tmp_path: Path):
    path = tmp_path / "cl.yaml"
    path.write_text("suite: cl\ntask: lm-classification\nmodel: m\ntests:\n"
                    "  - {name: a, capability: NER, type: INV, template: '{first_name} is here.', nsamples: 5,"
                    " perturb: [name], max_fail_rate: 0.1}\n", encoding="utf-8")
    [probe] = load_suite(path)
    assert (probe.id, probe.input["cases"], "checklist" in probe.markers) == ("a", 5, True)
    path.write_text(path.read_text().replace("type: INV", "type: XYZ"), encoding="utf-8")
    with pytest.raises(CatalogueError, match="test 'a': type"):
        load_suite(path)


def test_the_recomputation_from_case_data_agrees_with_the_result():
    test = _test(type="INV", threshold=0.05, cases=[{"text": str(i), "variants": [f"{i}'", f"{i}''"]}
                                                    for i in range(30)])
    scores = [0.5 + ((i * 37) % 50 - 25) / 100 for i in range(90)]
    result = checklist.result(test, [_out(value) for value in scores])
    assert rates(result) == (result["cases"], result["failed"], result["fail_rate"])


def test_the_capability_table_sorts_by_capability_and_type_and_caps_examples():
    from pipeprobe.report.capabilities import document_section, html_table, text_lines

    rows = []
    for name, kind, capability, scores in (("b", "DIR", "NER", [0.9, 0.2]), ("a", "MFT", "NER", [0.2] * 5)):
        entry = {"cases": ["x", "y", "z", "w", "v"], "label": "positive"} if kind == "MFT" else {
            "cases": [{"text": "x", "variants": ["y"]}], "direction": "not_down"}
        test = _test(name=name, type=kind, capability=capability, max_fail_rate=0.1, **entry)
        rows.append(checklist.summary_row(checklist.result(test, [_out(value) for value in scores]), []))
    lines = text_lines(rows)
    assert lines[0].split() == ["capability", "type", "test", "cases", "failed", "rate", "gate", "n/a", "flipped"]
    assert lines[1].split()[:7] == ["NER", "MFT", "a", "5", "5", "1.000", "<="]
    assert sum(line.startswith("    e.g.") for line in lines) == 3  # two of a's five, one of b's
    section = document_section([{"suite": "s", "case_test": row} for row in rows] + [{"suite": "s"}])
    assert section["by_capability"] == {"NER": {"tests": 2, "cases": 6, "failed": 6, "fail_rate": 1.0}}
    assert "&#x27;x&#x27; -&gt; negative" in html_table(rows)
