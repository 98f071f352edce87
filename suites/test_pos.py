"""Part-of-speech tagging: the POS exercise of the notes ("5º Transformer", Teste 1)."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "pos"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
