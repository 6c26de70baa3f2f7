// Hand-written scanner for the GPT-2 pre-tokenization pattern. Each step reproduces what a
// backtracking regex engine (Oniguruma, used by HF tokenizers) returns at the current position.
#include "trainers/tokenizer/pretokenize.h"

#include "trainers/tokenizer/unicode_classes.h"

namespace tokenizer {
namespace {

struct CodePoint {
  int len;
  CharClass cls;
};

CodePoint At(std::string_view text, size_t pos) {
  const unsigned char b = static_cast<unsigned char>(text[pos]);
  if (b < 0x80) return {1, ClassifyCodePoint(b)};  // ASCII: table lookup, no decoding
  char32_t cp;
  const int len = DecodeUtf8(text, pos, &cp);
  const CharClass cls = cp == kInvalidCodePoint ? CharClass::kOther : ClassifyCodePoint(cp);
  return {len, cls};
}

// End of the maximal run of code points of class `cls` starting at `pos`.
size_t RunEnd(std::string_view text, size_t pos, CharClass cls) {
  while (pos < text.size()) {
    const CodePoint c = At(text, pos);
    if (c.cls != cls) break;
    pos += c.len;
  }
  return pos;
}

// Length of a contraction ('s 't 're 've 'm 'll 'd, case-sensitive as in the pattern) at pos, or 0.
size_t ContractionLength(std::string_view text, size_t pos) {
  if (text[pos] != '\'' || pos + 1 >= text.size()) return 0;
  const char a = text[pos + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 >= text.size()) return 0;
  const char b = text[pos + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// Length of the match starting at `pos` (always > 0 while pos < size).
size_t MatchLength(std::string_view text, size_t pos) {
  if (size_t n = ContractionLength(text, pos)) return n;
  // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional single ASCII space, then a run.
  size_t start = pos;
  if (text[pos] == ' ' && pos + 1 < text.size()) start = pos + 1;
  const CodePoint first = At(text, start);
  if (first.cls != CharClass::kSpace) {
    return RunEnd(text, start, first.cls) - pos;
  }
  // Whitespace at pos. "\s+(?!\S)": the whole run if it reaches the end of the text or is followed
  // by more whitespace (impossible: the run is maximal), else the run minus its last code point,
  // provided that leaves at least one; otherwise "\s+" takes the run (a single code point here).
  size_t end = pos;
  size_t last_start = pos;
  int count = 0;
  while (end < text.size()) {
    const CodePoint c = At(text, end);
    if (c.cls != CharClass::kSpace) break;
    last_start = end;
    end += c.len;
    ++count;
  }
  if (end == text.size() || count == 1) return end - pos;
  return last_start - pos;
}

}  // namespace

void SplitGpt2(std::string_view text, std::vector<std::string_view>* pieces) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t len = MatchLength(text, pos);
    pieces->push_back(text.substr(pos, len));
    pos += len;
  }
}

std::vector<std::string> SplitGpt2(std::string_view text) {
  std::vector<std::string_view> views;
  SplitGpt2(text, &views);
  return std::vector<std::string>(views.begin(), views.end());
}

}  // namespace tokenizer
