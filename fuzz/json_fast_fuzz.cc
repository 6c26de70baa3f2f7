// Differential: util::ParseJsonFast (the reader every data file tries first) against nlohmann's
// parser on the same bytes. The fast reader may decline a valid document (nlohmann then parses it),
// but whatever it accepts nlohmann must accept too, with the same values of the same types.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "harness/util/json_io.h"

namespace {

// Equal values and equal types (nlohmann's operator== calls 1 and 1.0 equal; a reader must not).
bool SameTyped(const util::Json& a, const util::Json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameTyped(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(), jt = b.begin(); it != a.end(); ++it, ++jt) {
      if (it.key() != jt.key() || !SameTyped(it.value(), jt.value())) return false;
    }
    return true;
  }
  if (a.is_number_float()) {  // bitwise: the same double from the same text
    const double x = a.get<double>(), y = b.get<double>();
    return x == y || (x != x && y != y);
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  util::Json fast;
  if (!util::ParseJsonFast(text, &fast)) return 0;
  const util::Json reference = util::Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (reference.is_discarded() || !SameTyped(fast, reference)) std::abort();
  return 0;
}
