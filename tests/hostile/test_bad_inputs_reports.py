"""Bad inputs, surface: report outputs: paths checked at start-up, drift.json strict JSON, a corrupt
baseline with its own status."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests import twins
from tests.bad_inputs import BASELINES, failed_with, mapped, run, twin_of, usage_error


# 8. Report paths, checked at start-up ---------------------------------------------------------------------------------
@pytest.mark.parametrize("option", ["--drift-report", "--html"])
@pytest.mark.parametrize("where", ["onto-a-file", "under-a-file"])
def test_a_report_path_that_cannot_be_written_stops_the_run_at_start(demo, option, where):
    blocker = demo.path / "blocker"
    blocker.write_text("keep", encoding="utf-8")
    path = blocker if where == "onto-a-file" else blocker / ("report.html" if option == "--html" else "dir")
    if option == "--html" and where == "onto-a-file":
        blocker.unlink()
        blocker.mkdir()  # --html names a file: a folder there can't be written
        path = blocker
    result = run(demo, f"{option}={path}")
    usage_error(result, option)
    assert "passed" not in result.stdout.str()


# 9. drift.json: strict JSON, and a corrupt baseline is not "new" ------------------------------------------------------
def _strict(path: Path) -> dict:
    def refuse(name: str) -> None:
        raise AssertionError(f"{path} holds {name}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def test_a_corrupt_baseline_has_its_own_drift_status_not_new(demo):
    (demo.path / BASELINES / "one.json").write_text('{"output": {"label": "POS', encoding="utf-8")
    result = run(demo, "--drift-report=report")
    failed_with(result, "test_baseline[one]", "is corrupt: not valid JSON")
    statuses = {probe["probe"]: probe["status"] for probe in _strict(demo.path / "report/drift.json")["probes"]}
    assert statuses == {"one": "corrupt baseline", "two": "unchanged"}


def test_a_nan_output_never_reaches_drift_json_as_a_bare_nan(demo, tmp_path):
    mapped(demo, twins.shift_classifier_bias(twin_of(demo), tmp_path / "nan", "POSITIVE", math.nan))
    result = run(demo, "--drift-report=report")
    failed_with(result, "test_baseline[one]", "NaN or Infinity at output.score")
    report = _strict(demo.path / "report/drift.json")
    assert report["non_finite"] and all("NaN" in line or "nan" in line for line in report["non_finite"])
