"""Sentiment analysis: every try of the notes ("1º Transformer", "Modulo 2 / Fase 0")."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "sentiment"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
