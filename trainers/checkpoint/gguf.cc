#include "trainers/checkpoint/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "harness/util/error.h"

namespace trainers {
namespace {

[[noreturn]] void Fail(const std::string& path, const std::string& field, const std::string& message) {
  throw util::InputError(util::Location{path, 0, field}, message);
}

// ggml type ids and their block geometry (ggml.h, ggml-common.h).
enum GgmlType : uint32_t { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ8_0 = 8, kBF16 = 30 };
constexpr int kQK = 32;  // values per block of Q4_0, Q4_1 and Q8_0

struct Geometry {
  int block = 0;           // values per block (0: type unknown to us)
  uint64_t block_bytes = 0;
};

Geometry GeometryOf(uint32_t type) {
  switch (type) {
    case kF32: return {1, 4};
    case kF16: return {1, 2};
    case kBF16: return {1, 2};
    case kQ4_0: return {kQK, 2 + kQK / 2};      // fp16 d, 16 bytes of nibbles
    case kQ4_1: return {kQK, 2 + 2 + kQK / 2};  // fp16 d, fp16 m, 16 bytes of nibbles
    case kQ8_0: return {kQK, 2 + kQK};          // fp16 d, 32 int8
    default: return {};
  }
}

float HalfToFloat(uint16_t h) {  // IEEE 754 binary16
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF, bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    exponent = 113;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3FF) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Little-endian reader over the mapped bytes with bounds checks.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t size, const std::string& path) : data_(data), size_(size), path_(path) {}
  uint64_t pos() const { return pos_; }
  const uint8_t* Take(uint64_t n, const std::string& field) {
    if (n > size_ - pos_) Fail(path_, field, "file ends early (truncated GGUF)");
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  template <typename T>
  T Get(const std::string& field) {
    T v;
    std::memcpy(&v, Take(sizeof(T), field), sizeof(T));
    return v;
  }
  std::string String(const std::string& field) {
    const uint64_t n = Get<uint64_t>(field);
    const uint8_t* p = Take(n, field);
    return std::string(reinterpret_cast<const char*>(p), n);
  }

 private:
  const uint8_t* data_;
  uint64_t size_, pos_ = 0;
  const std::string& path_;
};

// GGUF metadata value types (gguf.md).
nlohmann::json ReadValue(Reader& r, uint32_t type, const std::string& key, const std::string& path) {
  switch (type) {
    case 0: return r.Get<uint8_t>(key);
    case 1: return r.Get<int8_t>(key);
    case 2: return r.Get<uint16_t>(key);
    case 3: return r.Get<int16_t>(key);
    case 4: return r.Get<uint32_t>(key);
    case 5: return r.Get<int32_t>(key);
    case 6: return r.Get<float>(key);
    case 7: return r.Get<uint8_t>(key) != 0;
    case 8: return r.String(key);
    case 9: {
      const uint32_t element = r.Get<uint32_t>(key);
      const uint64_t n = r.Get<uint64_t>(key);
      if (element == 9) Fail(path, key, "nested arrays are not supported");
      nlohmann::json array = nlohmann::json::array();
      for (uint64_t i = 0; i < n; ++i) array.push_back(ReadValue(r, element, key, path));
      return array;
    }
    case 10: return r.Get<uint64_t>(key);
    case 11: return r.Get<int64_t>(key);
    case 12: return r.Get<double>(key);
    default: Fail(path, key, "unknown metadata value type " + std::to_string(type));
  }
}

}  // namespace

int64_t GgufTensorInfo::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string GgmlTypeName(uint32_t type) {
  static const char* const kNames[] = {"F32",  "F16",     "Q4_0",    "Q4_1",   "Q4_2 (removed)", "Q4_3 (removed)",
                                       "Q5_0", "Q5_1",    "Q8_0",    "Q8_1",   "Q2_K",           "Q3_K",
                                       "Q4_K", "Q5_K",    "Q6_K",    "Q8_K",   "IQ2_XXS",        "IQ2_XS",
                                       "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S",  "IQ2_S",          "IQ4_XS",
                                       "I8",   "I16",     "I32",     "I64",    "F64",            "IQ1_M",
                                       "BF16"};
  if (type < sizeof(kNames) / sizeof(kNames[0])) return kNames[type];
  return "type " + std::to_string(type);
}

