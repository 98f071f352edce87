"""The bad-input campaign (issue 9): what a new user or a careless colleague feeds pipeprobe.

Each case asserts the exact outcome: the exit code, the one line that says what is wrong (no
traceback, no INTERNALERROR), nothing written outside the project, and the baselines untouched.
Runs are in-process (``run_inprocess``) on a small project of its own: one SST-2 probe file,
its twin, and baselines recorded by the first run.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import uuid
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


def test_baseline(probe_record, baseline):
    assert baseline == probe_record
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


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the project: nothing may ever be written into it."""
    return tmp_path_factory.mktemp("outside")


@pytest.fixture
def demo(pytester: pytest.Pytester, sst2_twin: Path, outside: Path) -> pytest.Pytester:
    """The project with both baselines recorded from the SST-2 twin, mapped in ``map.toml``."""
    make_project(pytester.path)
    twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin})
    recorded = run_inprocess(pytester, "--model-map=map.toml", "-k", "baseline", "--snapshot-update")
    assert recorded.ret == 0, recorded.stdout.str()
    assert sorted(p.name for p in (pytester.path / BASELINES).iterdir()) == ["one.json", "two.json"]
    yield pytester
    assert not list(outside.iterdir()), "something was written outside the project"


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inprocess(project, "--model-map=map.toml", "-k", "baseline", *args)


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


# 2. Model maps and the model itself --------------------------------------------------------------------------------
def test_a_model_map_that_is_not_utf8_is_one_usage_line(pytester):
    make_project(pytester.path)
    (pytester.path / "map.toml").write_bytes('# caf\xe9\n[models]\n"a/b" = "x"\n'.encode("latin-1"))
    usage_error(run_inprocess(pytester, "--co", "--model-map=map.toml"), "map.toml", "UTF-8")


def test_a_model_map_that_is_not_toml_is_one_usage_line(pytester):
    make_project(pytester.path)
    (pytester.path / "map.toml").write_text("[models\n", encoding="utf-8")
    usage_error(run_inprocess(pytester, "--co", "--model-map=map.toml"), "map.toml", "not valid TOML")


def test_model_map_as_two_words_says_to_write_it_with_an_equals_sign(pytester, sst2_twin):
    make_project(pytester.path)
    mapping = twins.write_model_map(pytester.path / "map.toml", {twins.SST2_ID: sst2_twin})
    usage_error(run_inprocess(pytester, "--co", "--model-map", str(mapping)), f"--model-map={mapping}")


def _mapped(project: pytest.Pytester, folder: Path) -> None:
    twins.write_model_map(project.path / "map.toml", {twins.SST2_ID: folder})


def _copy_twin(source: Path, folder: Path) -> Path:
    shutil.copytree(source, folder)
    return folder


def test_a_plain_encoder_mapped_as_the_classifier_is_a_load_error_not_garbage(demo):
    before = files(demo.path / "snapshots")
    _mapped(demo, twins.minilm_folder())
    for update in ((), ("--snapshot-update",)):
        result = run(demo, *update)
        failed_with(result, "test_baseline[one]", str(twins.minilm_folder()), "is not the model this task needs",
                    "classifier.weight", "randomly initialised")
        assert files(demo.path / "snapshots") == before


def test_a_classifier_with_another_label_set_is_a_load_error_where_models_yaml_pins_labels(demo, tmp_path):
    """Same architecture, same weight shapes, another head (LABEL_0/LABEL_1): only the pinned labels catch it."""
    (demo.path / "fixtures/models.yaml").write_text(MODELS + "    labels: [NEGATIVE, POSITIVE]\n", encoding="utf-8")
    before = files(demo.path / "snapshots")
    right = _twin_of(demo)
    other = _copy_twin(right, tmp_path / "other-head")
    config = json.loads((other / "config.json").read_text(encoding="utf-8"))
    config["id2label"], config["label2id"] = {"0": "LABEL_0", "1": "LABEL_1"}, {"LABEL_0": 0, "LABEL_1": 1}
    (other / "config.json").write_text(json.dumps(config), encoding="utf-8")
    _mapped(demo, other)
    for update in ((), ("--snapshot-update",)):
        failed_with(run(demo, *update), "test_baseline[one]",
                    f"{other} has the labels LABEL_0, LABEL_1, but models.yaml pins NEGATIVE, POSITIVE")
        assert files(demo.path / "snapshots") == before
    _mapped(demo, right)  # the right head passes the same check
    assert run(demo).ret == 0


