// The safetensors file format, read and written by hand: an 8-byte little-endian header length N,
// N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {str: str}},
// then the raw little-endian tensor bytes (format facts from the safetensors specification).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace trainers {

struct SafetensorsFile {
  std::map<std::string, at::Tensor> tensors;        // CPU tensors in the stored dtype
  std::map<std::string, std::string> metadata;     // "__metadata__"
};

// Parses a whole file. F32, F16, BF16, F64, I64, I32, I16, I8, U8 and BOOL are supported.
// Throws util::InputError naming the file (and the tensor as the field) on a truncated file, a
// malformed header, an unknown dtype, or offsets that disagree with the shape.
SafetensorsFile ReadSafetensors(const std::string& path);
SafetensorsFile ParseSafetensors(const std::string& bytes, const std::string& source);

// Serialises tensors (any device; copied to CPU, made contiguous) in the given order.
std::string SerializeSafetensors(const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                                 const std::map<std::string, std::string>& metadata = {});
// SerializeSafetensors + util::WriteFileAtomic.
void WriteSafetensors(const std::string& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace trainers
