"""Speech recognition ("10º Transformer"): Whisper on the course's mlk.flac."""

from pipeprobe.plugin.extras import require_extra
from pipeprobe.plugin.probes import assert_expected

SUITE = "speech_recognition"
require_extra("audio")


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
