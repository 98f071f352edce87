"""Beyond the notes: SmolLM2-135M-Instruct's sampled generation judged on 20 seeded repeats (a pass rate)."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "smollm2_sampling"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