def test_corrupt_safetensors_in_a_mapped_folder_fail_not_skip(demo, tmp_path):
    before = files(demo.path / "snapshots")
    broken = _copy_twin(_twin_of(demo), tmp_path / "broken")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    _mapped(demo, broken)
    failed_with(run(demo), "test_baseline[one]", f"model map folder {broken} did not load")
    assert files(demo.path / "snapshots") == before


def test_a_mapped_path_that_is_a_file_fails_not_skips(demo, tmp_path):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"not a folder")
    _mapped(demo, target)
    failed_with(run(demo), "test_baseline[one]", "a file, not a folder", str(target))


def test_a_mapped_folder_that_is_missing_fails_not_skips(demo, tmp_path):
    _mapped(demo, tmp_path / "absent")
    failed_with(run(demo), "test_baseline[one]", "missing folder", str(tmp_path / "absent"))


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pipeprobe-pickle-ran",))


def test_a_refused_pickle_in_a_mapped_folder_fails_and_never_runs(demo, tmp_path):
    folder = _copy_twin(_twin_of(demo), tmp_path / "pickled")
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(_Exploit()))
    _mapped(demo, folder)
    failed_with(run(demo), "test_baseline[one]", f"model map folder {folder} did not load")
    assert not Path("/tmp/pipeprobe-pickle-ran").exists()


def test_a_model_absent_from_every_source_stays_a_skip(demo, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(demo.path / "empty-cache"))
    (demo.path / "map.toml").write_text("[models]\n", encoding="utf-8")
    result = run(demo)
    clean(result)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=2, deselected=2)
    result.stdout.fnmatch_lines(["*0 of 2 probes ran: every selected probe skipped*"])


def _twin_of(project: pytest.Pytester) -> Path:
    """The SST-2 twin the demo project was recorded with (from its map)."""
    text = (project.path / "map.toml").read_text(encoding="utf-8")
    return Path(text.split(" = ", 1)[1].strip().strip('"'))


# 3. Baselines: confined, bounded, strict, readable -------------------------------------------------------------------
def test_a_symlinked_suite_folder_out_of_the_tree_is_refused_before_any_write(demo, outside):
    folder = demo.path / "snapshots/demo"
    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)
    usage_error(run(demo, "--snapshot-update"), "outside the snapshot folder", "demo/one")


def test_a_symlinked_model_folder_out_of_the_tree_is_refused(demo, outside):
    folder = demo.path / BASELINES
    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)
    usage_error(run(demo, "--snapshot-update"), "outside the snapshot folder")


def test_a_symlinked_baseline_file_out_of_the_tree_is_refused(demo, outside):
    target = demo.path / BASELINES / "one.json"
    target.unlink()
    target.symlink_to(outside / "one.json")
    usage_error(run(demo, "--snapshot-update"), "outside the snapshot folder", "demo/one")


def _edit(project: pytest.Pytester, name: str, change) -> Path:
    path = project.path / BASELINES / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def _nudge(data: dict, by: float = 0.005) -> None:
    """A score wrong by more than cpu/float32's 1e-4 and less than half precision's 2e-2."""
    data["output"]["score"] += by


