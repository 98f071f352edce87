"""Beyond the notes: all-MiniLM-L6-v2 similarity under perturbation (INV/DIR) and EN<->PT pairs."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "minilm_metamorphic"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
