"""Golden values for the real-model tests, from independent references on PyPI (run in the venv of
scripts/real_model_venv.sh; never at test time):

  - token ids: Hugging Face `tokenizers` built from the GGUF's vocabulary and merges with the
    pre-tokenizer SmolLM2's own tokenizer.json uses (Sequence[Digits(individual_digits), ByteLevel]) and
    its 17 control tokens as special added tokens. (transformers 4.44's GGUF tokenizer conversion is not
    used: it drops add_bos_token=false and maps eos to <|im_start|>.)
  - chat prompts: transformers' apply_chat_template with the GGUF's tokenizer.chat_template (Jinja).
  - logits and greedy tokens: transformers' LlamaForCausalLM loaded from the GGUF (tensor names, config
    and the Q/K row un-permutation by transformers; dequantisation by the `gguf` package's
    gguf.quants.dequantize, patched in because transformers 4.44's own dequantiser lacks Q4_1), fp32,
    eager attention.

Usage: real_model_golden.py GGUF OUT.json [--gsm8k-prompts prompts.jsonl --gsm8k-out OUT2.json --limit N]
"""
import argparse
import hashlib
import json
import os

import gguf
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
import transformers.modeling_gguf_pytorch_utils as gguf_utils
from gguf.quants import dequantize
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

gguf_utils.load_dequant_gguf_tensor = (
    lambda shape, ggml_type, data, n_bytes: dequantize(data, ggml_type).reshape(shape[::-1]))

TOKENIZE = [
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
    "12345 + 678 = 13023, 3.14159 and 1/2",
    "a  b   c\n\n\tindent    end  ",
    "   leading spaces\r\nwindows line\n\n\n",
    "naïve café — 東京 Привет 🚀 ½ ٣ x²",
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "don't I'LL we've they'd it's",
    "<|endoftext|><|endoftext|>text<repo_name>x",
    "bell\x07 and eot\x04 bytes",  # bytes without a token of their own: HF drops them
]
CHAT = ["What is 2+3?", "Natalia sold 48 clips in April and half as many in May. How many in total?"]
LOGIT_PROMPTS = [("chat", "What is 2+3?"), ("text", "The capital of France is")]
GREEDY_TOKENS = 24


def field(reader, key):
    f = reader.fields[key]
    if f.types[0] == gguf.GGUFValueType.ARRAY:
        if f.types[-1] == gguf.GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i][0].item() for i in f.data]
    if f.types[0] == gguf.GGUFValueType.STRING:
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    return f.parts[f.data[0]][0].item()


def reference_tokenizer(path):
    reader = gguf.GGUFReader(path)
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = [tuple(m.split(" ")) for m in field(reader, "tokenizer.ggml.merges")]
    assert field(reader, "tokenizer.ggml.pre") == "smollm", "this script knows SmolLM2's pre-tokenizer only"
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    from tokenizers import AddedToken
    tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                            for i, t in enumerate(types) if t == 3])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, chat_template=field(reader, "tokenizer.chat_template"),
                                   eos_token=tokens[field(reader, "tokenizer.ggml.eos_token_id")])
    return fast, field(reader, "tokenizer.ggml.eos_token_id")


def chat_text(fast, user):
    return fast.apply_chat_template([{"role": "user", "content": user}], tokenize=False, add_generation_prompt=True)


def greedy(model, ids, n, eos):
    out = model.generate(torch.tensor([ids]), max_new_tokens=n, do_sample=False, eos_token_id=eos,
                         pad_token_id=eos)
    return out[0, len(ids):].tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("out")
    ap.add_argument("--gsm8k-prompts")
    ap.add_argument("--gsm8k-out")
    ap.add_argument("--max-new-tokens", type=int, default=256)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    fast, eos = reference_tokenizer(args.gguf)
    # A GGUF without output.weight ties lm_head to the embeddings; transformers 4.44 leaves the config's
    # default (untied, a random lm_head) unless told.
    tied = all(t.name != "output.weight" for t in gguf.GGUFReader(args.gguf).tensors)
    model = AutoModelForCausalLM.from_pretrained(os.path.dirname(os.path.abspath(args.gguf)),
                                                 gguf_file=os.path.basename(args.gguf), torch_dtype=torch.float32,
                                                 attn_implementation="eager", tie_word_embeddings=tied).eval()
    assert not tied or model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    if args.gsm8k_prompts:
        rows = []
        with open(args.gsm8k_prompts) as f:
            for line in f:
                rec = json.loads(line)
                ids = fast(chat_text(fast, rec["prompt"]), add_special_tokens=False).input_ids
                with torch.no_grad():
                    new = greedy(model, ids, args.max_new_tokens, eos)
                text = fast.decode([t for t in new if t != eos], skip_special_tokens=True)
                rows.append({"id": rec["id"], "prompt_sha256": hashlib.sha256(rec["prompt"].encode()).hexdigest(),
                             "prompt_tokens": len(ids), "completion_ids": new, "text": text})
                print(rec["id"], len(new), flush=True)
        with open(args.gsm8k_out, "w") as f:
            json.dump({"reference": "transformers " + __import__("transformers").__version__ + " greedy, fp32",
                       "max_new_tokens": args.max_new_tokens, "completions": rows}, f, indent=1)
        return

    golden = {"model": os.path.basename(args.gguf),
              "reference": "tokenizers + transformers " + __import__("transformers").__version__ + ", fp32",
              "tokenize": [], "chat": [], "logits": [], "greedy": []}
    for text in TOKENIZE:
        golden["tokenize"].append({"text": text, "ids": fast(text, add_special_tokens=False).input_ids})
    for user in CHAT:
        rendered = chat_text(fast, user)
        golden["chat"].append({"user": user, "text": rendered, "ids": fast(rendered, add_special_tokens=False).input_ids})
    for kind, text in LOGIT_PROMPTS:
        ids = fast(chat_text(fast, text) if kind == "chat" else text, add_special_tokens=False).input_ids
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1].double()
            top = torch.topk(logits, 20)
            probe = list(range(0, logits.numel(), 997))
            golden["logits"].append({"kind": kind, "text": text, "ids": ids,
                                     "top_ids": top.indices.tolist(), "top_values": top.values.tolist(),
                                     "probe_ids": probe, "probe_values": logits[probe].tolist()})
            golden["greedy"].append({"kind": kind, "text": text, "ids": ids,
                                     "tokens": greedy(model, ids, GREEDY_TOKENS, eos)})
    with open(args.out, "w") as f:
        json.dump(golden, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
