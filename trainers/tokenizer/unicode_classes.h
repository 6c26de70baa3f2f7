// Unicode classes used by the GPT-2 pre-tokenizer (\p{L}, \p{N}, \s) and a lenient UTF-8 decoder.
// The range table is generated (see scripts/gen_tokenizer_unicode_table.py).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tokenizer {

enum class CharClass : uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kSpace = 3 };

struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
  CharClass cls;
};

extern const char kUnicodeVersion[];
extern const CodePointRange kCodePointRanges[];  // sorted, disjoint
extern const int kNumCodePointRanges;

// Classes of the 128 ASCII code points, for the inline fast path below.
extern const CharClass kAsciiClasses[128];
CharClass ClassifyNonAscii(char32_t cp);

inline CharClass ClassifyCodePoint(char32_t cp) {
  return cp < 128 ? kAsciiClasses[cp] : ClassifyNonAscii(cp);
}

// Decodes one code point at text[pos]. Returns its byte length (1..4) and sets *cp. A byte that does
// not start a valid, minimal UTF-8 sequence counts as one code point of its own with *cp = kInvalid,
// so arbitrary bytes still split deterministically (HF never sees such input: Rust strings are UTF-8).
constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;
int DecodeUtf8(std::string_view text, size_t pos, char32_t* cp);

// True when `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace tokenizer
