"""Golden pre-tokenizer splits from Hugging Face `tokenizers` (venv of scripts/real_model_venv.sh) for
tests/tokenizer/pretokenize_test.cc: GPT-2 + Digits, Llama-3 and Qwen2 regex splits.
Usage: pretokenize_golden.py OUT.json"""
import json
import sys

from tokenizers import Regex, pre_tokenizers

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")
TEXTS = [
    "Hello world", "  leading and trailing   ", "x\n\n  y", "a\r\n\r\nb", "...Hello", "'S 'LL 'Re 've don't",
    "123456789", "ab12cd345 6", " !!!\n\n", "\t\tx", "naïve 東京 ½٣ x²", "Привет мир!", "😀😀 ok", "a\u00a0b c",
    "1,234.56 + 7", "end\n", "  \n", "(x+y)*2=10\n\nSo", "<tag>text</tag>", "$12.50 each; 3 items",
]


def byte_decoder():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def main():
    dec = byte_decoder()
    raw = lambda piece: bytes(dec[c] for c in piece).decode("utf-8")
    gpt2_digits = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                           pre_tokenizers.ByteLevel(add_prefix_space=False)])
    out = {"texts": TEXTS, "gpt2_digits": [], "llama3": [], "qwen2": []}
    for text in TEXTS:
        out["gpt2_digits"].append([raw(p) for p, _ in gpt2_digits.pre_tokenize_str(text)])
        for name, pattern in (("llama3", LLAMA3), ("qwen2", QWEN2)):
            split = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
            out[name].append([p for p, _ in split.pre_tokenize_str(text)])
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
