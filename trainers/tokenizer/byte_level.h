// GPT-2's reversible byte <-> printable-unicode mapping used for token strings in tokenizer.json
// (byte 0x20 ' ' is "Ġ", 0x0A '\n' is "Ċ", printable ASCII maps to itself).
#pragma once

#include <string>
#include <string_view>

namespace tokenizer {

// UTF-8 text of the code point that stands for `byte`.
const std::string& ByteToUnicode(unsigned char byte);

// Byte-level form of raw bytes (each byte replaced by its code point).
std::string BytesToTokenText(std::string_view bytes);

// Inverse: raw bytes of a byte-level token string. Returns false (leaving *bytes unspecified) when a
// code point of `token` is not one of the 256 mapped ones.
bool TokenTextToBytes(std::string_view token, std::string* bytes);

}  // namespace tokenizer
