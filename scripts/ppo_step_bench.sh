#!/usr/bin/env bash
# ReFT's PPO step (issue 16, "Performance"): 64 questions x 1 sample of 5-step gsm8k with P-CoT programs (~85-100
# tokens), STEPS steps from a P-CoT warm-up checkpoint, run twice in one invocation: the plain loop (the batch
# padded as one, the old scores from their own forward: reft.chunk_forward_cost -1, reuse_first_pass false) as
# the baseline, the default loop with the linear layers on the BLAS (HARNESS_LINEAR=blas: at::linear instead of
# oneDNN's sgemm), then the default loop; then `harness profile`'s decode and generate rates on the same checkpoint.
# Prints seconds per stage (means over steps 2..STEPS: step 1 starts the sandbox's fork servers) and the ratios.
#   [PROBLEM_STEPS=5] scripts/ppo_step_bench.sh CHECKPOINT [STEPS] [BUILD_DIR]
# PROBLEM_STEPS: the gsm8k generator's reasoning steps per problem (6 gives ~100-token programs).
# CHECKPOINT: e.g. results/paper/warmup-pcot/checkpoints/sft-seed1 (`harness run configs/paper/warmup_pcot.json`).
set -euo pipefail
checkpoint=$1
steps=${2:-10}
build=${3:-build}
out=$(mktemp -d /tmp/ppo_step_bench.XXXXXX)
[ -n "${KEEP:-}" ] && echo "kept in $out" >&2 || trap 'rm -rf "$out"' EXIT
for arm in plain blas default; do
  if [ "$arm" = plain ]; then speed='"chunk_forward_cost": -1, "reuse_first_pass": false'; else speed='"reuse_first_pass": true'; fi
  cat > "$out/$arm.json" <<JSON
{
  "preset": "nano",
  "init_checkpoint": "$checkpoint",
  "train": [{"task": "gsm8k", "synthetic_n": 640, "synthetic_seed": 11, "steps": ${PROBLEM_STEPS:-5}, "style": "pcot", "template": "qa-v1"}],
  "batch_size": 64, "max_steps": $steps, "lr": 0.0003, "warmup_steps": 0, "min_lr_ratio": 1.0, "weight_decay": 0.0,
  "eval_max_new_tokens": 256, "log_every": 1, "save_every": 0, "seed": 1, "threads": 2,
  "reft": {"beta": 0.01, $speed}
}
JSON
  linear=dnnl
  [ "$arm" = blas ] && linear=blas
  HARNESS_LINEAR=$linear "$build/bin/harness" train reft --config "$out/$arm.json" --out "$out/$arm" > "$out/$arm.log" 2>&1
done
# The profile three times (its ~2 s runs vary by 20-30% on a shared machine): the median rate is the reference.
for i in 1 2 3; do
  "$build/bin/harness" profile --checkpoint "$checkpoint" --batch 64 --seq 64 --new 100 --threads 2 --json \
    > "$out/profile$i.json" 2> "$out/profile.log"
done
python3 - "$out" <<'PY'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
def rows(arm):
    lines = [json.loads(l) for l in (out / arm / "metrics.jsonl").read_text().splitlines() if l.strip()]
    return [r for r in lines if "rollout_seconds" in r][1:]  # step 1 starts the sandbox's fork servers
def mean(rs, k):
    return sum(r[k] for r in rs) / len(rs)
profiles = [json.loads((out / f"profile{i}.json").read_text()) for i in (1, 2, 3)]
median = lambda k: sorted(p[k] for p in profiles)[1]
print("profile tokens/s (median of 3):", {k: round(median(k)) for k in profiles[0] if k.endswith("tokens_per_s")},
      "generate range", [round(p["generate_tokens_per_s"]) for p in profiles])
gen = median("generate_tokens_per_s")
keys = ["step_seconds", "rollout_seconds", "reward_seconds", "score_seconds", "update_seconds"]
table = {arm: rows(arm) for arm in ("plain", "blas", "default")}
print(f"{'arm':8} " + " ".join(f"{k.replace('_seconds', ''):>8}" for k in keys) +
      f" {'resp tok':>8} {'rollout tok/s':>13} {'pad share':>9} {'chunks':>6}")
for arm, rs in table.items():
    print(f"{arm:8} " + " ".join(f"{mean(rs, k):8.3f}" for k in keys) +
          f" {mean(rs, 'response_tokens'):8.1f} {mean(rs, 'rollout_tokens_per_second'):13.0f}"
          f" {mean(rs, 'padding_share') if 'padding_share' in rs[0] else float('nan'):9.2f}"
          f" {mean(rs, 'score_chunks') if 'score_chunks' in rs[0] else 1:6.1f}")
p, b, d = table["plain"], table["blas"], table["default"]
print(f"step: blas / default = {mean(b, 'step_seconds') / mean(d, 'step_seconds'):.2f}x (the linear layers' sgemm);"
      f" plain / default = {mean(p, 'step_seconds') / mean(d, 'step_seconds'):.2f}x;"
      f" score+update: {(mean(p, 'score_seconds') + mean(p, 'update_seconds')) / (mean(d, 'score_seconds') + mean(d, 'update_seconds')):.2f}x")
decode = sum(r["response_tokens"] * 64 for r in d) / sum(r["rollout_seconds"] - r["rollout_prefill_seconds"] for r in d)
print(f"rollout: {mean(d, 'rollout_tokens_per_second'):.0f} tokens/s with its prefill = {100 * mean(d, 'rollout_tokens_per_second') / gen:.0f}%"
      f" of profile's generate rate ({gen:.0f}, median); {decode:.0f} without its prefill"
      f" ({mean(d, 'rollout_prefill_seconds'):.3f} s) = {100 * decode / median('decode_tokens_per_s'):.0f}% of profile's decode rate"
      f" ({median('decode_tokens_per_s'):.0f}, median)")
PY
