"""Translation ("8º Transformer"): French to English and English to Portuguese."""

from pipeprobe.plugin.extras import require_extra
from pipeprobe.plugin.probes import assert_expected

SUITE = "translation"
require_extra("translation")


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
