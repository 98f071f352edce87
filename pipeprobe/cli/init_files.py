"""What ``pipeprobe init`` writes besides the probes: ``.gitignore``, a GitHub Actions workflow and a README.

The workflow runs the probes on every push and pull request with ``--require-models`` (a model
that can't be had fails the run rather than skipping), keeps the HTML and drift reports as
artifacts, writes the drift table into the job summary, and every night also runs ``pipeprobe
history`` over the last nights' drift reports (kept in the actions cache). ``actionlint`` checks it
(tests/unit/test_init_files.py).
"""

from __future__ import annotations

GITIGNORE = """\
# pipeprobe's generated reports and local models (a model map's folders, `pipeprobe pack install`)
reports/
models/
model-map.toml
probe-file.schema.json
# Python
.venv/
__pycache__/
*.egg-info/
.pytest_cache/
"""

# ${{ }} are GitHub expressions; the file is a plain string, nothing is formatted into it.
WORKFLOW = """\
# pipeprobe: run the probes on every push and pull request, and every night with the trend
# across nights. Written by `pipeprobe init`; check edits with `actionlint`.
# Models: the job fetches the pinned revisions from the Hugging Face hub (an HF_TOKEN secret is
# used if set); --require-models makes a model that can't be had a failure, not a skip.
name: probes

on:
  push:
  pull_request:
  schedule:
    - cron: "23 3 * * *"
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: probes-${{ github.ref }}
  cancel-in-progress: true

env:
  PYTHONUNBUFFERED: "1"
  HF_TOKEN: ${{ secrets.HF_TOKEN }}

jobs:
  probes:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v6

      - uses: actions/setup-python@v6
        with:
          python-version: "3.11"
          cache: pip

      - name: Cache the Hugging Face hub folder
        uses: actions/cache@v5
        with:
          path: ~/.cache/huggingface/hub
          key: hf-hub-${{ hashFiles('fixtures/models.yaml', 'fixtures/models.lock.yaml') }}
          restore-keys: hf-hub-

      - name: Install torch (CPU build first, so pip pulls no CUDA build), then the project
        run: |
          python -m pip install --upgrade pip
          pip install torch --index-url https://download.pytorch.org/whl/cpu
          pip install -e .

      - name: Fetch the pinned models
        run: pipeprobe models fetch

      - name: Check the probe files
        run: pipeprobe check

      - name: Run the probes
        id: probes
        run: |
          set +e
          pytest --require-models -n 2 --html=reports/report.html --self-contained-html \\
            --drift-report=reports/drift
          echo "exit=$?" >> "$GITHUB_OUTPUT"

      - name: Drift table in the job summary
        if: ${{ !cancelled() && hashFiles('reports/drift/drift.json') != '' }}
        run: pipeprobe drift reports/drift/drift.json >> "$GITHUB_STEP_SUMMARY"

      # Nightly: the last 30 nights' drift reports live in the actions cache (an entry can't be
      # overwritten: each night saves a new one and restores the latest by prefix).
      - name: Restore the last nights' drift reports
        if: ${{ !cancelled() && github.event_name == 'schedule' }}
        uses: actions/cache/restore@v5
        with:
          path: history
          key: drift-history-${{ github.run_id }}-${{ github.run_attempt }}
          restore-keys: drift-history-

      - name: History in the job summary
        if: ${{ !cancelled() && github.event_name == 'schedule' && hashFiles('reports/drift/drift.json') != '' }}
        continue-on-error: true
        env:
          RUN_ID: ${{ github.run_id }}
        run: |
          night="history/runs/$(date -u +%Y%m%dT%H%M%S)-${RUN_ID}"
          mkdir -p "$night" && cp reports/drift/drift.json "$night/drift.json"
          find history/runs -mindepth 1 -maxdepth 1 -type d | sort | head -n -30 | xargs -r rm -rf
          mapfile -t nights < <(find history/runs -name drift.json | sort)
          echo "## pipeprobe history: the last ${#nights[@]} nights" >> "$GITHUB_STEP_SUMMARY"
          pipeprobe history "${nights[@]}" --out reports/history >> "$GITHUB_STEP_SUMMARY"

      - name: Keep tonight's drift report for the next nights
        if: ${{ !cancelled() && github.event_name == 'schedule' }}
        uses: actions/cache/save@v5
        with:
          path: history
          key: drift-history-${{ github.run_id }}-${{ github.run_attempt }}

      - name: Upload the reports
        if: ${{ !cancelled() }}
        uses: actions/upload-artifact@v6
        with:
          name: pipeprobe-reports
          path: reports/
          if-no-files-found: warn

      - name: Fail when a probe failed
        if: ${{ !cancelled() }}
        env:
          PYTEST_EXIT: ${{ steps.probes.outputs.exit }}
        run: |
          if [ "${PYTEST_EXIT}" != "0" ]; then echo "pytest exited with ${PYTEST_EXIT}"; exit 1; fi
"""


def require_models_line() -> str:
    """The generated pyproject's ``require_models`` line: a setting where this pipeprobe knows it, else
    a comment (the settings table refuses keys it doesn't know)."""
    from pipeprobe.language.schema import Settings

    line = "require_models = false  # true: a model that can't be had fails the run (CI passes --require-models)"
    return line if "require_models" in Settings.model_fields else f"# {line}"


def readme(name: str, model: str, suite: str, module: str) -> str:
    """The project's README stub: what it is, how to run it, where the probes live."""
    return f"""# {name}

Probes of `{model}` with [pipeprobe](https://pypi.org/project/pipeprobe/): each probe is an input,
the answer the team expects, and a recorded baseline output, so a new model revision, library
version, device or dtype shows up as a readable drift.

## Run

```bash
pip install torch && pip install -e .
pipeprobe check                                        # probe files, models.yaml, baselines: no model loads
pytest --model-map=model-map.toml --snapshot-update    # once: record the baselines
pytest -n 2 --html=reports/report.html --self-contained-html --drift-report=reports/drift
```

Copy `model-map.toml.example` to `model-map.toml` to test a model from a local folder.

## Where things are

| path | what |
|---|---|
| `fixtures/{suite}.yaml` | the probes: `id`, `input`, `expect` (one operator per path) |
| `fixtures/models.yaml` | the model, pinned to a revision |
| `suites/test_{module}.py` | the suite module (thin) |
| `snapshots/{suite}/` | the baselines (`pytest --snapshot-update` records them) |
| `.github/workflows/probes.yml` | CI: probes on push, reports as artifacts, nightly history |
"""
