"""Model outputs (Modulos 2 and 3): hidden-state and logits shapes, logits, id2label, BertConfig."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "model_outputs"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
