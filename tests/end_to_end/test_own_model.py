"""A team's own model and probes: the README's steps to the letter, the opt-in plugin, init,
check, the team's own task adapter, and `models list` honouring [tool.pipeprobe]."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import twins
from tests.conftest import PROJECT

BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_NUM_THREADS": "1"}
    env.pop("PIPEPROBE_MODEL_MAP", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _sh(script: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script], cwd=cwd, env=_env(), capture_output=True, text=True,
        timeout=timeout, check=False,
    )


def readme_steps() -> str:
    """The README's "Test your own model" commands (its first bash block), minus `pip install`:
    this environment has pipeprobe installed already."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Test your own model", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return "\n".join(line for line in block.splitlines() if not line.startswith("pip install"))


@pytest.fixture(scope="module")
def encoder_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return twins.build_minilm_twin(tmp_path_factory.mktemp("twins") / "my-encoder")


def test_the_readme_takes_a_team_from_init_to_a_passing_probe_and_a_recorded_baseline(tmp_path, encoder_twin):
    script = readme_steps()
    assert "/path/to/my-encoder" in script and "pipeprobe init" in script
    done = _sh(script.replace("/path/to/my-encoder", str(encoder_twin)), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    project = tmp_path / "my-probes"
    baselines = list((project / "snapshots").rglob("*.json"))
    assert [path.relative_to(project).as_posix() for path in baselines] == [
        "snapshots/ref/my-org--my-encoder@main/example.json"
    ]
    record = json.loads(baselines[0].read_text())
    assert record["probe"] == "example" and len(record["output"]["scores"]) == 2
    assert "2 passed" in done.stdout  # the last run: the expectation and the baseline

    # a number pinned wrongly: one message naming probe, path, expected, output and tolerance
    (project / "fixtures" / "far.yaml").write_text(textwrap.dedent("""\
        suite: far
        task: feature-extraction
        model: my-org/my-encoder
        probes:
          - id: weather
            input: {query: "The weather is lovely today.", candidates: ["It's so sunny outside!"]}
            params: {check: similarity}
            expect:
              scores.0: {approx: 5.0, abs: 0.0005}
        """))
    (project / "suites" / "test_far.py").write_text(
        re.sub(r"^SUITE = .*$", 'SUITE = "far"', (project / "suites" / "test_ref.py").read_text(), flags=re.M)
    )
    missed = _sh("pytest --model-map=model-map.toml suites/test_far.py -k expectation", project)
    assert missed.returncode == 1, missed.stdout + missed.stderr
    assert re.search(r"ExpectationMiss: far/weather: scores\.0: expected approx 5\.0 \(tolerance abs 0\.0005\), "
                     r"got -?\d\.\d+ \(off by \d\.\d+\)\n", missed.stdout), missed.stdout
    assert "TypeError" not in missed.stdout


def test_an_unrelated_project_with_fixtures_is_left_alone_and_imports_no_torch(tmp_path):
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "users.yaml").write_text("users:\n  - alice\n  - bob\n")
    (tmp_path / "test_users.py").write_text("def test_users():\n    assert True\n")
    done = _sh(f"{sys.executable} -X importtime -m pytest -q -p no:cacheprovider", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout and "pipeprobe" not in done.stdout
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert not {"torch", "transformers", "pydantic"} & imported


def test_collecting_this_repository_imports_no_torch():
    done = _sh(f"{sys.executable} -X importtime -m pytest --co -q -p no:cacheprovider", PROJECT, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "torch" not in imported and "transformers" not in imported
    assert re.search(r"\d+ tests collected", done.stdout)


ECHO_ADAPTER = '''
from pipeprobe.language.expect import judge as judge_expect


class Echo:
    """A task pipeprobe doesn't ship: the "model" upper-cases its input."""

    batches = False

    def load(self, location, revision, target, local_only, gguf_file):
        return str.upper

    def run(self, loaded, inputs, params):
        return [{"text": loaded(text), "length": len(text)} for text in inputs]

    def judge(self, expect, output):
        return judge_expect(expect, output)
'''


def test_a_team_names_its_own_task_adapter_and_probes_it(tmp_path):
    done = _sh("pipeprobe init team --model acme/echo --task text-classification --suite echo", tmp_path)
    assert done.returncode == 0, done.stderr
    team = tmp_path / "team"
    with (team / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[tool.pipeprobe.tasks]\necho = "acme_adapters:Echo"\n')
    (team / "acme_adapters.py").write_text(ECHO_ADAPTER)
    (team / "fixtures" / "models.yaml").write_text("models:\n  acme/echo: {revision: main, task: echo}\n")
    (team / "fixtures" / "echo.yaml").write_text(textwrap.dedent("""\
        suite: echo
        task: echo
        model: acme/echo
        markers: [search_team]
        probes:
          - id: shout
            lang: de
            input: "guten tag"
            expect: {text: "GUTEN TAG", length: {between: [5, 20]}}
          - id: known-weakness
            input: "x"
            expect: {text: "y"}
            verdict: wrong
        """))
    (team / "model").mkdir()
    (team / "model-map.toml").write_text('[models]\n"acme/echo" = "model"\n')
    assert _sh("pipeprobe check", team).returncode == 0
    run = _sh("pytest --model-map=model-map.toml -m 'search_team and lang_de' -k expectation -q", team)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    weakness = _sh("pytest --model-map=model-map.toml -k 'expectation and known' -q -rx", team)
    assert weakness.returncode == 0 and "1 xfailed" in weakness.stdout, weakness.stdout
    undeclared = _sh("pytest --model-map=model-map.toml -m search_tema -q", team)
    assert undeclared.returncode == 4
    assert "no probe file, task or plugin declares marker(s) search_tema" in undeclared.stderr


def test_check_names_each_fault_and_the_plugin_warns_about_a_file_no_suite_runs(tmp_path):
    assert _sh("pipeprobe init p --model acme/enc --task feature-extraction --suite ref", tmp_path).returncode == 0
    project = tmp_path / "p"
    assert _sh("pipeprobe check", project).returncode == 0
    (project / "fixtures" / "orphan.yaml").write_text(textwrap.dedent("""\
        suite: orphan
        task: feature-extraction
        model: acme/enc
        probes:
          - {id: fine, input: "hi", expect: {dim: 384}}
        """))
    warned = _sh("pytest --co -q", project)
    assert warned.returncode == 0
    assert "orphan.yaml: no suite module in" in warned.stdout + warned.stderr
    (project / "fixtures" / "broken.yaml").write_text(textwrap.dedent("""\
        suite: broken
        task: feature-extraction
        model: acme/other
        probes:
          - {id: one, input: "hi", expect: {scores: {above: 1, below: 2}}, recorded: "no"}
          - {id: ../two, input: "hi", expect: {dim: 1}, lang: English}
        """))
    checked = _sh("pipeprobe check", project)
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    broken = str(project / "fixtures" / "broken.yaml")
    assert f"{broken}: probe 'one': recorded: Input should be a valid boolean (got 'no')" in lines
    assert f"{broken}: probe '../two': id: must be a slug: letters, digits, '.', '_', '-', no leading dot " \
           "(got '../two')" in lines
    assert any(line.startswith(f"{broken}: probe '../two': lang: must be an ISO 639") for line in lines)
    assert any("orphan.yaml: suite 'orphan': no suite module" in line for line in lines)
    refused = _sh("pytest --co -q", project)
    assert refused.returncode == 4 and "broken.yaml: probe 'one': recorded" in refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr


def test_init_refuses_to_overwrite_and_names_a_bad_task(tmp_path):
    assert _sh("pipeprobe init p --model a/b --task fill-mask", tmp_path).returncode == 0
    again = _sh("pipeprobe init p --model a/b --task fill-mask", tmp_path)
    assert again.returncode == 2 and "exists; init writes a new project and overwrites nothing" in again.stderr
    bad = _sh("pipeprobe init q --model a/b --task sorting", tmp_path)
    assert bad.returncode == 2 and "--task 'sorting': choose one of" in bad.stderr
    assert not (tmp_path / "q").exists()


def test_models_list_reads_the_configured_probe_folder(tmp_path):
    assert _sh("pipeprobe init p --model acme/enc --task feature-extraction --suite ref", tmp_path).returncode == 0
    project = tmp_path / "p"
    (project / "fixtures").rename(project / "probes")
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write("")
    text = (project / "pyproject.toml").read_text().replace('fixtures = "fixtures"', 'fixtures = "probes"')
    (project / "pyproject.toml").write_text(text)
    listed = _sh("pipeprobe models list", project / "suites")  # from a subfolder: the project is found upwards
    assert listed.returncode == 0, listed.stderr
    assert "acme/enc" in listed.stdout


def test_options_live_in_the_light_entry_not_in_the_probe_plugin():
    """The probe plugin is registered late (only where [tool.pipeprobe] is): an option it added
    itself would come after pytest parsed the command line. Options go in pipeprobe.plugin.options."""
    from pipeprobe.plugin import entry, options
    from pipeprobe.plugin import probes as plugin

    assert not hasattr(plugin, "pytest_addoption")
    assert hasattr(entry, "pytest_addoption") and callable(options.add_options)
