#include "harness/util/config_json.h"

#include <algorithm>

#include "harness/util/files.h"
#include "harness/util/json_locate.h"
#include "harness/util/text.h"

namespace util {

void ConfigError(const std::string& source, const std::string& key, const std::string& message) {
  // When the source is a file on disk, name the line the key is on.
  long line = 0;
  if (!source.empty() && FileExists(source)) {
    try {
      line = LineOfJsonPath(ReadFile(source), key);
    } catch (const std::exception&) {
      line = 0;
    }
  }
  throw InputError(Location{source, line, key}, message);
}

void RejectUnknownKeys(const Json& j, const std::vector<std::string>& known,
                       const std::string& source, const std::string& path) {
  if (!j.is_object())
    ConfigError(source, path.empty() ? "(top level)" : path, "expected an object");
  for (const auto& [key, value] : j.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string hint = ClosestMatch(key, known);
    ConfigError(source, path + key,
                "unknown key" + (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"));
  }
}

}  // namespace util
