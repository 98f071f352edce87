"""Beyond the notes: the uncased tokenizer's round trips and its ids under casing/whitespace (INV)."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "tokenizer_roundtrip"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
