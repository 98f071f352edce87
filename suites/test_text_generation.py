"""Text generation: the notes' section 3 (sampled: structure, not text, is checked)."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "text_generation"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
