"""One check for NaN/Infinity (``strict_json.non_finite_path``) that every writer calls, and the one strict reader for
every JSON file pipeprobe owns or a user edits: a bad one is one line naming it, never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pipeprobe import strict_json
from pipeprobe.baselines import store
from pipeprobe.baselines.extension import NonFiniteOutput, ProbeSnapshotExtension
from pipeprobe.behaviour.cases import CaseTestError, parse
from pipeprobe.models import fingerprints
from pipeprobe.models.folder_check import folder_faults
from pipeprobe.plugin import carbon
from pipeprobe.report.render import strict

NAN, INF = float("nan"), float("inf")


# One NaN/Infinity check ---------------------------------------------------------------------------------------------
def test_non_finite_path_names_the_first_place_in_document_order():
    output = {"label": "POSITIVE", "scores": [0.5, {"raw": INF}, NAN], "n": 3, "ok": True}
    assert strict_json.non_finite_path(output) == "output.scores[1].raw"
    assert list(strict_json.non_finite_places(output)) == ["output.scores[1].raw", "output.scores[2]"]
    assert strict_json.non_finite_path({"output": (1.0, -INF)}, "") == "output[1]"
    assert strict_json.non_finite_path(NAN, "score") == "score"
    assert strict_json.non_finite_path({"a": [1.0, 2, "NaN", None, {"b": [0.0]}]}) is None
    assert strict_json.is_non_finite(NAN) and not strict_json.is_non_finite(1e308) and not strict_json.is_non_finite(1)


def test_the_store_refuses_a_non_finite_output_and_writes_nothing(tmp_path: Path):
    path = tmp_path / "demo/m@r/one.json"
    with pytest.raises(store.BaselineError, match=r"NaN or Infinity at output\.score; never written"):
        store.write(path, {"suite": "demo", "probe": "one", "output": {"score": NAN}}, [])
    assert not path.exists()


def test_the_snapshot_extension_names_the_probe_and_the_place():
    record = {"suite": "demo", "probe": "one", "input": "x", "output": {"scores": [0.1, INF]}}
    with pytest.raises(NonFiniteOutput, match=r"output of demo/one holds NaN or Infinity at output\.scores\[1\]: "
                                              "a fault of the model's output, not written"):
        ProbeSnapshotExtension().serialize(record)
    assert json.loads(ProbeSnapshotExtension().serialize({**record, "output": {"scores": [0.1]}}))["output"]


def test_the_drift_report_nulls_what_the_check_finds():
    report = strict({"probes": [{"delta": NAN, "values": [1.0, -INF]}], "summary": {}})
    assert report["probes"][0] == {"delta": None, "values": [1.0, None]}
    assert report["non_finite"] == ["probes[0].delta: nan", "probes[0].values[1]: -inf"]
    assert strict_json.non_finite_path(report, "") is None


# Strict reads of the files pipeprobe owns ---------------------------------------------------------------------------
def test_a_carbon_table_with_a_duplicate_country_is_one_line_naming_it(tmp_path: Path):
    table = tmp_path / "global_energy_mix.json"
    table.write_text('{"FRA": {"carbon_intensity": 50}, "FRA": {"carbon_intensity": 500}}', encoding="utf-8")
    problem = carbon._country_problem("FRA", table)
    assert problem is not None and "\n" not in problem
    assert str(table) in problem and "key 'FRA' appears twice" in problem
    table.write_text('{"FRA": {"carbon_intensity": NaN}}', encoding="utf-8")
    assert "holds NaN" in carbon._country_problem("FRA", table)
    table.write_text("[1, 2]", encoding="utf-8")
    assert "not a mapping" in carbon._country_problem("FRA", table)
    table.write_text('{"FRA": {}}', encoding="utf-8")
    assert carbon._country_problem("FRA", table) is None
    assert "no energy mix for it" in carbon._country_problem("BRA", table)
    assert carbon._country_problem("FRA", tmp_path / "absent.json") is None  # another codecarbon: not checked


def _carbon_plugin(directory: Path, said: list[str]) -> carbon.CarbonPlugin:
    terminal = SimpleNamespace(write_line=said.append)
    config = SimpleNamespace(option=SimpleNamespace(), getoption=lambda name, default=None: str(directory),
                             pluginmanager=SimpleNamespace(get_plugin=lambda name: terminal))
    plugin = carbon.CarbonPlugin(config, None, "FRA")  # type: ignore[arg-type]
    plugin.result = {"country": "FRA", "problem": None, "total": {"kwh": 1.0, "kg_co2eq": NAN, "seconds": 1.0}}
    return plugin


def test_carbon_joins_drift_json_strictly_and_atomically(tmp_path: Path):
    path = tmp_path / "drift.json"
    path.write_text('{"format": "pipeprobe-drift/1", "probes": []}\n', encoding="utf-8")
    path.chmod(0o640)
    said: list[str] = []
    _carbon_plugin(tmp_path, said)._add_to_drift_report()
    report = strict_json.read(path)  # still strict JSON: the NaN became null, listed
    assert said == [] and report["carbon"]["total"] == {"kwh": 1.0, "kg_co2eq": None, "seconds": 1.0}
    assert report["non_finite"] == ["carbon.total.kg_co2eq: nan"]
    assert os.stat(path).st_mode & 0o777 == 0o640 and [p.name for p in tmp_path.iterdir()] == ["drift.json"]


def test_a_drift_json_carbon_cannot_read_is_one_line_and_left_alone(tmp_path: Path):
    path = tmp_path / "drift.json"
    text = '{"format": "x", "format": "y"}\n'
    path.write_text(text, encoding="utf-8")
    said: list[str] = []
    _carbon_plugin(tmp_path, said)._add_to_drift_report()
    assert said == [f"pipeprobe carbon: {path}: key 'format' appears twice in one object; "
                    "the energy was not added to it"]
    assert path.read_text(encoding="utf-8") == text


def test_a_fingerprint_cache_that_is_not_strict_json_is_rebuilt(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PIPEPROBE_CACHE", str(tmp_path / "cache"))
    cache = fingerprints.cache_file()
    cache.parent.mkdir()
    cache.write_text('{"a": [1, 2, "x"], "a": [1, 2, "y"]}', encoding="utf-8")
    assert fingerprints._read_cache(cache) == {}
    fingerprints._write_cache(cache, {"b": [1, 2, "z"]})
    assert strict_json.read(cache) == {"b": [1, 2, "z"]}
    assert [path.name for path in cache.parent.iterdir()] == ["fingerprints.json"]
    cache.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert fingerprints._read_cache(cache) == {}


# A model's own config.json and a user's case data -------------------------------------------------------------------
@pytest.mark.parametrize(("text", "words"), [
    ("[" * 100_000 + "]" * 100_000, "config.json is not readable JSON (maximum recursion depth"),
    ('{"model_type": "bert",', "config.json is not readable JSON (Expecting"),
])
def test_a_malformed_config_json_is_one_line(tmp_path: Path, text: str, words: str):
    (tmp_path / "config.json").write_text(text, encoding="utf-8")
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    (fault,) = folder_faults(tmp_path)
    assert fault.startswith(words) and "\n" not in fault and len(fault) < 200


@pytest.mark.parametrize("index", ['{"weight_map": {"a": ["x"]}}', "[" * 100_000 + "]" * 100_000])
def test_a_malformed_weight_index_is_one_line(tmp_path: Path, index: str):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (tmp_path / "model.safetensors.index.json").write_text(index, encoding="utf-8")
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    faults = folder_faults(tmp_path)
    assert len(faults) == 1 and faults[0].startswith("model.safetensors.index.json is not a readable weight index")


@pytest.mark.parametrize(("line", "words"), [
    ('{"t": "fine", "t": "awful", "y": "positive"}', "rows.jsonl line 2: key 't' appears twice in one object"),
    ('{"t": "fine", "y": "positive", "w": NaN}', "rows.jsonl line 2: holds NaN"),
    ('{"t": "fine"', "rows.jsonl line 2: not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "rows.jsonl line 2: nested deeper than"),
])
def test_case_data_lines_are_strict_json(tmp_path: Path, line: str, words: str):
    (tmp_path / "rows.jsonl").write_text('{"t": "good", "y": "positive"}\n' + line + "\n", encoding="utf-8")
    entry: dict[str, Any] = {"name": "t", "capability": "Vocabulary", "type": "MFT", "max_fail_rate": 0.0,
                             "data": {"file": "rows.jsonl", "text": "t", "label": "y"}}
    with pytest.raises(CaseTestError) as raised:
        parse(entry, "en", tmp_path)
    assert str(raised.value).startswith(words) and "\n" not in str(raised.value)
