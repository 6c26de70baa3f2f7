#!/usr/bin/env bash
# Issue 4's performance benchmark: our engine (`harness profile`) against the independent eager-PyTorch
# reference (scripts/reference_model.py bench) on the same randomly initialised checkpoint, the same
# OpenBLAS and the same thread count, alternating the two so that machine noise hits both alike. Prints one
# line per run with ratios (decode at batch 16 with prefill excluded, generation, prefill, training) and MFU:
# CPU-time ratios at 1 thread, wall-time ratios above (CPU time then counts every thread's work, not speed).
#   scripts/engine_vs_reference.sh [preset ...]     (default: nano micro)
# Knobs (environment): REPS [3] runs per preset, TRAIN_STEPS [10], THREADS [1], OUT [/tmp/engine_vs_reference].
# The reference runs with the thread settings that make it fastest, measured at 2 threads on 2026-12-01
# (micro training, tokens/s): OMP_WAIT_POLICY=PASSIVE, as `harness` gives itself (harness/cli/openmp_env.h),
# since with libgomp's default spinning torch's idle workers starve OpenBLAS's pool (881 against 2,338);
# but OpenBLAS's default spin, not the OPENBLAS_THREAD_TIMEOUT=4 `harness` also sets: the reference makes
# many more, smaller GEMM calls (separate projections, per-head attention products), and waking a sleeping
# OpenBLAS worker for each one cost it a third (1,603-1,723 against 2,119-2,588).
# Needs a built harness (scripts/build.sh) and Debian's python3-torch (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS="${REPS:-3}"
TRAIN_STEPS="${TRAIN_STEPS:-10}"
THREADS="${THREADS:-1}"
OUT="${OUT:-/tmp/engine_vs_reference}"
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(nano micro)
mkdir -p "$OUT"
for p in "${presets[@]}"; do
  [ -f "$OUT/ck_$p/config.json" ] || build/bin/harness init --preset "$p" --seed 1 --out "$OUT/ck_$p" >/dev/null
done
for rep in $(seq 1 "$REPS"); do
  for p in "${presets[@]}"; do
    build/bin/harness profile --checkpoint "$OUT/ck_$p" --threads "$THREADS" --train-steps "$TRAIN_STEPS" --json \
      2>/dev/null > "$OUT/ours_${p}_$rep.json"
    OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS="$THREADS" /usr/bin/python3 scripts/reference_model.py bench \
      --checkpoint "$OUT/ck_$p" --threads "$THREADS" --json --skip-uncached --train-steps "$TRAIN_STEPS" \
      2>/dev/null > "$OUT/ref_${p}_$rep.json"
    python3 - "$OUT/ours_${p}_$rep.json" "$OUT/ref_${p}_$rep.json" "$p" "$rep" "$THREADS" <<'PY'
import json, sys
o, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
per = "_per_cpu_s" if sys.argv[5] == "1" else "_per_s"
def ratio(ours, ref):
    ours, ref = ours.replace("_per_cpu_s", per), ref.replace("_per_cpu_s", per)
    return f"{o[ours]:.0f}/{r[ref]:.0f}={o[ours] / r[ref]:.2f}x"
print(f"{sys.argv[3]:6s} run {sys.argv[4]} threads {sys.argv[5]}  "
      f"decode {ratio('decode_tokens_per_cpu_s', 'decode_tokens_per_cpu_s_kv_cache')}  "
      f"generate {ratio('generate_tokens_per_cpu_s', 'generate_tokens_per_cpu_s_kv_cache')}  "
      f"prefill {ratio('prefill_tokens_per_cpu_s', 'prefill_tokens_per_cpu_s')}  "
      f"train {ratio('train_tokens_per_cpu_s', 'train_tokens_per_cpu_s')}  "
      f"MFU train {o['train_mfu']:.2f} decode {o['decode_mfu']:.2f}  GEMM peak {o['gemm_peak_gflops']:.0f} GFLOP/s")
PY
  done
done
