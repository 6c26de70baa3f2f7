#!/usr/bin/env bash
# Nightly regression job: run the default experiment, append it to the run history, and compare it with
# the committed baseline. Exits 1 when `harness compare` finds a significant drop (the CI gate), 2 on
# bad input, 0 otherwise. Outputs: $OUT/{results.json,samples.jsonl,report.html,compare.html}.
#
# Refreshing the baseline (after an intended change of numbers, e.g. a new default config):
#   scripts/nightly.sh --refresh-baseline
# which reruns the default and copies its results.json and samples.jsonl into results/baseline/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-results/nightly-$(date -u +%Y%m%d)}"
HISTORY="${HISTORY:-results/history.sqlite}"
BASELINE=results/baseline
MAX_DROP="${MAX_DROP:-0.05}"

scripts/install_deps.sh
scripts/build.sh >/dev/null
HARNESS=build/bin/harness

"$HARNESS" run --out "$OUT" --history "$HISTORY"
if [ "${1:-}" = "--refresh-baseline" ]; then
  mkdir -p "$BASELINE"
  cp "$OUT/results.json" "$OUT/samples.jsonl" "$BASELINE/"
  echo "baseline refreshed from $OUT"
  exit 0
fi
"$HARNESS" compare "$BASELINE/results.json" "$OUT/results.json" --max-drop "$MAX_DROP" \
  --html "$OUT/compare.html"
