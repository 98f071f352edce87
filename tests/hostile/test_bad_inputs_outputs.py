"""Bad inputs, surface: model outputs and probe inputs at run time (NaN outputs, inputs over the
model's limit, a bad member of a batch, a direction over a value that is no number)."""

from __future__ import annotations

import math

from tests import twins
from tests.bad_inputs import GOOD_PROBES, HEADER, PROBE, failed_with, files, make_project, mapped, run, twin_of
from tests.conftest import run_inprocess


# 4. Outputs and inputs -----------------------------------------------------------------------------------------------
def test_a_nan_output_is_a_fault_of_the_output_and_never_written(demo, tmp_path):
    nan_twin = twins.shift_classifier_bias(twin_of(demo), tmp_path / "nan", "POSITIVE", math.nan)
    mapped(demo, nan_twin)
    before = files(demo.path / "snapshots")
    result = run(demo, "--snapshot-update")
    failed_with(result, "test_baseline[one]", "demo/one", "NaN or Infinity at output.score", "never written")
    assert files(demo.path / "snapshots") == before


LONG = '"' + "word " * 600 + '"'


def test_an_input_over_the_models_limit_names_the_probe(demo):
    (demo.path / "fixtures/demo.yaml").write_text(GOOD_PROBES + PROBE.format(id="long", input=LONG), encoding="utf-8")
    result = run(demo, "-k", "long")
    failed_with(result, "test_baseline[long]", "probe demo/long: input is 602 tokens, over the model's maximum of 512")


def test_one_bad_member_of_a_batch_is_named_by_every_member(demo):
    batched = (HEADER + PROBE.format(id="one", input='"I love this course."') + "    batch: b\n"
               + PROBE.format(id="long", input=LONG) + "    batch: b\n")
    (demo.path / "fixtures/demo.yaml").write_text(batched, encoding="utf-8")
    result = run(demo)
    failed_with(result, "test_baseline[long]", "probe demo/long: input is 602 tokens")
    failed_with(result, "test_baseline[one]", "probe demo/one did not run: its batch holds demo/long, whose input is")


def test_a_direction_over_a_value_that_is_no_number_fails_saying_so(pytester, sst2_twin):
    """``direction: {label: up}`` would compare 'POSITIVE' with 'NEGATIVE' as text: it says it needs numbers."""
    first = 'input: "I love this course."\n    expect: {label: POSITIVE}'
    make_project(pytester.path, GOOD_PROBES.replace(first, first + "\n    perturb: [typo]\n    direction: {label: up}"))
    mapped(pytester, sst2_twin)
    result = run_inprocess(pytester, "--model-map=map.toml", "-k", "expectation and one")
    failed_with(result, "test_expectation[one]", "direction label:", "is not a number; a direction compares numbers")
