#!/usr/bin/env bash
# Issue 4's performance benchmark: our engine (`harness profile`) against the independent eager-PyTorch
# reference (scripts/reference_model.py bench) on the same randomly initialised checkpoint, the same
# OpenBLAS and 1 thread, alternating the two so that machine noise hits both alike. Prints one line per run
# with CPU-time ratios (decode at batch 16 with prefill excluded, generation, prefill, training) and MFU.
#   scripts/engine_vs_reference.sh [preset ...]     (default: nano micro)
# Knobs (environment): REPS [3] runs per preset, TRAIN_STEPS [10], OUT [/tmp/engine_vs_reference].
# Needs a built harness (scripts/build.sh) and Debian's python3-torch (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS="${REPS:-3}"
TRAIN_STEPS="${TRAIN_STEPS:-10}"
OUT="${OUT:-/tmp/engine_vs_reference}"
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(nano micro)
mkdir -p "$OUT"
for p in "${presets[@]}"; do
  [ -f "$OUT/ck_$p/config.json" ] || build/bin/harness init --preset "$p" --seed 1 --out "$OUT/ck_$p" >/dev/null
done
for rep in $(seq 1 "$REPS"); do
  for p in "${presets[@]}"; do
    build/bin/harness profile --checkpoint "$OUT/ck_$p" --threads 1 --train-steps "$TRAIN_STEPS" --json \
      2>/dev/null > "$OUT/ours_${p}_$rep.json"
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/reference_model.py bench --checkpoint "$OUT/ck_$p" --threads 1 \
      --json --skip-uncached --train-steps "$TRAIN_STEPS" 2>/dev/null > "$OUT/ref_${p}_$rep.json"
    python3 - "$OUT/ours_${p}_$rep.json" "$OUT/ref_${p}_$rep.json" "$p" "$rep" <<'PY'
import json, sys
o, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def ratio(ours, ref):
    return f"{o[ours]:.0f}/{r[ref]:.0f}={o[ours] / r[ref]:.2f}x"
print(f"{sys.argv[3]:6s} run {sys.argv[4]}  decode {ratio('decode_tokens_per_cpu_s', 'decode_tokens_per_cpu_s_kv_cache')}  "
      f"generate {ratio('generate_tokens_per_cpu_s', 'generate_tokens_per_cpu_s_kv_cache')}  "
      f"prefill {ratio('prefill_tokens_per_cpu_s', 'prefill_tokens_per_cpu_s')}  "
      f"train {ratio('train_tokens_per_cpu_s', 'train_tokens_per_cpu_s')}  "
      f"MFU train {o['train_mfu']:.2f} decode {o['decode_mfu']:.2f}  GEMM peak {o['gemm_peak_gflops']:.0f} GFLOP/s")
PY
  done
done
