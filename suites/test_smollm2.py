"""Beyond the notes: SmolLM2-135M-Instruct (GGUF from PyPI): greedy text, sampling, chat, padding."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "smollm2"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
