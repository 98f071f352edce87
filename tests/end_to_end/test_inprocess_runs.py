"""In-process runs (``run_inprocess``) one after another in one process, the way the self-tests use them.

transformers 5.25 imports ``kernels`` lazily while loading a model; a library the harness unloads
after an in-process run is imported afresh by the next one, and its classes (``kernels``' ``Mode``)
no longer match those transformers kept (issue 17: every later run failed on cached twins).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import twins
from tests.bad_inputs import make_project
from tests.conftest import run_inprocess


def test_two_inprocess_runs_loading_a_cached_twin_both_pass(pytester: pytest.Pytester, sst2_twin: Path) -> None:
    make_project(pytester.path)
    twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin})
    for attempt in (1, 2):
        result = run_inprocess(pytester, "--model-map=map.toml", "-k", "expectation")
        assert result.ret == 0, (attempt, result.stdout.str())
        result.assert_outcomes(passed=2)
