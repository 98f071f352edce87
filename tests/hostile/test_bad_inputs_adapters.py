"""Bad inputs, surface: a project's own task adapter (issue 17, item 5). Every fault is one line naming
the adapter: an import that raises, a SyntaxError, a constructor that needs arguments, ``run()``
returning too few, too many or no results, or output that isn't plain JSON."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_inprocess

PYPROJECT = """
[tool.pytest.ini_options]
testpaths = ["suites"]

[tool.pipeprobe]

[tool.pipeprobe.tasks]
echo = "acme_faulty:Echo"
"""
GOOD = '''
class Echo:
    batches = False

    def load(self, location, revision, target, local_only, gguf_file):
        return str.upper

    def run(self, loaded, inputs, params):
        return {run}

    def judge(self, expect, output):
        return []
'''
SUITE = '''from pipeprobe.plugin.probes import assert_expected

SUITE = "echo"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)
'''
PROBES = textwrap.dedent("""\
    suite: echo
    task: echo
    model: acme/echo
    probes:
      - id: one
        input: "guten tag"
        expect: {text: "GUTEN TAG"}
      - id: two
        input: "hallo"
        expect: {text: "HALLO"}
    """)


def _project(root: Path, adapter: str) -> None:
    (root / "fixtures").mkdir()
    (root / "suites").mkdir()
    (root / "model").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "acme_faulty.py").write_text(adapter)
    (root / "fixtures/models.yaml").write_text("models:\n  acme/echo: {revision: main, task: echo}\n")
    (root / "fixtures/echo.yaml").write_text(PROBES)
    (root / "suites/test_echo.py").write_text(SUITE)
    (root / "map.toml").write_text('[models]\n"acme/echo" = "model"\n')


def _text(result: pytest.RunResult) -> str:
    text = result.stdout.str() + "\n" + result.stderr.str()
    assert "Traceback (most recent call last)" not in text, text
    assert "INTERNALERROR" not in text, text
    return text


IMPORT_CASES = {
    "raises-at-import": ("raise RuntimeError('no licence server')\n" + GOOD.format(run="[]"), "RuntimeError"),
    "syntax-error": ("class Echo(:\n    pass\n", "SyntaxError"),
    "init-with-arguments": (GOOD.format(run="[]").replace("batches = False", "batches = False\n\n"
                            "    def __init__(self, path):\n        self.path = path"), "no arguments"),
}


@pytest.mark.parametrize("case", sorted(IMPORT_CASES))
def test_an_adapter_that_cannot_be_had_is_one_usage_line_naming_it(pytester, case):
    source, needle = IMPORT_CASES[case]
    _project(pytester.path, source)
    result = run_inprocess(pytester, "--model-map=map.toml")
    _text(result)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    lines = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(lines) == 1, result.stderr.lines
    assert "acme_faulty:Echo" in lines[0] and needle in lines[0], lines[0]


RUN_CASES = {
    "too-few": ("[{'text': loaded(t)} for t in inputs][1:]", "returned 0 result(s) for 1 input(s)"),
    "too-many": ("[{'text': loaded(t)} for t in inputs] * 2", "returned 2 result(s) for 1 input(s)"),
    "none": ("None", "returned NoneType"),
    "not-json": ("[{'text': {loaded(t)}} for t in inputs]", "not plain JSON"),
}


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_an_adapter_returning_what_pipeprobe_cannot_use_fails_each_probe_in_one_line(pytester, case):
    run, needle = RUN_CASES[case]
    _project(pytester.path, GOOD.format(run=run))
    result = run_inprocess(pytester, "--model-map=map.toml")
    _text(result)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.assert_outcomes(errors=2)  # the probe's output fixture fails: nothing was judged
    named = [line for line in result.stdout.lines if "acme_faulty:Echo" in line and needle in line]
    assert named, result.stdout.str()


def test_a_good_adapter_still_passes(pytester):
    _project(pytester.path, GOOD.format(run="[{'text': loaded(t)} for t in inputs]"))
    result = run_inprocess(pytester, "--model-map=map.toml")
    assert result.ret == 0, _text(result)
    result.assert_outcomes(passed=2)
