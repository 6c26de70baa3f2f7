#include "harness/util/error.h"

namespace util {

std::string FormatLocation(const Location& where) {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) out += ":" + std::to_string(where.line);
    out += ": ";
  }
  if (!where.field.empty()) out += "field '" + where.field + "': ";
  return out;
}

InputError::InputError(Location where, const std::string& what)
    : std::runtime_error(FormatLocation(where) + what), where_(std::move(where)), detail_(what) {}

}  // namespace util
