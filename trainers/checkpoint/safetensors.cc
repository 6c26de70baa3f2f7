// Hand-written safetensors reader/writer (see safetensors.h for the layout).
#include "trainers/checkpoint/safetensors.h"

#include <cstring>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "harness/util/error.h"
#include "harness/util/files.h"

namespace trainers {
namespace {

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
  int64_t bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", at::kFloat, 4},  {"F16", at::kHalf, 2},  {"BF16", at::kBFloat16, 2}, {"F64", at::kDouble, 8},
    {"I64", at::kLong, 8},   {"I32", at::kInt, 4},   {"I16", at::kShort, 2},     {"I8", at::kChar, 1},
    {"U8", at::kByte, 1},    {"BOOL", at::kBool, 1},
};

const DtypeInfo* FindDtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

const DtypeInfo* FindDtype(at::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (type == d.type) return &d;
  }
  return nullptr;
}

}  // namespace

SafetensorsFile ParseSafetensors(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& field, const std::string& message) {
    return util::InputError(util::Location{source, 0, field},
                            message + " (HINT: is this a safetensors file? re-save the checkpoint)");
  };
  if (bytes.size() < 8) throw fail("", "file is shorter than the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[i]);
  if (header_len > bytes.size() - 8) {
    throw fail("", "header length " + std::to_string(header_len) + " exceeds the file size " +
                       std::to_string(bytes.size()));
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(header_len));
  } catch (const nlohmann::json::exception& e) {
    throw fail("", std::string("malformed JSON header: ") + e.what());
  }
  if (!header.is_object()) throw fail("", "header is not a JSON object");
  const char* data = bytes.data() + 8 + header_len;
  const uint64_t data_size = bytes.size() - 8 - header_len;

  SafetensorsFile out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) throw fail(name, "__metadata__ must be an object of strings");
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        if (!m.value().is_string()) throw fail(name + "." + m.key(), "metadata values must be strings");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      throw fail(name, "tensor entry needs dtype, shape and data_offsets");
    }
    if (!entry["dtype"].is_string()) throw fail(name, "dtype must be a string");
    const DtypeInfo* dtype = FindDtype(entry["dtype"].get<std::string>());
    if (dtype == nullptr) throw fail(name, "unsupported dtype " + entry["dtype"].dump());
    std::vector<int64_t> shape;
    int64_t numel = 1;
    if (!entry["shape"].is_array()) throw fail(name, "shape must be an array");
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned()) throw fail(name, "shape entries must be non-negative integers");
      shape.push_back(d.get<int64_t>());
      numel *= shape.back();
    }
    const auto& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      throw fail(name, "data_offsets must be [begin, end]");
    }
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      throw fail(name, "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                           ") outside the data section of " + std::to_string(data_size) + " bytes");
    }
    if (end - begin != static_cast<uint64_t>(numel * dtype->bytes)) {
      throw fail(name, "data_offsets span " + std::to_string(end - begin) + " bytes but shape needs " +
                           std::to_string(numel * dtype->bytes));
    }
    auto tensor = at::empty(shape, at::TensorOptions().dtype(dtype->type));
    if (numel > 0) std::memcpy(tensor.data_ptr(), data + begin, end - begin);
    out.tensors.emplace(name, std::move(tensor));
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
    const DtypeInfo* dtype = FindDtype(tensor.scalar_type());
    TORCH_CHECK(dtype != nullptr, "cannot store dtype ", tensor.scalar_type(), " of ", name, " in safetensors");
    cpu.push_back(tensor.detach().to(at::kCPU).contiguous());
    const uint64_t size = static_cast<uint64_t>(cpu.back().numel()) * dtype->bytes;
    header[name] = {{"dtype", dtype->name}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + size}}};
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
