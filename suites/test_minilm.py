"""Beyond the notes: all-MiniLM-L6-v2 (from PyPI): shapes, pooled embeddings, similarity, padding, truncation."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "minilm"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
