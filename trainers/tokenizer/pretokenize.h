// GPT-2 pre-tokenization, as Hugging Face's ByteLevel pre-tokenizer (use_regex=true) applies it:
// the text is cut into the matches of
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// taken leftmost-first. RE2 lacks the (?!\S) lookahead, so this is a hand-written scanner.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tokenizer {

// Appends the pieces of `text` (views into it, in order, covering it exactly) to `pieces`.
void SplitGpt2(std::string_view text, std::vector<std::string_view>* pieces);

// Convenience copy for tests and tools.
std::vector<std::string> SplitGpt2(std::string_view text);

}  // namespace tokenizer
