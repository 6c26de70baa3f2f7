#!/usr/bin/env bash
# Issue 20's done-when check: `harness eval --chat` on SmolLM2-135M-Instruct (Q4_1 GGUF) over the first
# LIMIT problems of the real GSM8K test set, then the same chat prompts through the reference
# (transformers on gguf-py's dequantisation, scripts/real_model_golden.py), greedy, 256 new tokens;
# prints how many completions are identical and exits 1 on any difference.
# Usage: scripts/smollm2_gsm8k_check.sh [LIMIT]   (env OUT: work folder, default .cache/smollm2_gsm8k)
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-20}
out=${OUT:-.cache/smollm2_gsm8k}
data=../shared/data/gsm8k/test.jsonl
gguf=$(sh scripts/fetch_smollm2.sh)
py=$(sh scripts/real_model_venv.sh .venv-real)
mkdir -p "$out"
/usr/bin/time -v build/bin/harness eval --checkpoint "$gguf" --task gsm8k --data "$data" --limit "$limit" --chat \
  --threads 1 --out "$out/harness" 2> "$out/harness_time.txt"
grep -E "Elapsed|Maximum resident" "$out/harness_time.txt"
"$py" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
with open(f"{out}/prompts.jsonl", "w") as f:
    for line in open(f"{out}/harness/samples.jsonl"):
        s = json.loads(line)
        f.write(json.dumps({"id": s["id"], "prompt": s["prompt"]}) + "\n")
PY
"$py" scripts/real_model_golden.py "$gguf" /dev/null --gsm8k-prompts "$out/prompts.jsonl" \
  --gsm8k-out "$out/reference.json" > "$out/reference.log" 2>&1
"$py" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
ours = {json.loads(l)["id"]: json.loads(l)["completions"][0] for l in open(f"{out}/harness/samples.jsonl")}
ref = {r["id"]: r["text"] for r in json.load(open(f"{out}/reference.json"))["completions"]}
same = [i for i in ref if ours.get(i) == ref[i]]
print(f"identical greedy completions: {len(same)} of {len(ref)}")
for i in ref:
    if ours.get(i) != ref[i]:
        a, b = ours.get(i, ""), ref[i]
        k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
        print(f"  {i}: differ at char {k}: ours {a[k:k+60]!r} reference {b[k:k+60]!r}")
sys.exit(0 if len(same) == len(ref) else 1)
PY
