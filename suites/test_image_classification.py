"""Image classification ("9º Transformer"): the course's cat photo and the notes' pool photo."""

from pipeprobe.plugin.extras import require_extra
from pipeprobe.plugin.probes import assert_expected

SUITE = "image_classification"
require_extra("vision")


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
