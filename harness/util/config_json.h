// Reading hand-written JSON config objects (experiment, trainer, data sources): unknown keys are
// rejected with "did you mean", optional keys are type-checked, and every error names the config
// file and the dotted key path ("tasks[0].steps").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/util/error.h"
#include "harness/util/json_io.h"

namespace util {

// Throws InputError at (source, key).
[[noreturn]] void ConfigError(const std::string& source, const std::string& key,
                              const std::string& message);

// Throws unless `j` is an object whose keys are all in `known`; `path` prefixes key names ("sft.").
void RejectUnknownKeys(const Json& j, const std::vector<std::string>& known,
                       const std::string& source, const std::string& path);

// Reads `key` into `out` when present (absent: `out` keeps its default), checking the JSON type
// against T: string, bool, integer or any number.
template <typename T>
void ReadOptional(const Json& j, const std::string& key, T* out, const std::string& source,
                  const std::string& path) {
  auto it = j.find(key);
  if (it == j.end()) return;
  const std::string where = path + key;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) ConfigError(source, where, "expected a string, got " + JsonTypeName(*it));
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean())
      ConfigError(source, where, "expected true/false, got " + JsonTypeName(*it));
  } else if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer())
      ConfigError(source, where, "expected an integer, got " + it->dump());
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!it->is_number()) ConfigError(source, where, "expected a number, got " + JsonTypeName(*it));
  }
  try {
    *out = it->get<T>();
  } catch (const Json::exception& e) {
    ConfigError(source, where, e.what());
  }
}

}  // namespace util
