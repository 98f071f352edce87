"""--shard=I/N: disjoint shards whose union is every probe, each model in one shard, balanced by durations;
--store-durations records them; the xdist scheduler keeps each model on one worker."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeprobe.plugin import scheduling, shards
from pipeprobe.probes.catalogue import load_catalogue
from tests import twins
from tests.conftest import PROJECT, run_inprocess

NODEID = re.compile(r"^(suites/\S+::\S+)$", re.MULTILINE)


def _collected(project: pytest.Pytester, *args: str) -> list[str]:
    result = run_inprocess(project, "--co", "-q", *args)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), result.stdout.str()
    return NODEID.findall(result.stdout.str())


def _model_of(project: pytest.Pytester) -> scheduling.ModelScopes:
    return scheduling.ModelScopes(project.path, load_catalogue(project.path / "fixtures"))


@pytest.mark.parametrize("count", [2, 3])
def test_shards_are_disjoint_cover_every_probe_and_keep_each_model_whole(project, count):
    everything = _collected(project)
    parts = [_collected(project, f"--shard={index}/{count}") for index in range(1, count + 1)]
    assert sum(len(part) for part in parts) == len(everything)
    assert sorted(nodeid for part in parts for nodeid in part) == sorted(everything)
    scopes = _model_of(project)
    owner: dict[str, int] = {}
    for index, part in enumerate(parts):
        assert part, f"shard {index + 1}/{count} is empty"
        for nodeid in part:
            model = scopes.model_of(nodeid)
            assert model is not None, nodeid
            assert owner.setdefault(model, index) == index, f"{model} is in shards {owner[model] + 1} and {index + 1}"


def test_a_shard_with_another_selection_is_the_intersection(project):
    chosen = set(_collected(project, "-k", "sentiment or minilm or smollm2"))
    both = [set(_collected(project, "-k", "sentiment or minilm or smollm2", f"--shard={index}/2")) for index in (1, 2)]
    assert chosen and both[0] | both[1] == chosen and not both[0] & both[1]


@pytest.mark.parametrize("value", ["0/2", "3/2", "1/0", "one/two", "1"])
def test_a_bad_shard_is_one_line_and_a_usage_error(project, value):
    result = run_inprocess(project, "--co", "-q", f"--shard={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--shard={value}:" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_assignment_balances_by_recorded_durations_largest_first():
    weights = {"big": 10.0, "mid": 6.0, "small-a": 3.0, "small-b": 3.0, "tiny": 1.0}
    owner = shards.assign(weights, 2)
    totals = [sum(weight for model, weight in weights.items() if owner[model] == index) for index in (1, 2)]
    assert owner["big"] == 1 and owner["mid"] == 2
    assert abs(totals[0] - totals[1]) <= 1.0
    assert shards.assign(weights, 1) == dict.fromkeys(weights, 1)


def test_unrecorded_models_are_weighed_by_the_recorded_average_per_probe():
    catalogue = load_catalogue(PROJECT / "fixtures")
    probes = [probe for suite in catalogue.values() for probe in suite]
    some = probes[0].model
    count = sum(probe.model == some for probe in probes)
    weights = shards.model_weights(probes, {some: {"load_s": 4.0, "run_s": 2.0 * count, "probes": count}})
    assert weights[some] == pytest.approx(4.0 + 2.0 * count)
    other = next(probe.model for probe in probes if probe.model != some)
    other_count = sum(probe.model == other for probe in probes)
    assert weights[other] == pytest.approx(4.0 + 2.0 * other_count)


def test_store_durations_records_each_model_it_ran_and_keeps_the_others(project, sst2_twin):
    mapping = twins.write_model_map(project.path / "map.toml", {twins.SST2_ID: sst2_twin})
    path = project.path / "fixtures" / shards.DURATIONS_NAME
    path.write_text(json.dumps({"format": shards.DURATIONS_FORMAT, "models": {"kept/model": {
        "load_s": 1.0, "run_s": 1.0, "probes": 1}}}), encoding="utf-8")
    result = run_inprocess(project, "suites/test_sentiment.py", f"--model-map={mapping}", "--store-durations",
                           "-k", "baseline", "--snapshot-update")
    assert result.ret == 0, result.stdout.str()
    models = json.loads(path.read_text(encoding="utf-8"))["models"]
    assert set(models) == {"kept/model", twins.SST2_ID}
    entry = models[twins.SST2_ID]
    assert entry["probes"] == len(load_catalogue(project.path / "fixtures")["sentiment"])
    assert entry["load_s"] > 0 and entry["run_s"] > 0


def test_the_committed_durations_file_is_readable():
    path = PROJECT / "fixtures" / shards.DURATIONS_NAME
    if path.exists():
        assert shards.read_durations(path)


def test_worker_k_takes_gpu_k_mod_count():
    assert [scheduling.worker_device("cuda:0", worker, 2) for worker in range(4)] == [
        "cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert scheduling.worker_device("cuda:0", 3, 1) == "cuda:0"
    assert scheduling.worker_device("cuda:0", None, 4) == "cuda:0"
    assert scheduling.worker_device("cpu", 1, 4) == "cpu"


def test_model_scopes_read_the_suite_without_importing_it(tmp_path: Path):
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "test_x.py").write_text('import nothing_here\nSUITE = "sentiment"\n', encoding="utf-8")
    catalogue = load_catalogue(PROJECT / "fixtures")
    scopes = scheduling.ModelScopes(tmp_path, catalogue)
    first = catalogue["sentiment"][0]
    assert scopes.model_of(f"suites/test_x.py::test_baseline[{first.id}]") == first.model
    assert scopes.model_of("suites/test_x.py::test_other") is None
    assert scopes.model_of("suites/test_x.py::test_baseline[no-such-probe]") is None


def test_under_xdist_each_model_runs_on_one_worker_and_loads_once(project, sst2_twin):
    minilm = twins.build_minilm_twin(project.path / "minilm-twin")
    mapping = twins.write_model_map(project.path / "map.toml", {twins.SST2_ID: sst2_twin, twins.MINILM_ID: minilm})
    result = run_inprocess(project, "suites/test_sentiment.py", "suites/test_minilm.py", f"--model-map={mapping}",
                           "-n", "2", "-v", "-k", "baseline")
    output = result.stdout.str()
    workers: dict[str, set[str]] = {}
    for worker, nodeid in re.findall(r"\[(gw\d+)\] \[[ \d%]+\] \w+ (suites/\S+)", output):
        workers.setdefault(nodeid.split("::")[0], set()).add(worker)
    assert set(workers) == {"suites/test_sentiment.py", "suites/test_minilm.py"}, output
    assert all(len(found) == 1 for found in workers.values()), workers
    loads = [line for line in output.splitlines() if line.startswith("loaded ")]
    assert len(loads) == 2, output


def test_the_nightly_shard_matrix_and_its_merge_job_agree_on_the_shard_count():
    import yaml

    jobs = yaml.safe_load((PROJECT / ".github" / "workflows" / "nightly.yml").read_text(encoding="utf-8"))["jobs"]
    shard_list = jobs["cpu"]["strategy"]["matrix"]["shard"]
    assert shard_list == list(range(1, len(shard_list) + 1))
    assert int(jobs["cpu"]["env"]["SHARDS"]) == int(jobs["cpu-report"]["env"]["SHARDS"]) == len(shard_list)
    assert "--shard=" in json.dumps(jobs["cpu"]["steps"]) and "drift merge" in json.dumps(jobs["cpu-report"]["steps"])


@pytest.mark.parametrize("text", ["[1, 2]", "{\"format\": \"other\"}", "not json"])
def test_a_malformed_durations_file_is_one_line_and_a_usage_error(project, text):
    (project.path / "fixtures" / shards.DURATIONS_NAME).write_text(text, encoding="utf-8")
    result = run_inprocess(project, "--co", "-q", "--shard=1/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert shards.DURATIONS_NAME in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
