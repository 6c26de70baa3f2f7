#!/usr/bin/env python3
"""Loads a harness checkpoint with Hugging Face transformers' LlamaForCausalLM and checks that HF's
greedy continuation of the given token ids and its log-probabilities equal `harness generate`'s
(tokens exactly, log-probabilities within 1e-4). Exit 0 on agreement, 1 otherwise.
Run by tests/trainers/engine_cli_test.cc with the venv's python (transformers pinned there)."""
import argparse
import json
import subprocess
import sys

import torch
from transformers import LlamaForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--harness", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--new", type=int, default=8)
    args = ap.parse_args()
    out = subprocess.run([args.harness, "generate", "--checkpoint", args.checkpoint, "--prompt-ids", args.ids,
                          "--max-new-tokens", str(args.new), "--temperature", "0", "--threads", "1", "--json"],
                         check=True, capture_output=True, text=True).stdout
    ours = json.loads(out)["completions"][0]
    model = LlamaForCausalLM.from_pretrained(args.checkpoint, torch_dtype=torch.float32)
    model.eval()
    ids = torch.tensor([[int(x) for x in args.ids.split(",")]])
    tokens, logprobs = [], []
    with torch.no_grad():
        for _ in range(len(ours["token_ids"])):
            logits = model(ids).logits[0, -1]
            lp = torch.log_softmax(logits.float(), -1)
            nxt = int(logits.argmax())
            tokens.append(nxt)
            logprobs.append(float(lp[nxt]))
            ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
    diff = max((abs(a - b) for a, b in zip(ours["logprobs"], logprobs)), default=0.0)
    print(json.dumps({"harness": ours["token_ids"], "hf": tokens, "max_logprob_diff": diff}))
    return 0 if tokens == ours["token_ids"] and diff < 1e-4 and tokens else 1


if __name__ == "__main__":
    sys.exit(main())
