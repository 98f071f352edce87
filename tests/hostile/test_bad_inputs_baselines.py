"""Bad inputs, surface: baselines: confined, bounded, strict, readable; written with the umask's mode;
leftovers of a killed update removed; `pipeprobe check` and `pipeprobe baselines` agree with the run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.bad_inputs import BASELINES, failed_with, run, usage_error


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


# `pipeprobe check` and `pipeprobe baselines` say what the run then says (issue 17, item 1) ---------------------------
def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from pipeprobe.cli import main as cli

    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


BF16 = {"provenance": {"device": "cpu", "dtype": "bfloat16"}, "output": {"label": "POSITIVE", "score": 0.5}}
AGREE_CASES = {
    "string-tolerance": (lambda data: data.update(tolerance="0.5"), "'tolerance' must be a mapping"),
    "bogus-target-entry": (lambda data: data.update(targets={"quantum/float8": BF16}),
                           "targets.quantum/float8.[key]: must be a target a run can be"),
    "bogus-calibration-target": (lambda data: data.update(calibration={"quantum/float8": {"noise": 0.1}}),
                                 "calibration.quantum/float8.[key]: must be a target a run can be"),
    "bogus-provenance-device": (lambda data: data["provenance"].update(device="quantum"),
                                "provenance: device 'quantum' is not a device a run can use"),
    "bogus-provenance-dtype": (lambda data: data["provenance"].update(dtype="float8"),
                               "provenance: dtype 'float8' is not a dtype a run can use"),
}


@pytest.mark.parametrize("case", sorted(AGREE_CASES))
def test_check_and_baselines_report_the_baseline_fault_the_run_reports(demo, capsys, case):
    change, message = AGREE_CASES[case]
    path = demo.path / BASELINES / "one.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    code, out, _ = _cli(capsys, "check", "--project", str(demo.path))
    assert code == 1 and [line for line in out.splitlines() if line.startswith(f"{path}: {message}")], out
    code, grid, warnings = _cli(capsys, "baselines", "--snapshots", str(demo.path / "snapshots"))
    assert code == 0 and "quantum" not in grid and "float8" not in grid, grid
    assert [line for line in warnings.splitlines() if str(path) in line and message in line], warnings
    failed_with(run(demo), "test_baseline[one]", "is corrupt: " + message)


def test_a_snapshot_folder_that_is_a_file_is_one_line_for_check_and_the_run(demo, capsys):
    shutil.rmtree(demo.path / "snapshots")
    (demo.path / "snapshots").write_text("not a folder", encoding="utf-8")
    message = f"{demo.path / 'snapshots'}: the snapshots folder is a file, not a folder"
    code, out, _ = _cli(capsys, "check", "--project", str(demo.path))
    assert code == 1 and message in out, out
    for update in ((), ("--snapshot-update",)):
        usage_error(run(demo, *update), message)
    assert (demo.path / "snapshots").read_text(encoding="utf-8") == "not a folder"
