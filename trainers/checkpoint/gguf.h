// GGUF files (llama.cpp's single-file model format), read by hand. Format facts from ggml's
// docs/gguf.md: "GGUF" magic, uint32 version (2 and 3 share this layout), uint64 tensor and
// key/value counts, the key/values (typed; arrays nest a type), the tensor infos (name, dims with the
// fastest-varying first, ggml type, offset into the data section), then the data section aligned to
// general.alignment (default 32). Quantisation block layouts are ggml's (ggml-common.h); each one
// dequantised here is cited where it is decoded.
//
// Torch-free: the file is memory-mapped, metadata becomes JSON (arrays of strings, e.g. the 49,152
// tokens of an embedded tokenizer, become JSON arrays), and tensors dequantise into caller memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trainers {

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // ggml order: dims[0] varies fastest (a [out, in] weight is {in, out})
  uint32_t type = 0;          // ggml type id
  uint64_t offset = 0;        // into the data section
  uint64_t bytes = 0;         // stored size
  int64_t elements() const;
};

class GgufFile {
 public:
  // Maps and parses the file. Throws util::InputError naming the file and the key or tensor on a bad
  // magic, an unsupported version, a truncated file, an unknown value type, or tensor data that does
  // not fit the file.
  static GgufFile Open(const std::string& path);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  const nlohmann::json& metadata() const { return metadata_; }  // key -> value
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* Find(const std::string& name) const;  // nullptr when absent

  // Writes tensor `info`'s elements as fp32 (ggml order) to out[0 .. elements). F32, F16, BF16, Q8_0,
  // Q4_0 and Q4_1 are supported; any other type is a util::InputError naming the tensor and the type.
  void Dequantize(const GgufTensorInfo& info, float* out) const;

  // Required metadata of one kind; util::InputError naming the key when absent or of another type.
  std::string String(const std::string& key) const;
  double Number(const std::string& key) const;
  double NumberOr(const std::string& key, double fallback) const;

 private:
  std::string path_;
  uint32_t version_ = 0;
  nlohmann::json metadata_ = nlohmann::json::object();
  std::vector<GgufTensorInfo> tensors_;
  std::shared_ptr<const uint8_t> map_;  // the whole file, unmapped when the last copy goes
  uint64_t size_ = 0;
  uint64_t data_start_ = 0;
};

// ggml's name of a type id ("Q4_K", ...), or "type N" when unknown.
std::string GgmlTypeName(uint32_t type);

}  // namespace trainers
