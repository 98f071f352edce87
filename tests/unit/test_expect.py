"""The expectation language: paths, operators, the lines a person reads, and misfits."""

from __future__ import annotations

import pytest

from pipeprobe.language import expect
from pipeprobe.language.expect import ExpectMisfit

OUTPUT = {
    "scores": [0.6712, 0.1043],
    "order": [0, 1],
    "label": "POSITIVE",
    "entities": [{"entity_group": "PER", "word": "Clara"}, {"entity_group": "LOC", "word": "Berkeley"}],
    "id2label": {"0": "NEGATIVE", "1": "POSITIVE"},
    "flag": True,
    "text": " I have a dream",
}


@pytest.mark.parametrize(
    ("entry", "holds"),
    [
        ({"label": "POSITIVE"}, True),
        ({"label": "NEGATIVE"}, False),
        ({"scores.0": {"approx": 0.6710, "abs": 0.0005}}, True),
        ({"scores.0": {"approx": 0.6660, "abs": 0.0005}}, False),
        ({"scores.0": {"approx": 0.67, "rel": 0.01}}, True),
        ({"scores.-1": {"below": 0.2}}, True),
        ({"scores.1": {"above": 0.2}}, False),
        ({"scores.0": {"between": [0.6, 0.7]}}, True),
        ({"entities.1.word": "Berkeley"}, True),
        ({"entities.0.entity_group": {"one_of": ["PER", "ORG"]}}, True),
        ({"entities": {"len": 2}}, True),
        ({"order": [0, 1]}, True),
        ({"order": {"contains": 1}}, True),
        ({"text": {"contains": "dream"}}, True),
        ({"text": {"matches": r"^\s*I have"}}, True),
        ({"id2label": {"equals": {0: "NEGATIVE", 1: "POSITIVE"}}}, True),  # YAML's int keys match JSON's
        ({"id2label": {"equals": {0: "NEGATIVE"}}}, False),
        ({"flag": True}, True),
        ({"flag": 1}, False),  # a boolean is not a number
        ({0: "x"}, None),  # an int key is a list index: the output is a mapping, so a misfit
    ],
)
def test_each_operator_means_what_it_says(entry, holds):
    if holds is None:
        with pytest.raises(ExpectMisfit):
            expect.judge(entry, OUTPUT)
        return
    assert (expect.judge(entry, OUTPUT) == []) is holds


def test_a_missed_approx_names_path_expected_output_and_tolerance():
    (line,) = expect.judge({"scores.0": {"approx": 0.6660, "abs": 0.0005}}, OUTPUT)
    assert line == "scores.0: expected approx 0.666 (tolerance abs 0.0005), got 0.6712 (off by 0.0052)"


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"scores": {"above": 0.14}}, "path scores: above needs a number, but the output is a list [0.6712, 0.1043]"),
        ({"scores.5": 1}, "path scores.5: scores has 2 item(s), no index 5"),
        ({"scores.first": 1}, "path scores.first: scores is a list, so 'first' must be an index"),
        ({"label.x": 1}, "path label.x: label is a string 'POSITIVE', which has no 'x'"),
        ({"labels": 1}, "path labels: the output has no key 'labels'"),
        ({"label": {"len": 3}}, None),
        ({"flag": {"contains": "x"}}, "path flag: contains needs a string, list or mapping, not a boolean True"),
    ],
)
def test_a_path_or_operator_that_does_not_fit_is_one_line_never_a_type_error(entry, words):
    if words is None:  # len on a string is fine: it just doesn't hold
        assert expect.judge(entry, OUTPUT) == ["label: expected length 3, got length 8: 'POSITIVE'"]
        return
    with pytest.raises(ExpectMisfit) as caught:
        expect.judge(entry, OUTPUT)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"a": {"near": 1}}, "must be one operator mapping"),
        ({"a": {"above": 1, "below": 2}}, "must be one operator mapping"),
        ({"a": {"above": "high"}}, "above needs a finite number"),
        ({"a": {"approx": 1, "abs": -1}}, "abs must be a finite number >= 0"),
        ({"a": {"above": 1, "abs": 1}}, "above takes no abs"),
        ({"a": {"between": [2, 1]}}, "low 2 is above high 1"),
        ({"a": {"between": 1}}, "needs [low, high]"),
        ({"a": {"matches": "("}}, "is not a regular expression"),
        ({"a": {"one_of": "x"}}, "needs a list"),
        ({"a": {"len": -1}}, "needs a whole number >= 0"),
        ({"a..b": 1}, "empty step in the path"),
    ],
)
def test_malformed_entries_are_found_when_the_file_is_read(entry, words):
    (problem,) = expect.validate(entry)
    assert words in problem


def test_named_checks_take_their_keys():
    checks = {"count": lambda wanted, output: None if len(output) == wanted else f"count: {len(output)}"}
    assert expect.validate({"count": {"anything": 1}}, checks) == []
    assert expect.judge({"count": 3, "0": 1}, [1, 2, 3], checks) == []
    assert expect.judge({"count": 2}, [1, 2, 3], checks) == ["count: 3"]


def test_a_tier_bound_is_the_runs_tolerance_tier():
    from pipeprobe.language.expect import bind_tier, judge, validate
    from pipeprobe.probes.catalogue import bind_tiers

    expect = {"with_mask_max_diff": {"below": "tier"}, "score": {"approx": 0.5, "abs": "tier"}}
    assert validate(expect) == []
    float32 = bind_tier(expect, 1e-4, 1e-4)
    bfloat16 = bind_tier(expect, 2e-2, 2e-2)
    output = {"with_mask_max_diff": 0.0076, "score": 0.51}
    assert len(judge(float32, output)) == 2  # a float32 run holds the claim to 1e-4
    assert judge(bfloat16, output) == []  # well inside bfloat16's tier
    assert validate({"x": {"below": "tiers"}}) != []
    assert bind_tiers({}, 1e-4, 1e-4) == {}
