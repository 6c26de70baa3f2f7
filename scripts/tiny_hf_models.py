"""Tiny random Llama and Qwen2 models built and saved by `transformers` (venv of
scripts/real_model_venv.sh), with their logits on fixed ids, for tests/trainers/real_model_test.cc:

  tiny_llama_sharded_bf16/  Llama: attention_bias (q/k/v/o), untied embeddings, rope_theta 500000 with
                            llama3 rope scaling; bf16 weights in 3+ shards with model.safetensors.index.json;
                            generation_config.json with two eos ids.
  tiny_qwen2_fp16/          Qwen2: q/k/v biases, tied embeddings; one fp16 model.safetensors.

logits.json in each folder: the fp32 logits of the saved (rounded) weights for `ids`.
Usage: tiny_hf_models.py OUT_DIR"""
import json
import os
import sys

import torch
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

IDS = [1, 5, 9, 20, 33, 60, 2, 90, 17, 17, 4, 71]


def save(model, dtype, out, shard):
    model.to(dtype).save_pretrained(out, safe_serialization=True, max_shard_size=shard)
    # Reloaded rather than cast back: .to(dtype) also rounds the rotary inv_freq buffer, which
    # from_pretrained recomputes in fp32 as every user of the saved folder does.
    model = type(model).from_pretrained(out, torch_dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        logits = model(torch.tensor([IDS])).logits[0]
    with open(os.path.join(out, "logits.json"), "w") as f:
        json.dump({"ids": IDS, "logits": logits.tolist()}, f)


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    common = dict(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6, initializer_range=0.2,
                  attn_implementation="eager")
    llama = LlamaForCausalLM(LlamaConfig(
        **common, attention_bias=True, tie_word_embeddings=False, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 16}, bos_token_id=1, eos_token_id=2))
    with torch.no_grad():  # HF initialises biases to zero; make them matter
        for name, p in llama.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.2)
    d = os.path.join(out, "tiny_llama_sharded_bf16")
    save(llama, torch.bfloat16, d, "20KB")
    GenerationConfig(bos_token_id=1, eos_token_id=[2, 7]).save_pretrained(d)

    torch.manual_seed(1)
    qwen = Qwen2ForCausalLM(Qwen2Config(**common, tie_word_embeddings=True, rope_theta=10000.0))
    with torch.no_grad():
        for name, p in qwen.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.2)
    save(qwen, torch.float16, os.path.join(out, "tiny_qwen2_fp16"), "10GB")


if __name__ == "__main__":
    main()
