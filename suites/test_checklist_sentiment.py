"""Beyond the notes: CheckList-style sentiment tests of many cases on SmolLM2 (one item per test, gated by its rate)."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "checklist_sentiment"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