GgufFile GgufFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(path, "", std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    Fail(path, "", "not a regular file");
  }
  GgufFile f;
  f.path_ = path;
  f.size_ = static_cast<uint64_t>(st.st_size);
  if (f.size_ < 24) {
    ::close(fd);
    Fail(path, "", "too short for a GGUF header");
  }
  void* map = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) Fail(path, "", std::string("cannot map: ") + std::strerror(errno));
  const uint64_t size = f.size_;
  f.map_ = std::shared_ptr<const uint8_t>(static_cast<const uint8_t*>(map),
                                          [size](const uint8_t* p) { ::munmap(const_cast<uint8_t*>(p), size); });

  Reader r(f.map_.get(), f.size_, f.path_);
  if (std::memcmp(r.Take(4, "magic"), "GGUF", 4) != 0) Fail(path, "magic", "not a GGUF file (magic is not \"GGUF\")");
  f.version_ = r.Get<uint32_t>("version");
  if (f.version_ != 2 && f.version_ != 3) {
    Fail(path, "version", "GGUF version " + std::to_string(f.version_) + " is not supported (2 and 3 are)");
  }
  const uint64_t tensor_count = r.Get<uint64_t>("tensor_count");
  const uint64_t kv_count = r.Get<uint64_t>("kv_count");
  for (uint64_t i = 0; i < kv_count; ++i) {
    const std::string key = r.String("metadata key " + std::to_string(i));
    const uint32_t type = r.Get<uint32_t>(key);
    f.metadata_[key] = ReadValue(r, type, key, path);
  }
  uint64_t alignment = 32;
  if (f.metadata_.contains("general.alignment")) {
    const auto& a = f.metadata_["general.alignment"];
    if (!a.is_number_unsigned() || a.get<uint64_t>() == 0 || (a.get<uint64_t>() & (a.get<uint64_t>() - 1)) != 0) {
      Fail(path, "general.alignment", "must be a power of two");
    }
    alignment = a.get<uint64_t>();
  }
  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo t;
    t.name = r.String("tensor " + std::to_string(i) + " name");
    const uint32_t n_dims = r.Get<uint32_t>(t.name);
    if (n_dims == 0 || n_dims > 4) Fail(path, t.name, "has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t dim = r.Get<uint64_t>(t.name);
      if (dim == 0 || dim > (1ull << 40)) Fail(path, t.name, "dimension " + std::to_string(dim) + " out of range");
      if (elements > (1ull << 40) / dim) Fail(path, t.name, "more than 2^40 elements");
      elements *= dim;
      t.dims.push_back(static_cast<int64_t>(dim));
    }
    t.type = r.Get<uint32_t>(t.name);
    t.offset = r.Get<uint64_t>(t.name);
    const Geometry g = GeometryOf(t.type);
    if (g.block > 0) {
      if (t.dims[0] % g.block != 0) {
        Fail(path, t.name, "first dimension " + std::to_string(t.dims[0]) + " is not a multiple of the " +
                               GgmlTypeName(t.type) + " block of " + std::to_string(g.block));
      }
      t.bytes = static_cast<uint64_t>(t.elements() / g.block) * g.block_bytes;
    }
    f.tensors_.push_back(std::move(t));
  }
  f.data_start_ = (r.pos() + alignment - 1) / alignment * alignment;
  for (const GgufTensorInfo& t : f.tensors_) {
    if (t.offset > f.size_ || f.data_start_ > f.size_ - t.offset || t.bytes > f.size_ - f.data_start_ - t.offset) {
      Fail(path, t.name, "tensor data runs past the end of the file (truncated GGUF)");
    }
  }
  return f;
}

const GgufTensorInfo* GgufFile::Find(const std::string& name) const {
  for (const GgufTensorInfo& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void GgufFile::Dequantize(const GgufTensorInfo& info, float* out) const {
  const Geometry g = GeometryOf(info.type);
  if (g.block == 0) {
    Fail(path_, info.name, "tensor type " + GgmlTypeName(info.type) +
                               " is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)");
  }
  const uint8_t* p = map_.get() + data_start_ + info.offset;
  const int64_t n = info.elements();
  switch (info.type) {
    case kF32:
      std::memcpy(out, p, static_cast<size_t>(n) * 4);
      return;
    case kF16:
      for (int64_t i = 0; i < n; ++i) out[i] = HalfToFloat(Load16(p + 2 * i));
      return;
    case kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint32_t bits = static_cast<uint32_t>(Load16(p + 2 * i)) << 16;
        std::memcpy(out + i, &bits, 4);
      }
      return;
  }
  for (int64_t block = 0; block < n / kQK; ++block, p += g.block_bytes, out += kQK) {
    const float d = HalfToFloat(Load16(p));
    switch (info.type) {
      case kQ8_0:  // block_q8_0 {half d; int8 qs[32]}: x = qs * d
        for (int j = 0; j < kQK; ++j) out[j] = static_cast<float>(static_cast<int8_t>(p[2 + j])) * d;
        break;
      case kQ4_0:  // block_q4_0 {half d; uint8 qs[16]}: x[j] = (lo - 8) d, x[j + 16] = (hi - 8) d
        for (int j = 0; j < kQK / 2; ++j) {
          out[j] = static_cast<float>((p[2 + j] & 0x0F) - 8) * d;
          out[j + kQK / 2] = static_cast<float>((p[2 + j] >> 4) - 8) * d;
        }
        break;
      case kQ4_1: {  // block_q4_1 {half d; half m; uint8 qs[16]}: x[j] = lo d + m, x[j + 16] = hi d + m
        const float m = HalfToFloat(Load16(p + 2));
        for (int j = 0; j < kQK / 2; ++j) {
          out[j] = static_cast<float>(p[4 + j] & 0x0F) * d + m;
          out[j + kQK / 2] = static_cast<float>(p[4 + j] >> 4) * d + m;
        }
        break;
      }
    }
  }
}

std::string GgufFile::String(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end() || !it->is_string()) Fail(path_, key, "missing or not a string");
  return it->get<std::string>();
}

double GgufFile::Number(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end() || !it->is_number()) Fail(path_, key, "missing or not a number");
  return it->get<double>();
}

double GgufFile::NumberOr(const std::string& key, double fallback) const {
  return metadata_.contains(key) ? Number(key) : fallback;
}

}  // namespace trainers
