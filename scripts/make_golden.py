#!/usr/bin/env python3
"""Writes the golden fixture for the model engine: a tiny seeded Llama checkpoint
(tests/fixtures/trainers/tiny_llama/: config.json, model.safetensors, generation_config.json) and
golden.safetensors with, for 5 ragged prompts, the reference logits at every position and 8 greedy
tokens, all from scripts/reference_model.py (each prompt on its own, no padding, no cache).

  /usr/bin/python3 scripts/make_golden.py [--out tests/fixtures/trainers]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_model  # noqa: E402

CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 64, "hidden_size": 32,
    "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "silu",
    "tie_word_embeddings": False, "initializer_range": 0.2, "bos_token_id": 1, "eos_token_id": 2,
    "pad_token_id": 0, "torch_dtype": "float32", "rope_scaling": None, "attention_bias": False,
}
PROMPT_LENGTHS = [3, 7, 1, 5, 10]
NEW_TOKENS = 8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "trainers"))
    args = ap.parse_args()
    ckpt = os.path.join(args.out, "tiny_llama")
    os.makedirs(ckpt, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    c = CONFIG
    h, inter, hd = c["hidden_size"], c["intermediate_size"], c["hidden_size"] // c["num_attention_heads"]
    kv = c["num_key_value_heads"] * hd
    std = c["initializer_range"]
    shapes = {"model.embed_tokens.weight": (c["vocab_size"], h)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes.update({p + "self_attn.q_proj.weight": (h, h), p + "self_attn.k_proj.weight": (kv, h),
                       p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, h),
                       p + "mlp.gate_proj.weight": (inter, h), p + "mlp.up_proj.weight": (inter, h),
                       p + "mlp.down_proj.weight": (h, inter), p + "input_layernorm.weight": (h,),
                       p + "post_attention_layernorm.weight": (h,)})
    shapes["model.norm.weight"] = (h,)
    shapes["lm_head.weight"] = (c["vocab_size"], h)
    weights = {}
    for name, shape in shapes.items():
        if name.endswith("norm.weight"):  # non-trivial norms so the weight is exercised
            weights[name] = 1.0 + 0.1 * torch.randn(shape, generator=g)
        else:
            weights[name] = std * torch.randn(shape, generator=g)
    reference_model.write_safetensors(os.path.join(ckpt, "model.safetensors"), weights, {"format": "pt"})
    with open(os.path.join(ckpt, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    with open(os.path.join(ckpt, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "max_new_tokens": 8}, f, indent=2)

    model = reference_model.load(ckpt)
    golden = {}
    with torch.no_grad():
        for i, n in enumerate(PROMPT_LENGTHS):
            prompt = torch.randint(3, c["vocab_size"], (n,), generator=g)
            logits, _ = model(prompt[None])
            new = reference_model.greedy(model, [prompt.tolist()], NEW_TOKENS, use_cache=False)[0]
            golden[f"prompt.{i}"] = prompt.long()
            golden[f"logits.{i}"] = logits[0].float()
            golden[f"greedy.{i}"] = torch.tensor(new, dtype=torch.long)
    reference_model.write_safetensors(os.path.join(args.out, "golden.safetensors"), golden,
                                      {"generator": "scripts/make_golden.py", "new_tokens": str(NEW_TOKENS)})
    print("wrote", ckpt, "and", os.path.join(args.out, "golden.safetensors"))


if __name__ == "__main__":
    main()
