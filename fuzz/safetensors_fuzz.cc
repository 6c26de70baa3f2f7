// The safetensors header (checkpoints from elsewhere): bad input is an InputError; a header that parses
// describes only tensors that lie inside the data section with a size matching their shape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harness/util/error.h"
#include "trainers/checkpoint/format/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const trainers::SafetensorsHeader h = trainers::ParseSafetensorsHeader(bytes, "fuzz.safetensors");
    if (h.data_start + h.data_size != size) __builtin_trap();
    for (const auto& e : h.tensors) {
      uint64_t numel = 1;
      for (const int64_t d : e.shape) numel *= static_cast<uint64_t>(d);
      if (e.begin > e.end || e.end > h.data_size || numel != static_cast<uint64_t>(e.numel) ||
          e.end - e.begin != numel * static_cast<uint64_t>(e.item_bytes)) {
        __builtin_trap();
      }
    }
  } catch (const util::InputError&) {
  }
  return 0;
}
