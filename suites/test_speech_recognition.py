"""Speech recognition ("10º Transformer"): Whisper on the course's mlk.flac."""

from pipeprobe.plugin.probes import assert_expected

SUITE = "speech_recognition"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_record, baseline):
    assert baseline == probe_record
