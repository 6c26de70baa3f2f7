// The byte-to-unicode table, built as GPT-2's encoder.py describes it: bytes '!'..'~', '¡'..'¬' and
// '®'..'ÿ' keep their own code point; the remaining 68 bytes take U+0100, U+0101, ... in byte order.
#include "trainers/tokenizer/byte_level.h"

#include <array>
#include <unordered_map>

#include "trainers/tokenizer/unicode_classes.h"

namespace tokenizer {
namespace {

std::string EncodeUtf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

struct Tables {
  std::array<std::string, 256> byte_to_text;
  std::unordered_map<char32_t, unsigned char> code_point_to_byte;
};

const Tables& GetTables() {
  static const Tables tables = [] {
    Tables t;
    std::array<char32_t, 256> cps{};
    int next_extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool keeps_own = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      cps[b] = keeps_own ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next_extra++);
    }
    for (int b = 0; b < 256; ++b) {
      t.byte_to_text[b] = EncodeUtf8(cps[b]);
      t.code_point_to_byte[cps[b]] = static_cast<unsigned char>(b);
    }
    return t;
  }();
  return tables;
}

}  // namespace

const std::string& ByteToUnicode(unsigned char byte) { return GetTables().byte_to_text[byte]; }

std::string BytesToTokenText(std::string_view bytes) {
  const Tables& t = GetTables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.byte_to_text[static_cast<unsigned char>(c)];
  return out;
}

bool TokenTextToBytes(std::string_view token, std::string* bytes) {
  const Tables& t = GetTables();
  bytes->clear();
  size_t pos = 0;
  while (pos < token.size()) {
    char32_t cp;
    pos += DecodeUtf8(token, pos, &cp);
    auto it = t.code_point_to_byte.find(cp);
    if (it == t.code_point_to_byte.end()) return false;
    bytes->push_back(static_cast<char>(it->second));
  }
  return true;
}

}  // namespace tokenizer
