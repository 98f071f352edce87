"""Zero-shot classification: every try of the notes ("2º Transformer")."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "zero_shot"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
