// Code-point classification (binary search over the generated table, ASCII via a fixed table) and
// a UTF-8 decoder that never fails: malformed bytes become single invalid code points.
#include "trainers/tokenizer/unicode_classes.h"

#include <algorithm>

namespace tokenizer {

// Letters, digits and \t \n \v \f \r ' ' are the only ASCII code points outside kOther.
#define L CharClass::kLetter
#define N CharClass::kNumber
#define S CharClass::kSpace
#define O CharClass::kOther
const CharClass kAsciiClasses[128] = {
    O, O, O, O, O, O, O, O, O, S, S, S, S, S, O, O,  // 0x00
    O, O, O, O, O, O, O, O, O, O, O, O, O, O, O, O,  // 0x10
    S, O, O, O, O, O, O, O, O, O, O, O, O, O, O, O,  // 0x20 ' ' ... '/'
    N, N, N, N, N, N, N, N, N, N, O, O, O, O, O, O,  // 0x30 '0'..'9'
    O, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  // 0x40 '@' 'A'..
    L, L, L, L, L, L, L, L, L, L, L, O, O, O, O, O,  // 0x50 ..'Z'
    O, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  // 0x60 '`' 'a'..
    L, L, L, L, L, L, L, L, L, L, L, O, O, O, O, O,  // 0x70 ..'z'
};
#undef L
#undef N
#undef S
#undef O

CharClass ClassifyNonAscii(char32_t cp) {
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
