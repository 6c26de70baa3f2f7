// Code-point classification (binary search over the generated table, ASCII via a small lookup) and
// a UTF-8 decoder that never fails: malformed bytes become single invalid code points.
#include "trainers/tokenizer/unicode_classes.h"

#include <algorithm>
#include <array>

namespace tokenizer {
namespace {

std::array<CharClass, 128> BuildAsciiTable() {
  std::array<CharClass, 128> table{};
  for (int c = 0; c < 128; ++c) table[c] = CharClass::kOther;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = CharClass::kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = CharClass::kLetter;
  for (int c = '0'; c <= '9'; ++c) table[c] = CharClass::kNumber;
  for (int c : {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20}) table[c] = CharClass::kSpace;
  return table;
}

const std::array<CharClass, 128> kAscii = BuildAsciiTable();

}  // namespace

CharClass ClassifyCodePoint(char32_t cp) {
  if (cp < 128) return kAscii[cp];
  const CodePointRange* begin = kCodePointRanges;
  const CodePointRange* end = kCodePointRanges + kNumCodePointRanges;
  // First range whose last >= cp.
  const CodePointRange* it = std::lower_bound(
      begin, end, cp, [](const CodePointRange& r, char32_t v) { return r.last < v; });
  if (it != end && it->first <= cp) return it->cls;
  return CharClass::kOther;
}

int DecodeUtf8(std::string_view text, size_t pos, char32_t* cp) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  int len;
  char32_t value;
  char32_t min_value;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, value = b0 & 0x1F, min_value = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, value = b0 & 0x0F, min_value = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, value = b0 & 0x07, min_value = 0x10000;
  } else {
    *cp = kInvalidCodePoint;
    return 1;
  }
  if (pos + len > text.size()) {
    *cp = kInvalidCodePoint;
    return 1;
  }
  for (int i = 1; i < len; ++i) {
    const unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) {
      *cp = kInvalidCodePoint;
      return 1;
    }
    value = (value << 6) | (b & 0x3F);
  }
  if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    *cp = kInvalidCodePoint;
    return 1;
  }
  *cp = value;
  return len;
}

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp;
    pos += DecodeUtf8(text, pos, &cp);
    if (cp == kInvalidCodePoint) return false;
  }
  return true;
}

}  // namespace tokenizer
