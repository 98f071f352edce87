"""Beyond the notes: SmolLM2-135M-Instruct as a zero-shot sentiment classifier: INV/DIR variants, EN<->PT pairs."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "smollm2_sentiment"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
