// The safetensors header, parsed and checked without LibTorch (so that the fuzzing build, which has no
// torch, covers it): an 8-byte little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {str: str}}, then the raw
// tensor bytes (format facts from the safetensors specification).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace trainers {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;            // "F32", "BF16", ...
  int64_t item_bytes = 0;       // bytes per element of dtype
  std::vector<int64_t> shape;
  int64_t numel = 1;
  uint64_t begin = 0, end = 0;  // offsets into the data section; end - begin == numel * item_bytes
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;       // in the header's key order
  std::map<std::string, std::string> metadata;  // "__metadata__"
  uint64_t data_start = 0;                      // offset of the data section in the file
  uint64_t data_size = 0;
};

// Bytes per element of a supported dtype (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL); 0 otherwise.
int64_t SafetensorsItemBytes(std::string_view dtype);

// Parses and checks the header of a whole file's bytes. Every entry it returns lies inside the data
// section with a size that matches its shape (no overflow). Throws util::InputError naming `source` and
// the tensor on a truncated file, a malformed header, an unknown dtype, a shape too large, or offsets
// that disagree with the shape.
SafetensorsHeader ParseSafetensorsHeader(std::string_view bytes, const std::string& source);

}  // namespace trainers
