#!/usr/bin/env bash
# Learning check: does the built-in model learn every one of the seven families? Runs one experiment
# (SFT on all seven synthetic families at once, one model) and prints the per-family table of
# scripts/family_table.py: greedy accuracy on 200 held-out problems with its 95% interval, chance, the
# profile's target and whether it is met, the extraction rate, McNemar's p against the untrained base
# model, and for multiple choice whether the computed value and the written letter were right.
#   scripts/learning_check.sh [default|warmup|CONFIG.json]
#     default  configs/default.json (the default `harness run`, about 10 minutes on 2 cores)
#     warmup   configs/paper/warmup.json (the warm-up checkpoints of the method experiments, about 45 minutes)
# Results go to results/learning-check/<profile>/ (OUT overrides); a rerun reuses finished steps.
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS="${HARNESS:-build/bin/harness}"
profile="${1:-default}"
case "$profile" in
  default) config=configs/default.json ;;
  warmup) config=configs/paper/warmup.json ;;
  *.json) config="$profile"; profile=default ;;
  *) echo "usage: $0 [default|warmup|CONFIG.json]" >&2; exit 2 ;;
esac
OUT="${OUT:-results/learning-check/$(basename "$config" .json)}"
start=$(date +%s)
"$HARNESS" run "$config" --out "$OUT"
end=$(date +%s)
base=base
python3 -c "import json,sys; sys.exit(0 if 'base' in json.load(open('$OUT/results.json'))['config']['methods'] else 1)" || base=none
python3 scripts/family_table.py "$OUT" --profile "$profile" --base "$base"
echo "wall $((end - start)) s for $config (results in $OUT)"
