// Pre-tokenization: cutting text into the pieces BPE runs on, as Hugging Face `tokenizers` (and
// llama.cpp's matching `tokenizer.ggml.pre` names) do it for the byte-level BPE families:
//
//   kGpt2        GPT-2's ByteLevel regex (use_regex=true):
//                  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   kGpt2Digits  Digits(individual_digits=true) first (every \p{N} code point a piece of its own),
//                then the GPT-2 regex on the rest (SmolLM, StarCoder; llama.cpp pre "smollm").
//   kLlama3      Split with the Llama-3 regex, behaviour Isolated (llama.cpp pre "llama-bpe"):
//                  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//                  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   kQwen2       the same with \p{N} instead of \p{N}{1,3} (one digit per piece; pre "qwen2").
//
// Matches are taken leftmost-first, alternatives in order, as a backtracking engine (Oniguruma, used by
// HF tokenizers) returns them. RE2 lacks the (?!\S) lookahead, so these are hand-written scanners.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tokenizer {

enum class PreTokenizer { kGpt2, kGpt2Digits, kLlama3, kQwen2 };

// The regexes above, verbatim as tokenizer.json's Split pre-tokenizer spells them.
extern const char kLlama3Pattern[];
extern const char kQwen2Pattern[];

// Appends the pieces of `text` (views into it, in order, covering it exactly) to `pieces`.
void PreTokenize(PreTokenizer kind, std::string_view text, std::vector<std::string_view>* pieces);
void SplitGpt2(std::string_view text, std::vector<std::string_view>* pieces);

// Convenience copies for tests and tools.
std::vector<std::string> PreTokenize(PreTokenizer kind, std::string_view text);
std::vector<std::string> SplitGpt2(std::string_view text);

}  // namespace tokenizer
