#!/usr/bin/env bash
# WSRL's update cost (issue 18, "Performance"): one Cal-QL update and one SAC update (critic, actor,
# temperature, Polyak) at batch 256 with the study's network sizes, ours (bench/torch_wsrl_bench, LibTorch)
# against the same updates in eager PyTorch (bench/wsrl_update_reference.py on Debian's python3-torch),
# measured back to back in one run under the same environment. Prints ms per update and the ratio.
#   scripts/wsrl_bench.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
# Same settings for both sides: one BLAS thread per torch thread, glibc malloc keeping freed memory.
export OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=536870912
ours=$("$build/bench/torch_wsrl_bench" --benchmark_format=json --benchmark_min_time=3 2>/dev/null)
reference=$(/usr/bin/python3 "$here/bench/wsrl_update_reference.py" --seconds 3 --threads 1 2)
python3 - "$ours" "$reference" <<'PY'
import json, sys
ours = {b["name"]: b["real_time"] for b in json.loads(sys.argv[1])["benchmarks"]}  # ms (Unit kMillisecond)
print(f"{'update':8} {'threads':>7} {'ours ms':>9} {'eager ms':>9} {'ratio':>6}")
for line in sys.argv[2].splitlines():
    r = json.loads(line)
    name = {"calql": "BM_CalQlUpdate", "sac": "BM_SacUpdate"}[r["name"]] + f"/{r['threads']}"
    print(f"{r['name']:8} {r['threads']:>7} {ours[name]:9.2f} {r['ms_per_update']:9.2f} {r['ms_per_update'] / ours[name]:6.2f}x")
PY
