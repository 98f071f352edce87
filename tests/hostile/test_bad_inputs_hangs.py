"""Bad inputs, surface: whatever can make a run hang (issue 17, item 2). A pattern that backtracks
catastrophically, a count far past its documented limit (docs/reference/limits.md) and a named pipe
where a probe file belongs each end within 5 s in one line, in ``pipeprobe check`` and in the run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeprobe.language import limits
from pipeprobe.language.expect import ExpectMisfit, judge
from tests.bad_inputs import HEADER, make_project

WITHIN_S = 5.0


def _probe(extra: str = "", expect: str = "{label: POSITIVE}") -> str:
    return HEADER + f'  - id: one\n    input: "I love it."\n    expect: {expect}\n{extra}'


def _timed(argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)  # a hang fails, never blocks
    return done, time.monotonic() - started


def _check(root: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    return _timed([sys.executable, "-m", "pipeprobe.cli", "check"], root)


def _collect(root: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    return _timed([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"], root)


def _one_fault(done: subprocess.CompletedProcess[str], seconds: float, *needles: str) -> None:
    text = done.stdout + done.stderr
    assert "Traceback" not in text and "INTERNALERROR" not in text, text
    assert seconds < WITHIN_S + 5, seconds  # the process start (torch-free) counts too; the work itself is instant
    assert done.returncode in (1, 4), text  # check: 1 with its fault lines; the run: a usage error
    assert [line for line in text.splitlines() if all(needle in line for needle in needles)], text


@pytest.mark.parametrize("pattern", ["^(a+)+$", "^(a|aa)+$", "(x+x+)+y"])
def test_a_catastrophic_pattern_is_a_one_line_misfit_within_the_bound(pattern):
    text = "a" * 60 + "!" if "a" in pattern else "x" * 60
    started = time.monotonic()
    try:
        problems = judge({"text": {"matches": pattern}}, {"text": text})
    except ExpectMisfit as error:
        assert "gave no answer within" in str(error) and "\n" not in str(error)
    else:
        assert problems and "matches" in problems[0]
    assert time.monotonic() - started < WITHIN_S  # the timeout is checked as the search goes: it may overrun a little


def test_matches_keeps_pythons_syntax_lookahead_and_backreferences_included():
    pattern = r"^(?!.*\b(\w+ \w+)\b.*\b\1\b.*\b\1\b)The clouds"
    assert judge({"text": {"matches": pattern}}, {"text": "The clouds are bright, ação"}) == []
    assert judge({"text": {"matches": r"^\w+$"}}, {"text": "ação"}) == []  # \w is Unicode, as in Python


def test_a_pattern_over_the_length_limit_is_refused_when_the_file_is_read(tmp_path):
    make_project(tmp_path, _probe(expect='{label: {matches: "' + "a" * (limits.MAX_PATTERN_CHARS + 1) + '"}}'))
    _one_fault(*_check(tmp_path), "demo.yaml", "over the limit")


@pytest.mark.parametrize(("extra", "needle"), [
    ("    perturb: {typo: 1000000000}\n    invariant: label\n", "from 1 to 100"),
    ("    repeats: 1000000000\n    min_pass_rate: 0.5\n", "from 2 to 1000"),
    ("    params: {max_new_tokens: 1000000000}\n", "params.max_new_tokens"),
    ('    params: {seed: "abc"}\n    repeats: 3\n', "params.seed"),
])
def test_a_count_past_its_limit_is_one_line_in_check_and_in_the_run(tmp_path, extra, needle):
    make_project(tmp_path, _probe(extra))
    _one_fault(*_check(tmp_path), "demo.yaml", needle)
    _one_fault(*_collect(tmp_path), "demo.yaml", needle)


def test_a_named_pipe_as_a_probe_file_is_refused_not_read(tmp_path):
    make_project(tmp_path)
    os.mkfifo(tmp_path / "fixtures/x.yaml")
    _one_fault(*_check(tmp_path), "x.yaml", "not a regular file")
    _one_fault(*_collect(tmp_path), "x.yaml", "not a regular file")


def test_a_probe_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    from pipeprobe.language.schema import SchemaError, read_text

    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10)
    (tmp_path / "big.yaml").write_text("x" * 11)
    with pytest.raises(SchemaError, match="over the limit of 10"):
        read_text(tmp_path / "big.yaml", "probe file")
