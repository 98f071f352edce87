"""A label set against the pinned one: only the difference, a typo paired with its near-miss."""

from pipeprobe.models.labels import label_difference

EMOTIONS = ["admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity", "desire",
            "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear", "gratitude", "grief",
            "joy", "love", "nervousness", "optimism", "pride", "realization", "relief", "remorse", "sadness",
            "surprise"]


def test_one_typo_in_27_labels_names_only_the_typo() -> None:
    found = [label if label != "gratitude" else "gratitdue" for label in EMOTIONS]
    message = label_difference(found, EMOTIONS)
    assert message == "missing 'gratitude' (has 'gratitdue'?); unexpected 'gratitdue' (26 of 27 pinned labels agree)"
    assert "admiration" not in message


def test_agreeing_sets_in_any_order_are_no_difference() -> None:
    assert label_difference(reversed(EMOTIONS), EMOTIONS) is None


def test_long_differences_are_cut_with_a_count() -> None:
    message = label_difference([f"LABEL_{i}" for i in range(27)], EMOTIONS)
    assert "and 22 more" in message and message.count("'") == 20  # 5 missing + 5 unexpected names, quoted
