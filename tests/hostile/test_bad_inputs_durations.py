"""Bad inputs, surface: fixtures/durations.json (``--shard``, ``--store-durations``): read as strict JSON, every
entry's numbers checked when it is read, one usage line naming the model and field; never written with NaN."""

from __future__ import annotations

import json

import pytest

from pipeprobe.plugin.shards import DURATIONS_FORMAT
from tests import twins
from tests.bad_inputs import make_project, usage_error
from tests.conftest import run_inprocess

MODEL = twins.SST2_ID


def _durations(entry: str) -> str:
    return f'{{"format": "{DURATIONS_FORMAT}", "models": {{"{MODEL}": {entry}}}}}'


DURATIONS_CASES = {
    "string-seconds": (_durations('{"load_s": "slow", "run_s": 1.0, "probes": 2}'), "load_s must be a number"),
    "nan-seconds": (_durations('{"load_s": NaN, "run_s": 1.0, "probes": 2}'), "holds NaN"),
    "negative-seconds": (_durations('{"load_s": 1.0, "run_s": -3, "probes": 2}'), "run_s must be a number of at"),
    "fractional-probes": (_durations('{"load_s": 1.0, "run_s": 1.0, "probes": 2.5}'), "probes must be a whole number"),
    "entry-a-list": (_durations("[1, 2]"), "must be a mapping"),
    "duplicate-model": (f'{{"format": "{DURATIONS_FORMAT}", "models": {{"a": {{}}, "a": {{}}}}}}', "appears twice"),
    "nested-deep": ('{"format": "x", "models": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested deeper than"),
}


@pytest.mark.parametrize("options", [("--shard=1/2",), ("--store-durations",)])
@pytest.mark.parametrize("case", sorted(DURATIONS_CASES))
def test_a_bad_durations_file_is_one_usage_line_and_left_as_it_was(pytester, case, options):
    text, needle = DURATIONS_CASES[case]
    make_project(pytester.path)
    path = pytester.path / "fixtures/durations.json"
    path.write_text(text, encoding="utf-8")
    usage_error(run_inprocess(pytester, "--co", *options), "durations.json", needle)
    assert path.read_text(encoding="utf-8") == text


def test_durations_are_written_as_strict_json(tmp_path):
    from pipeprobe import strict_json
    from pipeprobe.plugin.shards import write_durations

    path = tmp_path / "durations.json"
    write_durations(path, {MODEL: {"load_s": 1.5, "run_s": 0.25, "probes": 2}})
    assert strict_json.read(path)["models"] == {MODEL: {"load_s": 1.5, "run_s": 0.25, "probes": 2}}
    with pytest.raises(ValueError):
        write_durations(path, {MODEL: {"load_s": float("nan"), "run_s": 0.0, "probes": 1}})
    assert json.loads(path.read_text(encoding="utf-8"))["models"][MODEL]["load_s"] == 1.5
