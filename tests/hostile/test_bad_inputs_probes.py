"""Bad inputs, surface: probe files and models.yaml: every field validated where it enters (issue 9),
as one usage line before any test runs; `pipeprobe check` reports what the run then reports (issue 17)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.bad_inputs import GOOD_PROBES, HEADER, MODELS, PROBE, make_project, usage_error
from tests.conftest import run_inprocess


# 1. Probe files: every field validated where it enters (issue 9, implemented in catalogue.py) -------------------------
def _with(id_: str = "one", extra: str = "", header: str = HEADER) -> str:
    return header + PROBE.format(id=id_, input='"I love it."') + extra


ESCAPE = f"/tmp/pipeprobe-escape-{uuid.uuid4().hex}"
PROBE_FILE_CASES = {
    "id-dotdot": (_with("../../escaped"), ["demo.yaml", "id"]),
    "id-absolute": (_with(ESCAPE), ["demo.yaml", "id"]),
    "id-leading-dot": (_with(".hidden"), ["demo.yaml", "id"]),
    "id-space": (_with('"a b"'), ["demo.yaml", "id"]),
    "id-list": (_with("[a, b]"), ["demo.yaml", "id"]),
    "id-null": (_with("null"), ["demo.yaml", "id"]),
    "id-bool": (_with("true"), ["demo.yaml", "id"]),
    "suite-dotdot": (_with(header=HEADER.replace("suite: demo", "suite: ../../escaped")), ["demo.yaml", "suite"]),
    "suite-absolute": (_with(header=HEADER.replace("suite: demo", f"suite: {ESCAPE}")), ["demo.yaml", "suite"]),
    "recorded-string": (_with(extra='    recorded: "no"\n'), ["demo.yaml", "recorded"]),
    "params-list": (_with(extra="    params: [1, 2]\n"), ["demo.yaml", "params"]),
    "params-string-file": (_with(header=HEADER + "params: top_k\n".replace("probes:\n", "")), ["demo.yaml"]),
    "unknown-task": (_with(header=HEADER.replace("task: text-classification", "task: text-magic")),
                     ["demo.yaml", "text-magic"]),
    "unknown-expect-key": (_with().replace("expect: {label: POSITIVE}", "expect: {labl: POSITIVE}"),
                           ["demo.yaml", "labl"]),
    "expect-not-mapping": (_with().replace("expect: {label: POSITIVE}", "expect: POSITIVE"), ["demo.yaml", "expect"]),
    "billion-laughs": ('a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
                       'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
                       'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'
                       'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n'
                       'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n' + _with(), ["demo.yaml"]),
}


@pytest.mark.parametrize("case", sorted(PROBE_FILE_CASES))
def test_a_bad_probe_file_is_one_usage_line(pytester, case, outside):
    text, needles = PROBE_FILE_CASES[case]
    make_project(pytester.path, probes=text)
    result = run_inprocess(pytester, "--co")
    usage_error(result, *needles)
    assert not Path(ESCAPE + ".json").exists()
    assert not (pytester.path / "snapshots").exists()


def test_a_probe_file_that_is_not_utf8_is_one_usage_line(pytester):
    make_project(pytester.path)
    (pytester.path / "fixtures/demo.yaml").write_bytes(GOOD_PROBES.replace("love", "l\xf6ve").encode("latin-1"))
    usage_error(run_inprocess(pytester, "--co"), "demo.yaml", "UTF-8")


MODELS_CASES = {
    "syntax-error": ("models: [unclosed\n", ["models.yaml"]),
    "no-revision": (MODELS.replace("    revision: 714eb0f\n", ""), ["models.yaml", "revision"]),
    "not-a-mapping": ("- a\n- b\n", ["models.yaml"]),
    "gguf-on-text-classification": (MODELS + "    gguf_file: x.gguf\n", ["models.yaml", "gguf_file"]),
    "unknown-task": (MODELS.replace("task: text-classification", "task: text-magic"), ["models.yaml", "text-magic"]),
}


@pytest.mark.parametrize("case", sorted(MODELS_CASES))
def test_a_bad_models_yaml_is_one_usage_line(pytester, case):
    text, needles = MODELS_CASES[case]
    make_project(pytester.path, models=text)
    usage_error(run_inprocess(pytester, "--co"), *needles)


def test_a_models_yaml_that_is_not_utf8_is_one_usage_line(pytester):
    make_project(pytester.path)
    (pytester.path / "fixtures/models.yaml").write_bytes(("# caf\xe9\n" + MODELS).encode("latin-1"))
    usage_error(run_inprocess(pytester, "--co"), "models.yaml", "UTF-8")


# `pipeprobe check` says what the run then says (issue 17, item 1) ----------------------------------------------------
def check_lines(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """``pipeprobe check --project``: its exit code and its fault lines."""
    from pipeprobe.cli import main as cli

    code = cli.main(["check", "--project", str(project)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line for line in captured.out.splitlines() if line.strip()]


FIRST = 'input: "I love this course."\n    expect: {label: POSITIVE}'
CHECK_CASES = {
    "revision-dotdot": (GOOD_PROBES, MODELS.replace("revision: 714eb0f", "revision: ../../x"),
                        ["models.yaml", "revision", "no '/' or '..'"]),
    "revision-slash": (GOOD_PROBES, MODELS.replace("revision: 714eb0f", "revision: refs/pr/1"),
                       ["models.yaml", "revision", "'refs/pr/1'"]),
    "invariant-not-an-output-field": (
        GOOD_PROBES.replace(FIRST, FIRST + "\n    perturb: [typo]\n    invariant: nosuchfield"), MODELS,
        ["demo.yaml", "probe 'one'", "invariant path nosuchfield", "has: label, score"]),
    "direction-not-an-output-field": (
        GOOD_PROBES.replace(FIRST, FIRST + "\n    perturb: [typo]\n    direction: {scor: up}"), MODELS,
        ["demo.yaml", "direction path scor", "has: label, score"]),
    "nan-equals": (GOOD_PROBES.replace("expect: {label: POSITIVE}", "expect: {score: .nan}", 1), MODELS,
                   ["demo.yaml", "expect score", "NaN"]),
    "nan-one-of": (GOOD_PROBES.replace("expect: {label: POSITIVE}", "expect: {score: {one_of: [.nan, 1]}}", 1),
                   MODELS, ["demo.yaml", "expect score", "NaN"]),
    "nan-in-equals-mapping": (
        GOOD_PROBES.replace("expect: {label: POSITIVE}", "expect: {score: {equals: {a: [1, .nan]}}}", 1), MODELS,
        ["demo.yaml", "NaN"]),
    "binary-input": (GOOD_PROBES.replace('input: "I love this course."', "input: !!binary aGVsbG8="), MODELS,
                     ["demo.yaml", "probes.0.input", "bytes", "quote it"]),
    "date-input": (GOOD_PROBES.replace('input: "I love this course."', "input: 2024-01-02"), MODELS,
                   ["demo.yaml", "probes.0.input", "date", "quote it"]),
    "date-in-a-mapping-input": (
        GOOD_PROBES.replace('input: "I love this course."', "input: {text: a, when: 2024-01-02}"), MODELS,
        ["demo.yaml", "probes.0.input.when", "date"]),
    "batch-null-member": (
        GOOD_PROBES.replace('input: "I love this course."\n', "input: null\n    batch: b\n").replace(
            'input: "I waited all my life for it."\n', 'input: "I waited all my life for it."\n    batch: b\n'),
        MODELS, ["demo.yaml", "probe 'one'", "input: empty (null)"]),
}


@pytest.mark.parametrize("case", sorted(CHECK_CASES))
def test_check_reports_what_the_run_then_refuses(pytester, capsys, case):
    probes, models, needles = CHECK_CASES[case]
    make_project(pytester.path, probes=probes, models=models)
    code, lines = check_lines(pytester.path, capsys)
    assert code == 1
    assert [line for line in lines if all(needle in line for needle in needles)], lines
    usage_error(run_inprocess(pytester, "--co"), *needles)


def test_check_and_the_run_accept_the_good_project_and_a_plain_date_text(pytester, capsys):
    make_project(pytester.path, probes=GOOD_PROBES.replace('"I love this course."', '"2024-01-02"'))
    code, lines = check_lines(pytester.path, capsys)
    assert code == 0, lines
    assert run_inprocess(pytester, "--co", "-q").ret == pytest.ExitCode.OK
