"""Named-entity recognition: the course example and the exercise of the notes ("5º Transformer")."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "ner"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
