#!/usr/bin/env bash
# `harness score` against the Python `re` scorer (scripts/py_score.py) on GSM8K test x K completions
# (scripts/make_score_predictions.py), alternating REPS runs of each; prints each run's wall time and
# the ratio of the medians. Both read the data and predictions and write results + samples.jsonl.
#   scripts/score_vs_python.sh [DATA=../shared/data/gsm8k/test.jsonl] [K=16] [REPS=7]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/gsm8k/test.jsonl}"
K="${2:-16}"
REPS="${REPS:-7}"
HARNESS="${HARNESS:-build/bin/harness}"
# The interpreter itself, not a launcher in front of it (a pyenv shim adds ~0.1 s per start, which
# would be counted against the Python scorer).
PYTHON="${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" scripts/make_score_predictions.py "$DATA" "$WORK/predictions.jsonl" "$K" 0
seconds() {  # wall seconds of "$@", output discarded
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
py=() ; h=()
for _ in $(seq "$REPS"); do
  py+=("$(seconds "$PYTHON" scripts/py_score.py "$DATA" "$WORK/predictions.jsonl" "$WORK/py")")
  h+=("$(seconds "$HARNESS" score --task gsm8k --data "$DATA" --predictions "$WORK/predictions.jsonl" --out "$WORK/h")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "completions: $(( $(wc -l < "$DATA") * K )) (python: $PYTHON)"
echo "python re scorer s: ${py[*]}"
echo "harness score s:    ${h[*]}"
mp=$(median "${py[@]}"); mh=$(median "${h[@]}")
echo "median python $mp s, harness $mh s, ratio $(echo "$mp / $mh" | bc -l | cut -c1-5)x"
