#!/usr/bin/env bash
# Learning check for the SFT trainer (issue 5): the nano model, SFT on one synthetic family at a time for a
# fixed step budget (under 5 minutes of training on 2 idle cores), then greedy accuracy on that family's
# synthetic test split (200 problems), and for gsm8k also maj@8 and pass@8 at temperature 0.7. Prints one
# line per family with the training wall time (multiple choice: also how often the computed value was right
# and how often the letter written is the option holding it).
#   scripts/learning_check.sh [family ...]     (default: gsm8k mathqa agieval gpqa)
# Knobs (environment), defaults in brackets:
#   STEPS [2600 gsm8k, 1700 others] steps of batch 16    TRAIN_N [50000] synthetic training problems (< 1 epoch)
#   MAX_VALUE [20] largest number a problem states (the generators' default is 100; 0 = default)
#   TEMPLATE [qa-v1] prompt template ("" = the task's zero-shot CoT instruction, ~35 tokens longer)
#   THREADS [2] torch/OpenBLAS threads           OUT [results/learning-check]
# Every problem has 2 reasoning steps. Why these defaults: see the README's learning-check section.
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS=build/bin/harness
OUT="${OUT:-results/learning-check}"
STEPS="${STEPS:-}"   # default per family below
TRAIN_N="${TRAIN_N:-50000}"
MAX_VALUE="${MAX_VALUE:-20}"
TEMPLATE="${TEMPLATE-qa-v1}"
THREADS="${THREADS:-2}"
mkdir -p "$OUT"
families=("$@")
[ ${#families[@]} -eq 0 ] && families=(gsm8k mathqa agieval gpqa)
for task in "${families[@]}"; do
  # Multiple-choice prompts carry the options and solutions end by matching the value to a letter, so
  # their examples are ~1.6x longer than gsm8k's: fewer steps fit in the same 5 minutes.
  steps="$STEPS"
  [ -z "$steps" ] && { [ "$task" = gsm8k ] && steps=2600 || steps=1700; }
  cat > "$OUT/$task.json" <<JSON
{"name": "learning-$task", "seeds": [1], "threads": $THREADS, "methods": ["sft"],
 "tasks": [{"task": "$task", "train_n": $TRAIN_N, "test_n": 200, "steps": 2, "max_value": $MAX_VALUE, "template": "$TEMPLATE"}],
 "training": {"preset": "nano", "tokenizer_vocab": 1024, "batch_size": 16, "max_steps": $steps, "max_minutes": 5, "warmup_steps": 50,
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
chance = {"mathqa": 1 / 5, "agieval": 1 / 5, "gpqa": 1 / 4}.get(sys.argv[2])  # options per synthetic problem
extra = f"chance {chance:.3f}  " if chance else ""
extra += "  ".join(f"{k} {v:.3f}" for k, v in m.items() if k.startswith(("maj@", "pass@")) and isinstance(v, float))
if chance:
    # Where a multiple-choice model goes wrong: the value its solution computed vs the gold option's value,
    # and whether the letter it wrote is the option holding that value ("36 is option (B)" /
    # "So the answer is 36, which is option (B)").
    import os, re
    samples = os.path.join(os.path.dirname(sys.argv[1]), "samples.jsonl")
    n = value_right = letter_matches = 0
    for line in open(samples):
        s = json.loads(line)
        if s.get("mode") != "greedy":
            continue
        n += 1
        options = dict(re.findall(r"^\(([A-E])\) (.+)$", s["prompt"], re.M))
        note = re.search(r"(?:So the answer is (.+), which|(\S+)) is option \(([A-E])\)", s["completions"][0])
        if note:
            value, letter = note.group(1) or note.group(2), note.group(3)
            value_right += value == options.get(s["gold"])
            letter_matches += value == options.get(letter)
    extra += f"computed value right {value_right / max(n, 1):.3f}  letter matches it {letter_matches / max(n, 1):.3f}"
print(f"{sys.argv[2]:10s} greedy accuracy {m['accuracy']:.3f} (95% CI {m['accuracy_ci95'][0]:.3f}-{m['accuracy_ci95'][1]:.3f})  "
      f"{extra}  train {train['wall_seconds']:.0f}s  total {sys.argv[3]}s")
PY
done
