#!/usr/bin/env bash
# Render the HTML report and the drift report offline in headless Chromium, check that the
# report's own JavaScript ran (its result rows exist in the rendered page), and take
# screenshots into reports/.
#
#   scripts/screenshot_report.sh                  # reports/report.html and reports/drift/drift.html
#   scripts/screenshot_report.sh REPORT.html DRIFT_DIR
#   scripts/screenshot_report.sh --demo           # first make both reports from a tiny SST-2 twin
#                                                 # whose embedding of "love" was moved (no hub needed)
#
# Needs Debian's chromium (apt-get install -y chromium) and the project's venv (for --demo).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--demo" ]]; then
  shift
  work="$(mktemp -d)"
  python - "$work" <<'EOF'
import shutil, sys
from pathlib import Path
from tests import twins
work = Path(sys.argv[1])
project = work / "project"
for part in ("suites/test_sentiment.py", "fixtures/sentiment.yaml", "fixtures/models.yaml", "pyproject.toml"):
    (project / part).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(part, project / part)
shutil.copytree("snapshots/sentiment", project / "snapshots/sentiment")
from tests.perturb import build_sensitive_sst2_twin, perturb_word
twin = build_sensitive_sst2_twin(work / "sst2")
twins.write_model_map(work / "twin.toml", {twins.SST2_ID: twin})
shifted = perturb_word(twin, work / "shifted", "love", 1.0)
twins.write_model_map(work / "shifted.toml", {twins.SST2_ID: shifted})
EOF
  root="$PWD"
  # Record baselines from the twin (the sentiment suite alone), then run a perturbed twin
  # against them with both reports.
  (cd "$work/project" && python -m pytest -q -p no:cacheprovider -m sentiment "--model-map=$work/twin.toml" \
      --snapshot-update >/dev/null || true)
  (cd "$work/project" && python -m pytest -q -p no:cacheprovider -m sentiment "--model-map=$work/shifted.toml" \
      "--html=$root/reports/report.html" --self-contained-html "--drift-report=$root/reports/drift" >/dev/null || true)
  rm -rf "$work"
fi

report="${1:-reports/report.html}"
drift_dir="${2:-reports/drift}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "screenshot_report: no chromium here (Debian: apt-get install -y chromium)" >&2
  exit 2
fi

# No network at all: every request goes to a closed local port.
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --disable-sync --no-first-run --hide-scrollbars --proxy-server=http://127.0.0.1:9
       --proxy-bypass-list='<-loopback>' --virtual-time-budget=5000)

shoot() {  # shoot PAGE PNG WIDTH HEIGHT
  local profile
  profile="$(mktemp -d)"
  "$browser" "${flags[@]}" --user-data-dir="$profile" --window-size="$3,$4" --screenshot="$PWD/$2" \
    "file://$PWD/$1" >/dev/null 2>&1
  rm -rf "$profile"
  echo "screenshot: $2"
}

rows() {  # rows PAGE SELECTOR-TEXT: how many times the rendered DOM contains it
  local profile count
  profile="$(mktemp -d)"
  count="$("$browser" "${flags[@]}" --user-data-dir="$profile" --dump-dom "file://$PWD/$1" 2>/dev/null \
    | grep -o "$2" | wc -l)"
  rm -rf "$profile"
  echo "$count"
}

status=0
if [[ -f "$report" ]]; then
  rendered="$(rows "$report" 'class="col-task"')"
  echo "$report: $rendered probe rows rendered offline"
  [[ "$rendered" -gt 0 ]] || { echo "$report: no probe rows rendered" >&2; status=1; }
  shoot "$report" reports/report.png 1400 1000
else
  echo "$report: not found (run pytest with --html=$report --self-contained-html, or use --demo)" >&2
  status=1
fi
if [[ -f "$drift_dir/drift.html" ]]; then
  shoot "$drift_dir/drift.html" reports/drift_page.png 1400 1000
  cp "$drift_dir/drift.png" reports/drift_chart.png
  echo "chart: reports/drift_chart.png"
else
  echo "$drift_dir/drift.html: not found (run pytest with --drift-report=$drift_dir)" >&2
  status=1
fi
exit "$status"
