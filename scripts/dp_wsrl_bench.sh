#!/usr/bin/env bash
# Data-parallel updates of WSRL's control study on CPU (issue 21): Cal-QL pre-training, then the WSRL arm
# online, with the paper profile's maze and networks (configs/paper/wsrl.json's "wsrl" section) for
# OFFLINE/ONLINE updates, as 1 rank x 2 threads and as 2 Gloo ranks x 1 thread (each rank every other
# row of each batch of 256; gradients summed once per update). Prints each stage's wall time (the study's
# own clock), the ratio, and the largest difference between the two runs' curves.
#   scripts/dp_wsrl_bench.sh [BUILD_DIR]   (OFFLINE=1500 ONLINE=1000 by default)
set -euo pipefail
build=${1:-build}
harness="$(cd "$build" && pwd)/bin/harness"
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d /tmp/dp_wsrl_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 - "$root/configs/paper/wsrl.json" "$work" "${OFFLINE:-1500}" "${ONLINE:-1000}" <<'PY'
import json, sys
paper, work, offline, online = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
wsrl = json.load(open(paper))["wsrl"]
wsrl.update({"offline_steps": offline, "offline_eval_every": offline // 3, "online_steps": online,
             "warmup_steps": online // 5, "eval_every": online // 5, "dense_until": online // 2, "dense_every": online // 10})
for ranks in (1, 2):
    for stage in ("offline", "online"):
        config = {"seed": 1, "threads": 2, "train": [{"task": "gsm8k", "synthetic_n": 4}], "wsrl": wsrl}
        if stage == "online":
            config["init_checkpoint"] = f"{work}/offline{ranks}"
        json.dump(config, open(f"{work}/{stage}{ranks}.json", "w"))
PY
for ranks in 1 2; do
  "$harness" train wsrl-offline --config "$work/offline$ranks.json" --out "$work/offline$ranks" --nproc $ranks 2>"$work/offline$ranks.err" || { cat "$work/offline$ranks.err"; exit 1; }
  "$harness" train wsrl --config "$work/online$ranks.json" --out "$work/online$ranks" --nproc $ranks 2>"$work/online$ranks.err" || { cat "$work/online$ranks.err"; exit 1; }
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def study(stage, ranks, method):
    for line in open(f"{work}/{stage}{ranks}.err"):
        if line.startswith(method + ": "):
            return json.loads(line[len(method) + 2:])["study"]
for stage, method in (("offline", "wsrl-offline"), ("online", "wsrl")):
    one, two = study(stage, 1, method), study(stage, 2, method)
    diff = max(abs(a - b) for name in one["curves"] for a, b in zip(one["curves"][name]["y"], two["curves"][name]["y"]))
    s1, s2 = one["scalars"]["seconds"], two["scalars"]["seconds"]
    print(f"{method:>13}: 1x2 threads {s1:7.1f} s, 2 ranks x 1 thread {s2:7.1f} s, speed-up {s1 / s2:.2f}x, "
          f"largest curve difference {diff:.3g}")
PY
