#!/usr/bin/env python3
"""Reference side of the tokenizer cross-check: Hugging Face `tokenizers` (the Rust implementation)
loads a tokenizer.json and encodes/decodes a list of texts, so the C++ test can compare ids.

Usage: tokenizer_crosscheck.py TOKENIZER_JSON TEXTS_JSON OUT_JSON
  TEXTS_JSON: a JSON array of strings.
  OUT_JSON:   {"tokenizers_version": V, "results": [{"ids": [...], "decoded": str,
               "decoded_skip_special": str, "pieces": [pre-tokenizer pieces, byte-level form]}]}
"""
import json
import sys

import tokenizers
from tokenizers import Tokenizer


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    tok = Tokenizer.from_file(argv[1])
    with open(argv[2], encoding="utf-8") as f:
        texts = json.load(f)
    results = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        pieces = [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(text)]
        results.append({
            "ids": ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
            "pieces": pieces,
        })
    with open(argv[3], "w", encoding="utf-8") as f:
        json.dump({"tokenizers_version": tokenizers.__version__, "results": results}, f)


if __name__ == "__main__":
    main(sys.argv)
