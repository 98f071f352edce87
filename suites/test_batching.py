"""Batching (Modulo 5): batch dimension, identical rows, padding with and without mask, long inputs."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "batching"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
