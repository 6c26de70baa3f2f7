#!/usr/bin/env bash
# Learning check for the SFT trainer (issue 5): the nano model, SFT on one synthetic family at a time for a
# fixed step budget (about 5 minutes of training on 2 cores), then greedy accuracy on that family's
# synthetic test split, and for gsm8k also maj@8 at temperature 0.7. Prints one line per family.
#   scripts/learning_check.sh [family ...]     (default: gsm8k mathqa agieval gpqa)
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS=build/bin/harness
OUT="${OUT:-results/learning-check}"
STEPS="${STEPS:-1200}"
TRAIN_N="${TRAIN_N:-6000}"
MAX_VALUE="${MAX_VALUE:-0}"
TEMPLATE="${TEMPLATE:-}"
THREADS="${THREADS:-2}"
mkdir -p "$OUT"
families=("$@")
[ ${#families[@]} -eq 0 ] && families=(gsm8k mathqa agieval gpqa)
for task in "${families[@]}"; do
  style=ncot
  [ "$task" = livecodebench ] && style=""
  cat > "$OUT/$task.json" <<JSON
{"name": "learning-$task", "seeds": [1], "threads": $THREADS, "methods": ["sft"],
 "tasks": [{"task": "$task", "train_n": $TRAIN_N, "test_n": 200, "steps": 2, "max_value": $MAX_VALUE, "template": "$TEMPLATE"}],
 "sft": {"preset": "nano", "tokenizer_vocab": 1024, "batch_size": 16, "max_steps": $STEPS, "warmup_steps": 50,
         "lr": 0.003, "log_every": 100, "save_every": 200},
 "eval": {"greedy": true, "k": $([ "$task" = gsm8k ] && echo 8 || echo 0), "temperature": 0.7, "max_new_tokens": 200}}
JSON
  start=$(date +%s)
  "$HARNESS" run "$OUT/$task.json" --out "$OUT/$task" 2> "$OUT/$task.log"
  end=$(date +%s)
  python3 - "$OUT/$task/results.json" "$task" $((end - start)) <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
m = doc["results"][0]["metrics"]
train = [p for p in doc["profile"]["phases"] if p["name"].startswith("train:")][0]
extra = "  ".join(f"{k} {v:.3f}" for k, v in m.items() if k.startswith(("maj@", "pass@")) and isinstance(v, float))
print(f"{sys.argv[2]:10s} greedy accuracy {m['accuracy']:.3f} (95% CI {m['accuracy_ci95'][0]:.3f}-{m['accuracy_ci95'][1]:.3f})  "
      f"{extra}  train {train['wall_seconds']:.0f}s  total {sys.argv[3]}s")
PY
done
