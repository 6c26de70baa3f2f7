// Safetensors header parsing and checks (see safetensors_header.h).
#include "trainers/checkpoint/format/safetensors_header.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "harness/util/error.h"

namespace trainers {
namespace {

struct Dtype {
  const char* name;
  int64_t bytes;
};
constexpr Dtype kDtypes[] = {{"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I64", 8},
                             {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U8", 1},  {"BOOL", 1}};

}  // namespace

int64_t SafetensorsItemBytes(std::string_view dtype) {
  for (const auto& d : kDtypes) {
    if (dtype == d.name) return d.bytes;
  }
  return 0;
}

SafetensorsHeader ParseSafetensorsHeader(std::string_view bytes, const std::string& source) {
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
    header = nlohmann::json::parse(bytes.substr(8, header_len));
  } catch (const nlohmann::json::exception& e) {
    throw fail("", std::string("malformed JSON header: ") + e.what());
  }
  if (!header.is_object()) throw fail("", "header is not a JSON object");

  SafetensorsHeader out;
  out.data_start = 8 + header_len;
  out.data_size = bytes.size() - out.data_start;
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
    SafetensorsEntry e;
    e.name = name;
    if (!entry["dtype"].is_string()) throw fail(name, "dtype must be a string");
    e.dtype = entry["dtype"].get<std::string>();
    e.item_bytes = SafetensorsItemBytes(e.dtype);
    if (e.item_bytes == 0) throw fail(name, "unsupported dtype " + entry["dtype"].dump());
    if (!entry["shape"].is_array()) throw fail(name, "shape must be an array");
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned()) throw fail(name, "shape entries must be non-negative integers");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) throw fail(name, "shape entry too large");
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    // A tensor must fit in the data section, which bounds the product of its dimensions: each partial
    // product is checked against data_size / item_bytes before it is formed, so nothing overflows.
    uint64_t numel = 1;
    const bool empty = std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end();
    const uint64_t max_numel = out.data_size / static_cast<uint64_t>(e.item_bytes);
    for (const int64_t dim : e.shape) {
      if (empty) break;
      if (static_cast<uint64_t>(dim) > max_numel / numel) {
        throw fail(name, "shape " + entry["shape"].dump() + " needs more bytes than the data section's " +
                             std::to_string(out.data_size));
      }
      numel *= static_cast<uint64_t>(dim);
    }
    if (empty) numel = 0;
    e.numel = static_cast<int64_t>(numel);
    const auto& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      throw fail(name, "data_offsets must be [begin, end]");
    }
    e.begin = offsets[0].get<uint64_t>();
    e.end = offsets[1].get<uint64_t>();
    if (e.begin > e.end || e.end > out.data_size) {
      throw fail(name, "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                           ") outside the data section of " + std::to_string(out.data_size) + " bytes");
    }
    if (e.end - e.begin != numel * static_cast<uint64_t>(e.item_bytes)) {
      throw fail(name, "data_offsets span " + std::to_string(e.end - e.begin) + " bytes but shape needs " +
                           std::to_string(numel * static_cast<uint64_t>(e.item_bytes)));
    }
    out.tensors.push_back(std::move(e));
  }
  return out;
}

}  // namespace trainers
