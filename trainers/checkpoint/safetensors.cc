// Hand-written safetensors reader/writer (see safetensors.h for the layout).
#include "trainers/checkpoint/safetensors.h"

#include <cstring>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "trainers/checkpoint/format/safetensors_header.h"

namespace trainers {
namespace {

// The dtype names of the format and the torch types they load as (sizes: SafetensorsItemBytes).
constexpr std::pair<const char*, at::ScalarType> kDtypes[] = {
    {"F32", at::kFloat}, {"F16", at::kHalf},  {"BF16", at::kBFloat16}, {"F64", at::kDouble}, {"I64", at::kLong},
    {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},       {"U8", at::kByte},    {"BOOL", at::kBool},
};

at::ScalarType TorchType(const std::string& name) {
  for (const auto& [n, type] : kDtypes) {
    if (name == n) return type;
  }
  throw std::logic_error("safetensors dtype " + name + " has no torch type");  // the header parser checked it
}

const char* DtypeName(at::ScalarType type) {
  for (const auto& [n, t] : kDtypes) {
    if (type == t) return n;
  }
  return nullptr;
}

}  // namespace

SafetensorsFile ParseSafetensors(const std::string& bytes, const std::string& source) {
  const SafetensorsHeader header = ParseSafetensorsHeader(bytes, source);
  const char* data = bytes.data() + header.data_start;
  SafetensorsFile out;
  out.metadata = header.metadata;
  for (const SafetensorsEntry& e : header.tensors) {
    auto tensor = at::empty(e.shape, at::TensorOptions().dtype(TorchType(e.dtype)));
    if (e.numel > 0) std::memcpy(tensor.data_ptr(), data + e.begin, e.end - e.begin);
    out.tensors.emplace(e.name, std::move(tensor));
  }
  return out;
}

SafetensorsFile ReadSafetensors(const std::string& path) {
  return ParseSafetensors(util::ReadFile(path), path);
}

std::string SerializeSafetensors(const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                                 const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> cpu;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    TORCH_CHECK(name != "__metadata__", "tensor name __metadata__ is reserved");
    const char* dtype = DtypeName(tensor.scalar_type());
    TORCH_CHECK(dtype != nullptr, "cannot store dtype ", tensor.scalar_type(), " of ", name, " in safetensors");
    cpu.push_back(tensor.detach().to(at::kCPU).contiguous());
    const uint64_t size = static_cast<uint64_t>(cpu.back().numel()) * SafetensorsItemBytes(dtype);
    header[name] = {{"dtype", dtype}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // align the data section to 8 bytes
  std::string out(8, '\0');
  uint64_t len = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  out += json;
  out.reserve(out.size() + offset);
  for (const auto& t : cpu) {
    if (t.numel() == 0) continue;
    out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  }
  return out;
}

void WriteSafetensors(const std::string& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  util::WriteFileAtomic(path, SerializeSafetensors(tensors, metadata));
}

}  // namespace trainers
