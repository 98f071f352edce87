#!/usr/bin/env bash
# Render the HTML report and the drift report offline in headless Chromium, check in the
# rendered DOM that the report's own JavaScript ran (its result rows exist), that the first
# row is a failure when there is one and that skipped rows are collapsed, and take
# screenshots into reports/.
#
#   scripts/screenshot_report.sh                  # reports/report.html and reports/drift/drift.html
#   scripts/screenshot_report.sh REPORT.html DRIFT_DIR
#   scripts/screenshot_report.sh --demo           # first make both reports from a tiny SST-2 twin
#                                                 # with one drifted probe, which must be the first row
#
# Needs Debian's chromium (apt-get install -y chromium) and the project's venv (for --demo).
set -euo pipefail
cd "$(dirname "$0")/.."

expect_first=""
if [[ "${1:-}" == "--demo" ]]; then
  shift
  work="$(mktemp -d)"
  python - "$work" <<'PY'
import sys
from pathlib import Path
from tests import twins
from tests.perturb import copy_sentiment_project
work = Path(sys.argv[1])
copy_sentiment_project(work / "project", Path.cwd())
twins.write_model_map(work / "twin.toml", {twins.SST2_ID: twins.build_sst2_twin(work / "sst2")})
PY
  root="$PWD"
  # Record baselines from the twin (the sentiment suite alone), move one baseline's score by 0.002
  # (beyond the cpu/float32 tolerance: one drifted probe), then run against them with both reports.
  (cd "$work/project" && python -m pytest -q -p no:cacheprovider -m sentiment "--model-map=$work/twin.toml" \
      --snapshot-update >/dev/null || true)
  python - "$work/project" <<'PY'
import json, sys
from pathlib import Path
(path,) = Path(sys.argv[1]).glob("snapshots/sentiment/*/teste-02.json")
baseline = json.loads(path.read_text())
baseline["output"]["score"] -= 0.002
path.write_text(json.dumps(baseline, indent=2))
PY
  rm -rf "$root/reports/report.html" "$root/reports/drift"
  (cd "$work/project" && python -m pytest -q -p no:cacheprovider -m sentiment "--model-map=$work/twin.toml" \
      "--html=$root/reports/report.html" --self-contained-html "--drift-report=$root/reports/drift" >/dev/null || true)
  rm -rf "$work"
  expect_first="drifted"
fi

report="${1:-reports/report.html}"
drift_dir="${2:-reports/drift}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
  echo "screenshot_report: no chromium here (Debian: apt-get install -y chromium)" >&2
  exit 2
fi

# No network at all: every request goes to a closed local port.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking
       --disable-component-update --disable-sync --no-first-run --hide-scrollbars
       --proxy-server=http://127.0.0.1:9 --proxy-bypass-list='<-loopback>' --virtual-time-budget=5000)

shoot() {  # shoot PAGE PNG WIDTH HEIGHT
  local profile
  profile="$(mktemp -d)"
  "$browser" "${flags[@]}" --user-data-dir="$profile" --window-size="$3,$4" --screenshot="$PWD/$2" \
    "file://$PWD/$1" >/dev/null 2>&1
  rm -rf "$profile"
  echo "screenshot: $2"
}

dom() {  # dom PAGE: the page as Chromium leaves it once its own JavaScript ran
  local profile
  profile="$(mktemp -d)"
  "$browser" "${flags[@]}" --user-data-dir="$profile" --dump-dom "file://$PWD/$1" 2>/dev/null
  rm -rf "$profile"
}

# shellcheck disable=SC2016  # the Python below is single-quoted on purpose
check_rows='
import re, sys
dom, expect_first = sys.stdin.read(), sys.argv[1]
rows = re.findall(r"<tbody class=\"results-table-row ([a-z]+)\"[^>]*>(.*?)</tbody>", dom, re.S)
outcomes = [outcome for outcome, _ in rows]
print(f"{len(rows)} result rows rendered offline; the first: {outcomes[0] if rows else None}")
problems = [] if "class=\"col-task\"" in dom else ["no probe rows rendered"]
if "failed" in outcomes and outcomes[0] != "failed":
    problems.append("the first row is not a failure")
if expect_first and rows and f"-->{expect_first}</td>" not in rows[0][1]:
    problems.append(f"the first row is not the {expect_first} probe")
if any(outcome == "skipped" and "col-result collapsed" not in body for outcome, body in rows):
    problems.append("a skipped row is not collapsed")
for problem in problems:
    print(f"report: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
'

status=0
if [[ -f "$report" ]]; then
  dom "$report" | python3 -c "$check_rows" "$expect_first" || status=1
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