BOUND_CASES = {
    "abs-1e9": ({"abs": 1e9, "rel": 0, "why": "x"}, "'tolerance.abs' 1e+09 is outside 0..0.02"),
    "rel-1": ({"abs": 0, "rel": 1.0, "why": "x"}, "'tolerance.rel' 1 is outside 0..0.02"),
    "negative": ({"abs": -1, "why": "x"}, "'tolerance.abs' -1 is outside"),
    "string": ({"abs": "0.1", "why": "x"}, "'tolerance.abs' must be a finite number"),
    "bool": ({"abs": True, "why": "x"}, "'tolerance.abs' must be a finite number"),
    "no-why": ({"abs": 0.01}, "'tolerance' needs a 'why'"),
    "empty-why": ({"abs": 0.01, "why": " "}, "'tolerance' needs a 'why'"),
    "list": ([0.01], "'tolerance' must be a mapping"),
    "unknown-key": ({"abs": 0.01, "why": "x", "scale": 2}, "'tolerance' has unknown key(s) scale"),
}


@pytest.mark.parametrize("case", sorted(BOUND_CASES))
def test_a_baseline_cannot_loosen_its_own_tolerance_without_bound(demo, case):
    bound, message = BOUND_CASES[case]
    path = _edit(demo, "one", lambda data: (_nudge(data), data.update(tolerance=bound)))
    before = path.read_bytes()
    result = run(demo)
    failed_with(result, "test_baseline[one]", "is corrupt: " + message)
    assert path.read_bytes() == before
    result.assert_outcomes(failed=1, passed=1, deselected=2)


@pytest.mark.parametrize("literal", ["Infinity", "NaN", "-Infinity"])
def test_a_baseline_tolerance_of_infinity_or_nan_is_corrupt(demo, literal):
    path = demo.path / BASELINES / "one.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    _nudge(data)
    own = f'"tolerance": {{"abs": {literal}, "why": "x"}},\n  "output":'
    text = json.dumps(data, indent=2).replace('"output":', own)
    path.write_text(text, encoding="utf-8")
    result = run(demo)
    failed_with(result, "test_baseline[one]", f"is corrupt: holds {literal}, which strict JSON does not allow")


def test_a_bounded_tolerance_with_a_why_still_loosens(demo):
    _edit(demo, "one", lambda data: (_nudge(data), data.update(tolerance={"abs": 0.01, "why": "printed rounded"})))
    run(demo).assert_outcomes(passed=2, deselected=2)


@pytest.mark.parametrize(("device", "dtype"), [("cuda", "float16"), ("cuda:0", "float32"), ("cpu", "bfloat16")])
def test_a_baseline_provenance_never_picks_the_tier(demo, device, dtype):
    path = _edit(demo, "one", lambda data: (_nudge(data), data["provenance"].update(device=device, dtype=dtype)))
    before = path.read_bytes()
    result = run(demo)
    failed_with(result, "test_baseline[one]", "beyond tolerance")
    assert "abs 0.02" not in result.stdout.str()  # never the half-precision tier the edited provenance names
    assert path.read_bytes() == before


