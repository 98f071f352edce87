"""Summarization ("7º Transformer"): the course text and the recorded summary."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "summarization"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
