"""Bad inputs, surface: the CLI (pipeprobe drift, drift merge, history, pack, calibrate, baselines):
exit 2 and one line, never a traceback."""

from __future__ import annotations

import json

import pytest


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


MALFORMED_REPORTS = {
    "suite-a-list": (json.dumps(_report([{**GOOD_ENTRY, "suite": ["demo"]}])), "'suite' and 'probe' must be names"),
    "suite-an-int": (json.dumps(_report([{**GOOD_ENTRY, "suite": 3}])), "'suite' and 'probe' must be names"),
    "suite-nested-deep": ('{"format": "pipeprobe-drift/1", "run": {}, "probes": [{"suite": ' + "[" * 100_000
                          + "]" * 100_000 + ', "probe": "one", "status": "unchanged"}]}', "nested deeper than"),
    "duplicate-key": ('{"format": "pipeprobe-drift/1", "run": {}, "run": {}, "probes": []}', "appears twice"),
}


@pytest.mark.parametrize("command", [("drift", "merge"), ("history",)])
@pytest.mark.parametrize("case", sorted(MALFORMED_REPORTS))
def test_drift_merge_and_history_on_a_malformed_report_are_exit_2_one_line(tmp_path, capsys, command, case):
    text, needle = MALFORMED_REPORTS[case]
    path = tmp_path / "drift.json"
    path.write_text(text, encoding="utf-8")
    code, lines = _cli(capsys, *command, str(path), str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert len(lines) == 1 and str(path) in lines[0] and needle in lines[0], lines


def test_calibrate_refuses_tighten_and_widen_together_in_one_line(capsys):
    code, lines = _cli(capsys, "calibrate", "--tighten", "--widen-why", "noisy GPU")
    assert code == 2
    assert lines == ["pipeprobe calibrate: --tighten and --widen-why pull opposite ways: give one of them"]
