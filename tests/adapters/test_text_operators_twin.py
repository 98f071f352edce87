"""The new expectation operators end to end on twins: each with a passing probe and a failing one whose miss is
one line, on a causal-LM twin's generated text and label scores; `similar` through a MiniLM twin that the
session's model cache loads once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import twins
from tests.conftest import run_inprocess

PROBE = """\
  - id: {id}
    input: "The capital of France is"
    {params}expect: {{{path}: {expect}}}
"""
GENERATION = [  # (id, path, passing expectation, failing expectation)
    ("not", "generated_text", '{not: {contains: "zz-never"}}', '{not: {contains: "The capital"}}'),
    ("list", "generated_text", '[{contains: "The capital"}, {matches: "^The"}]',
     '[{contains: "The capital"}, {matches: "^Nope"}]'),
    ("is-json", "generated_text", "{is_json: false}", "{is_json: true}"),
    ("levenshtein", "generated_text", '{levenshtein: {to: "The capital of France is", above: 0.3}}',
     '{levenshtein: {to: "zzzzzzzz", max: 0}}'),
    ("rouge", "generated_text", '{rouge: {to: "The capital of France is", above: 0.3}}',
     '{rouge: {to: "quantum chromodynamics", above: 0.5}}'),
    ("similar", "generated_text",
     f'{{similar: {{to: "The capital of France is", model: {twins.MINILM_ID}, above: -1}}}}',
     f'{{similar: {{to: "zebra quantum walrus", model: {twins.MINILM_ID}, above: 0.9999}}}}'),
]
SCHEMA = ("json-schema", "scores", "{json_schema: {type: object, required: [positive, negative], "
          "additionalProperties: {type: number, minimum: 0, maximum: 1}}}",
          "{json_schema: {type: object, required: [neutral]}}")


def _probes(rows: list[tuple[str, str, str, str]], params: str = "") -> str:
    text = ""
    for name, path, good, bad in rows:
        text += PROBE.format(id=f"{name}-holds", path=path, expect=good, params=params)
        text += PROBE.format(id=f"{name}-misses", path=path, expect=bad, params=params)
    return text


SUITE = """\
from pipeprobe.plugin.probes import assert_expected

SUITE = "{suite}"


def test_expectation(probe, probe_output):
    assert_expected(probe, probe_output)
"""


@pytest.fixture(scope="module")
def twin_map(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("twins")
    return {twins.SMOLLM2_ID: twins.build_causal_lm_twin(folder / "causal"),
            twins.MINILM_ID: twins.build_minilm_twin(folder / "minilm")}


def test_each_operator_passes_and_fails_with_a_one_line_miss(project, twin_map):
    fixtures, suites = project.path / "fixtures", project.path / "suites"
    (fixtures / "ops_gen.yaml").write_text(
        f"suite: ops_gen\ntask: text-generation\nmodel: {twins.SMOLLM2_ID}\nprobes:\n"
        + _probes(GENERATION, "params: {max_new_tokens: 6}\n    "), encoding="utf-8")
    (fixtures / "ops_cls.yaml").write_text(
        f"suite: ops_cls\ntask: lm-classification\nmodel: {twins.SMOLLM2_ID}\n"
        "params: {labels: [positive, negative]}\nprobes:\n" + _probes([SCHEMA]), encoding="utf-8")
    (suites / "test_ops_gen.py").write_text(SUITE.format(suite="ops_gen"), encoding="utf-8")
    (suites / "test_ops_cls.py").write_text(SUITE.format(suite="ops_cls"), encoding="utf-8")
    mapping = twins.write_model_map(project.path / "map.toml", twin_map)
    result = run_inprocess(project, "suites/test_ops_gen.py", "suites/test_ops_cls.py", f"--model-map={mapping}",
                           "-vv")
    result.assert_outcomes(passed=7, failed=7)
    assert all("-misses" in line for line in result.stdout.lines if line.startswith("FAILED"))
    result.stdout.fnmatch_lines_random([
        "*not-misses*expected not contains 'The capital'*",
        "*list-misses*expected matches '^Nope'*",
        "*is-json-misses*is not JSON text*",
        "*levenshtein-misses*edits from 'zzzzzzzz', more than 0*",
        "*rouge-misses*has rouge* against 'quantum chromodynamics', not above 0.5*",
        "*similar-misses*has similarity * to 'zebra quantum walrus', not above 0.9999*",
        "*json-schema-misses*'neutral' is a required property at (root)*",
    ])


def test_a_bad_operand_is_one_line_naming_the_probe_before_any_model_loads(project):
    (project.path / "fixtures" / "ops_bad.yaml").write_text(
        f"suite: ops_bad\ntask: text-generation\nmodel: {twins.SMOLLM2_ID}\nprobes:\n"
        "  - id: bad\n    input: x\n    expect: {generated_text: {rouge: {to: x, above: 0.5, type: rouge9}}}\n",
        encoding="utf-8")
    result = run_inprocess(project, "suites/test_smollm2.py")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*ops_bad.yaml: probe 'bad': expect generated_text: rouge type must be one of*"])
