"""Question answering ("6º Transformer"): span decoding as the 4.x pipeline did it."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "question_answering"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
