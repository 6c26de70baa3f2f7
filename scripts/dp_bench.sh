#!/usr/bin/env bash
# Data-parallel SFT on CPU (issue 21, "Measure"): the default run's SFT settings (nano, batch 16, the
# default gsm8k mix) for STEPS steps, as 1 rank x 2 threads and as 2 Gloo ranks x 1 thread on the same
# global batch, back to back and alternating REPS times; the 2-rank run both with its gradient sums
# overlapped with backward (the default) and after backward (--no-dist-overlap). Prints training tokens/s
# of each (the trainer's own clock: from the first step to the last, after data and model set-up), their
# ratios, and the largest difference between the loss curves of 1 and 2 ranks.
#   scripts/dp_bench.sh [BUILD_DIR]   (STEPS=150 REPS=2 PRESET=nano BUCKET_MB=25 by default)
set -euo pipefail
build=${1:-build}
steps=${STEPS:-150}
reps=${REPS:-2}
preset=${PRESET:-nano}
bucket_mb=${BUCKET_MB:-25}
harness="$(cd "$build" && pwd)/bin/harness"
work=$(mktemp -d /tmp/dp_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/sft.json" <<JSON
{"preset": "$preset", "tokenizer_vocab": 1024, "max_seq_len": 512, "batch_size": 16, "max_steps": $steps,
 "lr": 0.003, "warmup_steps": 10, "log_every": 10, "save_every": 0, "seed": 1, "threads": 2,
 "train": [{"task": "gsm8k", "synthetic_n": 4000, "synthetic_seed": 1, "steps": 2, "max_value": 20},
           {"task": "svamp", "synthetic_n": 2000, "synthetic_seed": 1, "steps": 2, "max_value": 20}]}
JSON
for rep in $(seq 1 "$reps"); do
  "$harness" train sft --config "$work/sft.json" --out "$work/one-$rep" 2>"$work/one.err" >/dev/null || { cat "$work/one.err"; exit 1; }
  "$harness" train sft --config "$work/sft.json" --out "$work/two-$rep" --nproc 2 --dist-bucket-mb "$bucket_mb" 2>"$work/two.err" >/dev/null || { cat "$work/two.err"; exit 1; }
  "$harness" train sft --config "$work/sft.json" --out "$work/after-$rep" --nproc 2 --dist-bucket-mb "$bucket_mb" --no-dist-overlap 2>"$work/after.err" >/dev/null || { cat "$work/after.err"; exit 1; }
done
grep -h "started while" "$work/two.err" "$work/after.err" | sed 's/^/overlap vs after: /'
python3 - "$work" "$reps" <<'PY'
import json, sys
work, reps = sys.argv[1], int(sys.argv[2])
def run(d):
    rows = [json.loads(l) for l in open(f"{work}/{d}/metrics.jsonl")]
    rows = [r for r in rows if "loss" in r]
    last = rows[-1]
    tokens = sum(r["tokens_per_second"] for r in rows) / len(rows)  # mean of the logged windows
    return {int(r["step"]): r["loss"] for r in rows}, last["elapsed_seconds"], tokens
print(f"{'rep':>3} {'1x2 tok/s':>10} {'2x1 tok/s':>10} {'ratio':>6} {'2x1 after':>10} {'ratio':>6} {'max |dloss|':>12}")
ratios, after_ratios = [], []
for rep in range(1, reps + 1):
    l1, s1, t1 = run(f"one-{rep}")
    l2, s2, t2 = run(f"two-{rep}")
    l3, s3, t3 = run(f"after-{rep}")
    diff = max(abs(l1[k] - l2[k]) for k in l1)
    ratios.append(t2 / t1)
    after_ratios.append(t3 / t1)
    print(f"{rep:>3} {t1:10.0f} {t2:10.0f} {t2 / t1:5.2f}x {t3:10.0f} {t3 / t1:5.2f}x {diff:12.2e}")
median = lambda xs: sorted(xs)[len(xs) // 2]
print(f"median ratio over 1 rank x 2 threads: 2 ranks x 1 thread {median(ratios):.2f}x overlapped, "
      f"{median(after_ratios):.2f}x summed after backward")
PY