CORRUPT_CASES = {
    "not-utf8": (b'{"output": {"label": "caf\xe9"}}', "not UTF-8 text"),
    "empty": (b"", "not valid JSON"),
    "a-list": (b"[1, 2]", "not a pipeprobe baseline (no 'output' field)"),
    "nan-output": (b'{"output": {"label": "POSITIVE", "score": NaN}}', "holds NaN"),
    "truncated": (b'{"output": {"label": "POS', "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT_CASES))
def test_a_corrupt_baseline_fails_its_probe_naming_the_file(demo, case):
    content, message = CORRUPT_CASES[case]
    path = demo.path / BASELINES / "one.json"
    path.write_bytes(content)
    result = run(demo)
    failed_with(result, "test_baseline[one]", "is corrupt: " + message)
    assert str(BASELINES / "one.json") in result.stdout.str()
    assert path.read_bytes() == content
    result.assert_outcomes(failed=1, passed=1, deselected=2)


@pytest.mark.parametrize("update", [False, True])
def test_a_folder_at_a_baseline_path_is_one_line(demo, update):
    path = demo.path / BASELINES / "one.json"
    path.unlink()
    path.mkdir()
    (path / "keep").write_text("x", encoding="utf-8")
    result = run(demo, *(["--snapshot-update"] if update else []))
    failed_with(result, "test_baseline[one]", f"baseline {path} is a folder, not a file")
    assert (path / "keep").read_text(encoding="utf-8") == "x"


# 4. Outputs and inputs -----------------------------------------------------------------------------------------------
def test_a_nan_output_is_a_fault_of_the_output_and_never_written(demo, tmp_path):
    nan_twin = twins.shift_classifier_bias(_twin_of(demo), tmp_path / "nan", "POSITIVE", math.nan)
    _mapped(demo, nan_twin)
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


# 5. Written files: modes and leftovers --------------------------------------------------------------------------------
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_baselines_keep_the_umasks_mode(demo, umask, mode):
    shutil.rmtree(demo.path / "snapshots")
    old = os.umask(umask)
    try:
        result = run(demo, "--snapshot-update")
    finally:
        os.umask(old)
    assert result.ret == 0
    for path in (demo.path / BASELINES).iterdir():
        assert path.stat().st_mode & 0o777 == mode, (path, oct(path.stat().st_mode))


def test_temporary_files_a_killed_update_left_are_removed_by_the_next_update(demo):
    folder = demo.path / BASELINES
    other = demo.path / "snapshots/other_suite/m@r"
    other.mkdir(parents=True)
    left = [folder / ".one.json.k1l2.tmp", folder / ".gone.json.x9.tmp", other / ".p.json.abc.tmp"]
    for path in left:
        path.write_text('{"half', encoding="utf-8")
    (other / "p.json").write_text("{}", encoding="utf-8")
    assert run(demo, "-k", "one").ret == 0  # a plain run touches nothing
    assert all(path.exists() for path in left)
    assert run(demo, "-k", "one", "--snapshot-update").ret == 0
    assert not [path for path in left if path.exists()]
    assert (other / "p.json").read_text(encoding="utf-8") == "{}"


# 6. Media -----------------------------------------------------------------------------------------------------------
@pytest.fixture
def media_dir(tmp_path):
    from pipeprobe.tasks import media

    folder = tmp_path / "media"
    folder.mkdir()
    media.set_media_dir(folder)
    yield folder
    media.set_media_dir(Path("fixtures/media"))


IMAGE_CASES = {"truncated-jpeg": "jpeg", "text-as-jpeg": b"hello, not an image", "empty-jpeg": b""}


@pytest.mark.parametrize("case", sorted(IMAGE_CASES))
def test_an_unreadable_image_is_one_line_naming_the_file(media_dir, case):
    from pipeprobe.tasks import media

    path = media_dir / "cat.jpg"
    if IMAGE_CASES[case] == "jpeg":
        twins.write_synthetic_jpeg(path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    else:
        path.write_bytes(IMAGE_CASES[case])
    with pytest.raises(media.MediaUnreadable) as caught:
        media.read_image({"file": "cat.jpg"})
    assert str(caught.value).startswith(f"media file {path} is not a readable image: ")
    assert "\n" not in str(caught.value)


AUDIO_CASES = {"truncated-flac": "flac", "text-as-flac": b"fLaC but not really", "empty-flac": b""}


@pytest.mark.parametrize("case", sorted(AUDIO_CASES))
def test_an_unreadable_recording_is_one_line_naming_the_file(media_dir, case):
    from pipeprobe.tasks import media

    path = media_dir / "talk.flac"
    if AUDIO_CASES[case] == "flac":
        twins.write_synthetic_flac(path)
        path.write_bytes(path.read_bytes()[:64])
    else:
        path.write_bytes(AUDIO_CASES[case])
    with pytest.raises(media.MediaUnreadable) as caught:
        media.read_audio({"file": "talk.flac"}, 16000)
    assert str(caught.value).startswith(f"media file {path} is not a readable recording: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_a_recording_at_any_rate_is_resampled_to_the_models(media_dir, rate):
    from pipeprobe.tasks import media

    twins.write_synthetic_flac(media_dir / "talk.flac", seconds=1.0, rate=rate)
    audio = media.read_audio({"file": "talk.flac"}, 16000)
    assert audio["sampling_rate"] == 16000
    assert abs(len(audio["raw"]) - 16000) <= 2
    assert str(audio["raw"].dtype) == "float32"


# 7. The CLI: pipeprobe drift and pipeprobe pack -----------------------------------------------------------------------
def _cli(capsys, *argv: str) -> tuple[int, list[str]]:
    from pipeprobe.cli import main as cli

    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, [line for line in captured.err.splitlines() if line.strip()]


def _report(probes: list[dict]) -> dict:
    return {"format": "pipeprobe-drift/1", "run": {"device": "cpu", "dtype": "float32"}, "against": "snapshots",
            "summary": {}, "probes": probes}


GOOD_ENTRY = {"suite": "demo", "probe": "one", "status": "unchanged", "baseline_status": "unchanged", "delta": 0.0}
DRIFT_CASES = {
    "probe-without-status": ([{k: v for k, v in GOOD_ENTRY.items() if k != "status"}], "status"),
    "delta-not-a-number": ([{**GOOD_ENTRY, "delta": "big"}], "delta"),
    "delta-a-list": ([{**GOOD_ENTRY, "delta": [1]}], "delta"),
    "unknown-status": ([{**GOOD_ENTRY, "status": "fine"}], "status"),
    "probe-not-a-mapping": (["demo/one"], "probe #1"),
}


@pytest.mark.parametrize("case", sorted(DRIFT_CASES))
def test_pipeprobe_drift_on_a_malformed_report_is_exit_2_one_line(tmp_path, capsys, case):
    probes, needle = DRIFT_CASES[case]
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(_report(probes)), encoding="utf-8")
    code, lines = _cli(capsys, "drift", str(path))
    assert code == 2
    assert len(lines) == 1 and str(path) in lines[0] and needle in lines[0], lines


@pytest.mark.parametrize("content", [b'{"format": "pipeprobe-drift/1", "run": {}, "probes": [], "x": NaN}',
                                     b"\xff\xfe not utf-8", b""])
def test_pipeprobe_drift_on_a_non_strict_or_unreadable_file_is_exit_2(tmp_path, capsys, content):
    path = tmp_path / "drift.json"
    path.write_bytes(content)
    code, lines = _cli(capsys, "drift", str(path))
    assert code == 2 and len(lines) == 1 and str(path) in lines[0], lines


@pytest.mark.parametrize("where", ["onto-a-file", "under-a-file"])
def test_pipeprobe_drift_out_onto_or_under_a_file_is_exit_2(tmp_path, capsys, where):
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(_report([GOOD_ENTRY])), encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.write_text("keep", encoding="utf-8")
    out = blocker if where == "onto-a-file" else blocker / "sub"
    code, lines = _cli(capsys, "drift", str(path), "--out", str(out))
    assert code == 2 and len(lines) == 1 and str(out) in lines[0], lines
    assert blocker.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("where", ["onto-a-file", "under-a-file"])
def test_pipeprobe_pack_install_onto_or_under_a_file_is_one_line(tmp_path, capsys, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("keep", encoding="utf-8")
    folder = blocker if where == "onto-a-file" else blocker / "models"
    code, lines = _cli(capsys, "pack", "install", str(folder), "--no-pip", "--no-dequantise")
    assert code == 2
    assert len(lines) == 1 and str(folder) in lines[0] and "not a folder" in lines[0], lines
    assert blocker.read_text(encoding="utf-8") == "keep"


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
    _mapped(demo, twins.shift_classifier_bias(_twin_of(demo), tmp_path / "nan", "POSITIVE", math.nan))
    result = run(demo, "--drift-report=report")
    failed_with(result, "test_baseline[one]", "NaN or Infinity at output.score")
    report = _strict(demo.path / "report/drift.json")
    assert report["non_finite"] and all("NaN" in line or "nan" in line for line in report["non_finite"])
