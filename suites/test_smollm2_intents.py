"""Beyond the notes: SmolLM2-135M-Instruct as a zero-shot intent classifier, EN and PT, with EN<->PT pairs."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "smollm2_intents"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
