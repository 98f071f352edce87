"""The thread policy (issue 17, item 8): torch's intra-op threads come from the cores this process may
really use (affinity mask, cgroup quota) shared among xdist workers; ``--threads N`` overrides."""

from __future__ import annotations

import os

import pytest

from pipeprobe.execution import threads


@pytest.mark.parametrize(("text", "cores"), [("max 100000", None), ("150000 100000", 1.5), ("50000 100000", 0.5),
                                             ("garbage", None), ("", None)])
def test_the_cgroup_quota_is_read_in_cores(tmp_path, text, cores):
    (tmp_path / "cpu.max").write_text(text)
    assert threads.quota_cores(tmp_path / "cpu.max") == cores


def test_a_quota_caps_the_affinity_mask_and_a_missing_file_does_not(tmp_path, monkeypatch):
    monkeypatch.setattr(threads, "affinity_cores", lambda: 8)
    (tmp_path / "cpu.max").write_text("250000 100000")
    assert threads.available_cores(tmp_path / "cpu.max") == 3
    assert threads.available_cores(tmp_path / "absent") == 8


@pytest.mark.parametrize(("workers", "expected"), [("1", 4), ("2", 2), ("3", 1), ("8", 1), ("x", 4)])
def test_xdist_workers_share_the_cores(tmp_path, monkeypatch, workers, expected):
    monkeypatch.setattr(threads, "affinity_cores", lambda: 4)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", workers)
    assert threads.policy_threads(None, tmp_path / "absent") == expected


def test_an_override_wins(monkeypatch, tmp_path):
    monkeypatch.setattr(threads, "affinity_cores", lambda: 4)
    assert threads.policy_threads(3, tmp_path / "absent") == 3


def test_the_affinity_mask_is_what_the_process_may_use():
    assert threads.affinity_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value", ["0", "-1", "two", "5000"])
def test_a_bad_threads_option_is_one_usage_line(pytester, value):
    pytester.makepyprojecttoml("[tool.pipeprobe]\n")
    result = pytester.runpytest_subprocess(f"--threads={value}", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--threads" in result.stderr.str() and "Traceback" not in result.stderr.str()


def test_the_run_applies_the_policy_to_torch(pytester):
    pytester.makepyprojecttoml("[tool.pipeprobe]\n")
    pytester.makepyfile(test_x="import os\n\ndef test_x():\n    assert os.environ['OMP_NUM_THREADS'] == '3'\n")
    result = pytester.runpytest_subprocess("--threads=3", "-p", "no:randomly", "test_x.py")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()


def test_idle_threads_wait_passively_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    threads.wait_passively()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    threads.wait_passively()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_the_run_applies_passive_waiting_with_its_thread_count(pytester, monkeypatch):
    pytester.makepyprojecttoml("[tool.pipeprobe]\n")
    pytester.makepyfile(test_x="import os\n\ndef test_x():\n    assert os.environ['OMP_NUM_THREADS'] == '3'\n"
                               "    assert os.environ['OMP_WAIT_POLICY'] == 'PASSIVE'\n")
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    result = pytester.runpytest_subprocess("--threads=3", "-p", "no:randomly", "test_x.py")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()


def test_a_users_own_thread_count_still_waits_passively(pytester, monkeypatch):
    pytester.makepyprojecttoml("[tool.pipeprobe]\n")
    pytester.makepyfile(test_x="import os\n\ndef test_x():\n    assert os.environ['OMP_NUM_THREADS'] == '2'\n"
                               "    assert os.environ['OMP_WAIT_POLICY'] == 'PASSIVE'\n")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "test_x.py")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
