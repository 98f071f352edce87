"""Tokenizers below the pipeline: the notes' Modulo 2 Fase 1, Modulos 3, 4 and 5."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "tokenizer"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
