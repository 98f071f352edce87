"""The bad-input campaign's shared project and verdicts (issue 9, split by surface in issue 17).

Each ``tests/hostile/test_bad_inputs_<surface>.py`` case asserts the exact outcome: the exit code, the one
line that says what is wrong (no traceback, no INTERNALERROR), nothing written outside the project,
and the baselines untouched. Runs are in-process (``run_inprocess``) on a small project of its own:
one SST-2 probe file, its twin, and baselines recorded by the first run (the ``demo`` fixture in
tests/conftest.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import twins
from tests.conftest import run_inprocess

SLUG = "distilbert--distilbert-base-uncased-finetuned-sst-2-english@714eb0f"
PYPROJECT = """
[tool.pytest.ini_options]
testpaths = ["suites"]
addopts = "-ra --strict-markers"
xfail_strict = true
pipeprobe_fixtures = "fixtures"
pipeprobe_snapshots = "snapshots"

[tool.pipeprobe]
"""
MODELS = f"""
models:
  {twins.SST2_ID}:
    revision: 714eb0f
    task: text-classification
"""
PROBE = """  - id: {id}
    source: {{section: S, test: T}}
    lang: en
    input: {input}
    expect: {{label: POSITIVE}}
"""
HEADER = f"""suite: demo
task: text-classification
marker: sentiment
model: {twins.SST2_ID}
probes:
"""
GOOD_PROBES = HEADER + PROBE.format(id="one", input='"I love this course."') + PROBE.format(
    id="two", input='"I waited all my life for it."')
SUITE = '''from pipeprobe.plugin.probes import assert_expected

SUITE = "demo"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)


def test_baseline(probe_result, baseline):
    assert baseline == probe_result
'''
BASELINES = Path("snapshots/demo") / SLUG


# The project, its runs, and what the outcome must be ------------------------------------------------------------------
def make_project(root: Path, probes: str = GOOD_PROBES, models: str = MODELS) -> None:
    (root / "fixtures").mkdir(exist_ok=True)
    (root / "suites").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "fixtures/models.yaml").write_text(models, encoding="utf-8")
    (root / "fixtures/demo.yaml").write_text(probes, encoding="utf-8")
    (root / "suites/test_demo.py").write_text(SUITE, encoding="utf-8")


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def clean(result: pytest.RunResult) -> str:
    text = result.stdout.str() + "\n" + result.stderr.str()
    assert "Traceback (most recent call last)" not in text, text
    assert "INTERNALERROR" not in text, text
    return text


def usage_error(result: pytest.RunResult, *needles: str) -> str:
    """Exit 4 before any test ran, with exactly one ``ERROR:`` line holding every needle."""
    clean(result)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    lines = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(lines) == 1, result.stderr.lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "passed" not in result.stdout.str()
    return lines[0]


def failed_with(result: pytest.RunResult, test: str, *needles: str) -> str:
    """Exit 1, ``test`` failed (or errored), and one line of the output says what is wrong, every needle in it."""
    clean(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert [line for line in result.stdout.lines if line.startswith(("FAILED", "ERROR")) and test in line], (
        result.stdout.str())
    lines = [line for line in result.stdout.lines if all(needle in line for needle in needles)]
    assert lines, (needles, result.stdout.str())
    return lines[0]


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inprocess(project, "--model-map=map.toml", "-k", "baseline", *args)


def mapped(project: pytest.Pytester, folder: Path) -> None:
    twins.write_model_map(project.path / "map.toml", {twins.SST2_ID: folder})


def copy_twin(source: Path, folder: Path) -> Path:
    shutil.copytree(source, folder)
    return folder


def twin_of(project: pytest.Pytester) -> Path:
    """The SST-2 twin the demo project was recorded with (from its map)."""
    text = (project.path / "map.toml").read_text(encoding="utf-8")
    return Path(text.split(" = ", 1)[1].strip().strip('"'))
