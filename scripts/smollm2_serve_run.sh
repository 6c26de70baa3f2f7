#!/usr/bin/env bash
# `harness run` evaluating SmolLM2-135M-Instruct (Q4_1 GGUF) served by `harness serve` (the runner's
# endpoint method, configs/examples/endpoint_smollm2.json) on the first LIMIT problems of the real GSM8K
# test set, zero-shot chat, greedy, 256 new tokens; then the same run again, which must send no request.
# Prints the run's accuracy and wall time, the requests sent by each run, and the server's peak RSS
# (/usr/bin/time -v over the server's whole life: load, serving, shutdown).
# Usage: scripts/smollm2_serve_run.sh [LIMIT]   (env OUT: work folder, default .cache/smollm2_serve_run;
# THREADS: the server's torch threads, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-20}
out=${OUT:-.cache/smollm2_serve_run}
threads=${THREADS:-1}
data=../shared/data/gsm8k/test.jsonl
[ -f "$data" ] || { echo "needs $data (the shared benchmark data)" >&2; exit 2; }
gguf=$(sh scripts/fetch_smollm2.sh)
rm -rf "$out"
mkdir -p "$out"

/usr/bin/time -v build/bin/harness serve --checkpoint "$gguf" --port 0 --threads "$threads" --max-batch 64 \
  > "$out/serve.out" 2> "$out/serve_time.txt" &
time_pid=$!
port=
for _ in $(seq 1 600); do
  port=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$out/serve.out" 2>/dev/null | grep -oE '[0-9]+$' || true)
  [ -n "$port" ] && break
  kill -0 "$time_pid" 2>/dev/null || { cat "$out/serve_time.txt" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "harness serve did not start" >&2; exit 1; }
serve_pid=$(pgrep -P "$time_pid" -f "harness" | head -1)

python3 - "$port" "$limit" > "$out/config.json" <<'PY'
import json, sys
config = json.load(open("configs/examples/endpoint_smollm2.json"))
config["endpoint"]["url"] = f"http://127.0.0.1:{sys.argv[1]}"
config["tasks"][0]["test_limit"] = int(sys.argv[2])
print(json.dumps(config, indent=2))
PY
for pass in first rerun; do
  start=$(date +%s.%N)
  build/bin/harness run "$out/config.json" --out "$out/run" 2> "$out/run_$pass.err"
  end=$(date +%s.%N)
  echo "$pass run: $(python3 -c "print(f'{$end - $start:.1f}')") s wall;" \
    "$(grep -E 'requests sent|done earlier|reused' "$out/run_$pass.err" | tr '\n' ' ')"
  cp "$out/run/results.json" "$out/results_$pass.json"
  [ "$pass" = first ] && rm -f "$out/run/eval/"*/result.json  # the rerun must find every answer in the cache
done
python3 - "$out" <<'PY'
import json, sys
for run in ("first", "rerun"):
    doc = json.load(open(f"{sys.argv[1]}/results_{run}.json"))
    row = doc["results"][0]
    print(f"{run}: {row['method']} {row['model']} {row['task']} n={row['n']} accuracy {row['metrics']['accuracy']:.4f}")
    for phase in doc["profile"]["phases"]:
        if phase["name"].startswith("generate:"):
            print(f"  {phase['name']}: {phase.get('requests_sent')} sent, {phase.get('cache_hits')} from the cache;"
                  f" {phase['wall_seconds']:.1f} s, {phase['throughput']:.0f} generated tokens/s")
PY
kill -TERM "$serve_pid"
wait "$time_pid" || true
grep -E "Elapsed|Maximum resident" "$out/serve_time.txt" | sed 's/^\s*/server: /'
