"""Rankings compare as key -> score pairs: ties don't fix an order, clear gaps do."""

from pipeprobe.baselines.compare import differences, largest_delta
from pipeprobe.tolerance import CPU_FLOAT32

TESTE_1 = {
    "labels": ["Information", "Order", "Menu"],
    "scores": [0.6081867814064026, 0.21226967871189117, 0.17954352498054504],
}


def paths(baseline, output):
    return [difference.path for difference in differences(baseline, output, CPU_FLOAT32)]


def test_a_label_ranking_matches_itself_and_reports_a_score_beyond_tolerance_by_label():
    assert paths(TESTE_1, TESTE_1) == []
    moved = {"labels": TESTE_1["labels"], "scores": [0.6081867814064026, 0.2125, 0.17954352498054504]}
    assert paths(TESTE_1, moved) == ["scores['Order']"]


def test_tied_labels_may_come_in_either_order_but_a_clear_gap_may_not_be_inverted():
    tied = {"labels": ["a", "b", "c"], "scores": [0.4, 0.30000001, 0.3]}
    assert paths(tied, {"labels": ["a", "c", "b"], "scores": [0.4, 0.3, 0.30000001]}) == []
    moved = {"labels": ["a", "c", "b"], "scores": [0.4, 0.31, 0.3]}
    assert paths(tied, moved) == ["scores['c']"]
    inverted = {"labels": ["Order", "Information", "Menu"], "scores": TESTE_1["scores"]}
    assert "scores (order)" in paths(TESTE_1, inverted)


def test_a_label_ranking_with_other_labels_or_extra_keys_differs():
    other = {"labels": ["Information", "Order", "Food"], "scores": TESTE_1["scores"]}
    assert "scores (members)" in paths(TESTE_1, other)
    assert paths(TESTE_1, {**TESTE_1, "sequence": "x"}) == ["sequence"]


def test_scored_items_are_matched_by_token_and_their_other_fields_compare_exactly():
    top2 = [
        {"score": 0.6997271180152893, "token": 1621, "token_str": "the", "sequence": "about the models"},
        {"score": 0.04927678406238556, "token": 123, "token_str": "a", "sequence": "about a models"},
    ]
    assert paths(top2, list(reversed(top2))) == ["(order)"]
    renamed = [top2[0], {**top2[1], "token_str": "A"}]
    assert paths(top2, renamed) == ["[token=123].token_str"]
    assert largest_delta(top2, [top2[0], {**top2[1], "score": 0.05}]) > 7e-4


def test_a_top_k_cut_on_a_tie_may_swap_the_last_item_but_not_a_clearly_ranked_one():
    top2 = [{"label": "cat", "score": 0.5}, {"label": "dog", "score": 0.25}]
    assert paths(top2, [{"label": "cat", "score": 0.5}, {"label": "fox", "score": 0.25000001}]) == []
    assert paths(top2, [{"label": "cat", "score": 0.5}, {"label": "fox", "score": 0.2}]) == ["(members)"]
    assert paths(top2, [{"label": "fox", "score": 0.5}, {"label": "dog", "score": 0.25}]) == ["(members)"]


def test_spans_and_unnamed_lists_keep_their_order():
    entities = [
        {"entity_group": "PER", "score": 0.9981525, "word": "Sylvain", "start": 11, "end": 18},
        {"entity_group": "LOC", "score": 0.9971419, "word": "Brooklyn", "start": 49, "end": 57},
    ]
    assert paths(entities, list(reversed(entities))) != []
    assert paths([0.5, 0.25], [0.25, 0.5]) == ["[0]", "[1]"]
