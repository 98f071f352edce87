"""Fill-mask: the course example and the exercise of the notes ("4º Transformer")."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "fill_mask"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
