#!/usr/bin/env python3
"""Independent eager-PyTorch implementation of the harness Llama model, read from an HF checkpoint
directory (config.json + model.safetensors). Used to produce golden files (scripts/make_golden.py)
and as the baseline of `harness profile` comparisons. Needs only Debian's python3-torch and numpy;
safetensors is parsed by hand (8-byte LE header length, JSON header, raw bytes).

  python3 scripts/reference_model.py logits  --checkpoint DIR --ids 1,2,3
  python3 scripts/reference_model.py bench   --checkpoint DIR --batch 16 --seq 128 --new 64 --threads 2
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch

_DTYPES = {"F32": (np.float32, 4), "F16": (np.float16, 2), "BF16": (None, 2), "F64": (np.float64, 8),
           "I64": (np.int64, 8), "I32": (np.int32, 4), "U8": (np.uint8, 1)}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = body[begin:end]
        if entry["dtype"] == "BF16":  # bf16 = upper half of an fp32
            bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=_DTYPES[entry["dtype"]][0])
        out[name] = torch.from_numpy(arr.copy()).reshape(entry["shape"])
    return out


def write_safetensors(path, tensors, metadata=None):
    names = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        raw = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))
    os.replace(tmp, path)


class Reference(torch.nn.Module):
    """Llama as in HF modeling_llama (repeat_kv for GQA, rotate_half RoPE, fp32 RMSNorm statistics)."""

    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.h = cfg["hidden_size"]
        self.nh = cfg["num_attention_heads"]
        self.nkv = cfg.get("num_key_value_heads", self.nh)
        self.hd = self.h // self.nh
        self.eps = cfg["rms_norm_eps"]
        self.tied = cfg.get("tie_word_embeddings", True)
        self.params = torch.nn.ParameterDict()
        for name, t in weights.items():
            if name.endswith("rotary_emb.inv_freq") or name.startswith("value_head"):
                continue
            self.params[name.replace(".", "__")] = torch.nn.Parameter(t.float().clone())
        theta = cfg.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.hd, 2).float() / self.hd))

    def w(self, name):
        return self.params[name.replace(".", "__")]

    def rms(self, x, weight):
        var = x.pow(2).mean(-1, keepdim=True)
        return weight * (x * torch.rsqrt(var + self.eps))

    @staticmethod
    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    def forward(self, ids, attention_mask=None, past=None):
        """ids [B, T]; attention_mask [B, S_total] over past+new tokens (1 = real); past: list of (k, v)
        per layer with k [B, nkv, S_past, hd]. Returns (logits [B, T, V], new past)."""
        B, T = ids.shape
        past_len = 0 if past is None else past[0][0].shape[2]
        S = past_len + T
        if attention_mask is None:
            attention_mask = torch.ones(B, S, dtype=torch.long)
        pos_all = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        pos = pos_all[:, past_len:]
        freqs = pos.float()[..., None] * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [B, 1, T, hd]
        q_idx = torch.arange(past_len, S)[:, None]
        k_idx = torch.arange(S)[None, :]
        allowed = (k_idx <= q_idx)[None] & attention_mask.bool()[:, None, :]  # [B, T, S]
        bias = torch.zeros(B, 1, T, S).masked_fill(~allowed[:, None], torch.finfo(torch.float32).min)
        x = self.w("model.embed_tokens.weight")[ids]
        new_past = []
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            hsn = self.rms(x, self.w(p + "input_layernorm.weight"))
            q = (hsn @ self.w(p + "self_attn.q_proj.weight").T).view(B, T, self.nh, self.hd).transpose(1, 2)
            k = (hsn @ self.w(p + "self_attn.k_proj.weight").T).view(B, T, self.nkv, self.hd).transpose(1, 2)
            v = (hsn @ self.w(p + "self_attn.v_proj.weight").T).view(B, T, self.nkv, self.hd).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            if past is not None:
                k = torch.cat([past[i][0], k], dim=2)
                v = torch.cat([past[i][1], v], dim=2)
            new_past.append((k, v))
            rep = self.nh // self.nkv
            kr = k[:, :, None].expand(B, self.nkv, rep, S, self.hd).reshape(B, self.nh, S, self.hd)
            vr = v[:, :, None].expand(B, self.nkv, rep, S, self.hd).reshape(B, self.nh, S, self.hd)
            att = (q @ kr.transpose(2, 3)) / math.sqrt(self.hd) + bias
            att = torch.softmax(att, dim=-1)
            o = (att @ vr).transpose(1, 2).reshape(B, T, self.h)
            x = x + o @ self.w(p + "self_attn.o_proj.weight").T
            hsn = self.rms(x, self.w(p + "post_attention_layernorm.weight"))
            gate = hsn @ self.w(p + "mlp.gate_proj.weight").T
            up = hsn @ self.w(p + "mlp.up_proj.weight").T
            x = x + (torch.nn.functional.silu(gate) * up) @ self.w(p + "mlp.down_proj.weight").T
        x = self.rms(x, self.w("model.norm.weight"))
        head = self.w("model.embed_tokens.weight") if self.tied else self.w("lm_head.weight")
        return x @ head.T, new_past


def load(checkpoint):
    with open(os.path.join(checkpoint, "config.json")) as f:
        cfg = json.load(f)
    return Reference(cfg, read_safetensors(os.path.join(checkpoint, "model.safetensors")))


@torch.no_grad()
def greedy(model, prompts, new_tokens, use_cache):
    """Greedy continuation of ragged prompts (left padding). Returns lists of new token ids."""
    B = len(prompts)
    width = max(len(p) for p in prompts)
    ids = torch.zeros(B, width, dtype=torch.long)
    mask = torch.zeros(B, width, dtype=torch.long)
    for b, p in enumerate(prompts):
        ids[b, width - len(p):] = torch.tensor(p)
        mask[b, width - len(p):] = 1
    out = [[] for _ in range(B)]
    past = None
    step_ids = ids
    for _ in range(new_tokens):
        if use_cache:
            logits, past = model(step_ids, mask, past)
        else:
            logits, _ = model(ids, mask)
        nxt = logits[:, -1].argmax(-1)
        for b in range(B):
            out[b].append(int(nxt[b]))
        ids = torch.cat([ids, nxt[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones(B, 1, dtype=torch.long)], dim=1)
        step_ids = nxt[:, None]
    return out


def set_openblas_threads(n):
    """Sizes OpenBLAS's own pool like `harness` does (trainers/build_info.cc), so both sides run the
    same kernels on the same number of threads. Returns the pool size, or -1 without OpenBLAS."""
    import ctypes
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_set_num_threads(n)
            return lib.openblas_get_num_threads()
        except (OSError, AttributeError):
            continue
    return -1


def bench(args):
    torch.set_num_threads(args.threads)
    openblas_threads = set_openblas_threads(args.threads)
    model = load(args.checkpoint)
    V = model.cfg["vocab_size"]
    gen = torch.Generator().manual_seed(0)
    result = {"threads": torch.get_num_threads(), "openblas_threads": openblas_threads, "torch": torch.__version__, "batch": args.batch,
              "seq": args.seq, "new": args.new}
    # Training: forward + cross-entropy + backward + AdamW.
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, V, (args.train_batch, args.seq + 1), generator=gen)
    def train_step():
        logits, _ = model(ids[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    train_step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.train_steps):
        train_step()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    result["train_tokens_per_s"] = args.train_batch * args.seq * args.train_steps / dt
    result["train_tokens_per_cpu_s"] = args.train_batch * args.seq * args.train_steps / dc
    # Decode with a KV cache (cat per step) and without (full recompute), batch `batch`.
    prompts = torch.randint(0, V, (args.batch, args.seq), generator=gen).tolist()
    with torch.no_grad():
        model(torch.tensor(prompts))  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        model(torch.tensor(prompts))
        prefill_s, prefill_cpu = time.perf_counter() - t0, time.process_time() - c0
        result["prefill_tokens_per_s"] = args.batch * args.seq / prefill_s
        result["prefill_tokens_per_cpu_s"] = args.batch * args.seq / prefill_cpu
        # Generation figures include the prefill, as `harness profile`'s generate_tokens_per_*.
        t0, c0 = time.perf_counter(), time.process_time()
        greedy(model, prompts, args.new, use_cache=True)
        gen_s, gen_cpu = time.perf_counter() - t0, time.process_time() - c0
        result["generate_tokens_per_s_kv_cache"] = args.batch * args.new / gen_s
        result["generate_tokens_per_cpu_s_kv_cache"] = args.batch * args.new / gen_cpu
        # Decode alone: the prefill time measured above subtracted, as `harness profile` does.
        result["decode_tokens_per_s_kv_cache"] = args.batch * args.new / max(gen_s - prefill_s, 1e-9)
        result["decode_tokens_per_cpu_s_kv_cache"] = args.batch * args.new / max(gen_cpu - prefill_cpu, 1e-9)
        if not args.skip_uncached:
            t0, c0 = time.perf_counter(), time.process_time()
            greedy(model, prompts, args.new, use_cache=False)
            result["generate_tokens_per_s_no_cache"] = args.batch * args.new / (time.perf_counter() - t0)
            result["generate_tokens_per_cpu_s_no_cache"] = args.batch * args.new / (time.process_time() - c0)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(result, indent=None if args.json else 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    lg = sub.add_parser("logits", help="print last-position logits for one prompt")
    lg.add_argument("--checkpoint", required=True)
    lg.add_argument("--ids", required=True, help="comma-separated token ids")
    gr = sub.add_parser("greedy", help="greedy continuation: token ids and log-probabilities (JSON)")
    gr.add_argument("--checkpoint", required=True)
    gr.add_argument("--ids", required=True, help="comma-separated token ids")
    gr.add_argument("--new", type=int, default=8)
    bn = sub.add_parser("bench", help="training / prefill / decode throughput")
    bn.add_argument("--checkpoint", required=True)
    bn.add_argument("--batch", type=int, default=16)
    bn.add_argument("--train-batch", type=int, default=8)
    bn.add_argument("--seq", type=int, default=128)
    bn.add_argument("--new", type=int, default=64)
    bn.add_argument("--train-steps", type=int, default=5)
    bn.add_argument("--threads", type=int, default=2)
    bn.add_argument("--skip-uncached", action="store_true")
    bn.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.cmd == "logits":
        model = load(args.checkpoint)
        ids = torch.tensor([[int(x) for x in args.ids.split(",")]])
        with torch.no_grad():
            logits, _ = model(ids)
        print(json.dumps(logits[0, -1].tolist()))
    elif args.cmd == "greedy":
        model = load(args.checkpoint)
        ids = torch.tensor([[int(x) for x in args.ids.split(",")]])
        tokens, logprobs = [], []
        with torch.no_grad():
            for _ in range(args.new):
                logits, _ = model(ids)
                lp = torch.log_softmax(logits[0, -1], -1)
                nxt = int(lp.argmax())
                tokens.append(nxt)
                logprobs.append(float(lp[nxt]))
                ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
        print(json.dumps({"token_ids": tokens, "logprobs": logprobs}))
    else:
        bench(args)


if __name__ == "__main__":
    sys.exit(main())
