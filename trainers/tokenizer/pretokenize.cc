// Hand-written scanners for the pre-tokenization patterns of pretokenize.h. Each step reproduces what
// a backtracking regex engine (Oniguruma, used by HF tokenizers) returns at the current position.
#include "trainers/tokenizer/pretokenize.h"

#include "trainers/tokenizer/unicode_classes.h"

namespace tokenizer {

const char kLlama3Pattern[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char kQwen2Pattern[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

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

bool IsNewline(char c) { return c == '\r' || c == '\n'; }

// Length of a contraction ('s 't 're 've 'm 'll 'd) at pos, or 0. `any_case`: the Llama-3 pattern's
// (?i:...) group.
size_t ContractionLength(std::string_view text, size_t pos, bool any_case) {
  if (text[pos] != '\'' || pos + 1 >= text.size()) return 0;
  const auto lower = [any_case](char c) {
    return any_case && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  const char a = lower(text[pos + 1]);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 >= text.size()) return 0;
  const char b = lower(text[pos + 2]);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// Whitespace at pos: "\s+(?!\S)" takes the whole run if it reaches the end of the text, else the run
// minus its last code point, provided that leaves at least one; otherwise "\s+" takes the run (a
// single code point then). Shared tail of every pattern.
size_t WhitespaceLength(std::string_view text, size_t pos) {
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

// GPT-2: length of the match starting at `pos` (always > 0 while pos < size).
size_t Gpt2MatchLength(std::string_view text, size_t pos) {
  if (size_t n = ContractionLength(text, pos, /*any_case=*/false)) return n;
  // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional single ASCII space, then a run.
  size_t start = pos;
  if (text[pos] == ' ' && pos + 1 < text.size()) start = pos + 1;
  const CodePoint first = At(text, start);
  if (first.cls != CharClass::kSpace) return RunEnd(text, start, first.cls) - pos;
  return WhitespaceLength(text, pos);
}

// Llama-3 / Qwen2: length of the match starting at `pos`. `max_digits`: 3 for \p{N}{1,3}, 1 for \p{N}.
size_t Llama3MatchLength(std::string_view text, size_t pos, int max_digits) {
  if (size_t n = ContractionLength(text, pos, /*any_case=*/true)) return n;
  const CodePoint c = At(text, pos);
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (c.cls == CharClass::kLetter) return RunEnd(text, pos, CharClass::kLetter) - pos;
  if (c.cls != CharClass::kNumber && !IsNewline(text[pos]) && pos + c.len < text.size() &&
      At(text, pos + c.len).cls == CharClass::kLetter) {
    return RunEnd(text, pos + c.len, CharClass::kLetter) - pos;
  }
  // \p{N}{1,3} (or \p{N})
  if (c.cls == CharClass::kNumber) {
    size_t end = pos;
    for (int i = 0; i < max_digits && end < text.size(); ++i) {
      const CodePoint d = At(text, end);
      if (d.cls != CharClass::kNumber) break;
      end += d.len;
    }
    return end - pos;
  }
  // " ?[^\s\p{L}\p{N}]+[\r\n]*"
  size_t start = pos;
  if (text[pos] == ' ' && pos + 1 < text.size() && At(text, pos + 1).cls == CharClass::kOther) start = pos + 1;
  if (At(text, start).cls == CharClass::kOther) {
    size_t end = RunEnd(text, start, CharClass::kOther);
    while (end < text.size() && IsNewline(text[end])) ++end;
    return end - pos;
  }
  // Whitespace. "\s*[\r\n]+": up to and including the last \r or \n of the run, when it has one.
  size_t end = pos, after_last_newline = 0;
  while (end < text.size()) {
    const CodePoint w = At(text, end);
    if (w.cls != CharClass::kSpace) break;
    end += w.len;
    if (IsNewline(text[end - 1]) && w.len == 1) after_last_newline = end;
  }
  if (after_last_newline > 0) return after_last_newline - pos;
  return WhitespaceLength(text, pos);
}

// Appends the GPT-2 pieces of text[begin, end) (a segment of the whole text, which the views index).
void SplitGpt2Segment(std::string_view text, std::vector<std::string_view>* pieces) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t len = Gpt2MatchLength(text, pos);
    pieces->push_back(text.substr(pos, len));
    pos += len;
  }
}

}  // namespace

void SplitGpt2(std::string_view text, std::vector<std::string_view>* pieces) { SplitGpt2Segment(text, pieces); }

void PreTokenize(PreTokenizer kind, std::string_view text, std::vector<std::string_view>* pieces) {
  switch (kind) {
    case PreTokenizer::kGpt2:
      SplitGpt2Segment(text, pieces);
      return;
    case PreTokenizer::kGpt2Digits: {
      // Digits(individual_digits=true): each \p{N} code point is isolated; the rest goes to GPT-2.
      size_t segment = 0, pos = 0;
      while (pos < text.size()) {
        const CodePoint c = At(text, pos);
        if (c.cls == CharClass::kNumber) {
          SplitGpt2Segment(text.substr(segment, pos - segment), pieces);
          pieces->push_back(text.substr(pos, c.len));
          segment = pos + c.len;
        }
        pos += c.len;
      }
      SplitGpt2Segment(text.substr(segment), pieces);
      return;
    }
    case PreTokenizer::kLlama3:
    case PreTokenizer::kQwen2: {
      const int max_digits = kind == PreTokenizer::kLlama3 ? 3 : 1;
      size_t pos = 0;
      while (pos < text.size()) {
        const size_t len = Llama3MatchLength(text, pos, max_digits);
        pieces->push_back(text.substr(pos, len));
        pos += len;
      }
      return;
    }
  }
}

std::vector<std::string> PreTokenize(PreTokenizer kind, std::string_view text) {
  std::vector<std::string_view> views;
  PreTokenize(kind, text, &views);
  return std::vector<std::string>(views.begin(), views.end());
}

std::vector<std::string> SplitGpt2(std::string_view text) { return PreTokenize(PreTokenizer::kGpt2, text); }

}  // namespace tokenizer
