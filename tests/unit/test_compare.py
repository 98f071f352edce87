"""Tolerance-aware comparison: exact where it must be, within tiers for floats."""

from pipeprobe.baselines.compare import differences, largest_delta
from pipeprobe.tolerance import CPU_FLOAT32, HALF_PRECISION, tier_for


def test_tiers_follow_device_and_dtype():
    assert tier_for("cpu", "float32") == CPU_FLOAT32
    assert tier_for("cuda:0", "float32").abs == 2e-3
    assert tier_for("cpu", "bfloat16") == HALF_PRECISION
    assert tier_for("mps", "float16") == HALF_PRECISION


def test_scores_within_tolerance_match_and_beyond_it_do_not():
    baseline = {"label": "POSITIVE", "score": 0.9598046541213989}
    assert differences(baseline, {"label": "POSITIVE", "score": 0.95985}, CPU_FLOAT32) == []
    found = differences(baseline, {"label": "POSITIVE", "score": 0.9597}, CPU_FLOAT32)
    assert [difference.path for difference in found] == ["score"]
    assert abs(found[0].delta - 1.046541213989e-4) < 1e-12


def test_labels_ids_and_lengths_compare_exactly():
    assert [d.path for d in differences({"label": "A"}, {"label": "B"}, HALF_PRECISION)] == ["label"]
    assert [d.path for d in differences([101, 102], [101, 103], HALF_PRECISION)] == ["[1]"]
    assert [d.path for d in differences({"ids": [1, 2]}, {"ids": [1]}, HALF_PRECISION)] == ["ids (length)"]
    assert [d.path for d in differences({"a": 1}, {"b": 1}, HALF_PRECISION)] == ["a", "b"]


def test_an_int_is_not_a_string_and_a_bool_is_not_a_number():
    assert differences({"id": 1}, {"id": "1"}, CPU_FLOAT32)
    assert differences({"x": 1.0}, {"x": True}, CPU_FLOAT32)


def test_largest_delta_reports_the_biggest_float_move():
    assert largest_delta({"s": [0.5, 0.25]}, {"s": [0.5, 0.375]}) == 0.125


def test_a_loose_tolerance_wins_when_comparing_two_targets():
    assert CPU_FLOAT32.loosest(HALF_PRECISION) == HALF_PRECISION
    assert HALF_PRECISION.loosest(CPU_FLOAT32) == HALF_PRECISION


def test_a_variants_why_is_report_text_and_its_scores_are_compared_within_the_tier():
    from pipeprobe.baselines.compare import differences
    from pipeprobe.tolerance import CPU_FLOAT32

    def variant(score: float, why: str) -> dict:
        return {"name": "negation#1", "holds": False, "output": {"score": score}, "why": why}

    baseline = variant(0.42345336898143315, "score 0.4485 -> 0.42345336898143315 (must go up)")
    assert differences(baseline, variant(0.42345220482869567, "score 0.4485 -> 0.42345220482869567 (must go up)"),
                       CPU_FLOAT32) == []
    assert differences(baseline, {**variant(0.42345, "x"), "holds": True}, CPU_FLOAT32)
    assert differences(baseline, variant(0.5, "score 0.4485 -> 0.5 (must go up)"), CPU_FLOAT32)
