#include "harness/util/config_fields.h"

#include <sstream>

#include "harness/util/text.h"

namespace util {

Check<std::string> OneOf(std::vector<std::string> allowed) {
  return [allowed](const std::string& v) {
    for (const auto& a : allowed)
      if (a == v) return std::string();
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + (a.empty() ? "\"\"" : a);
    const std::string hint = ClosestMatch(v, allowed);
    return "must be one of " + list + (hint.empty() ? "" : " (did you mean '" + hint + "'?)");
  };
}

Check<std::string> NonEmpty() {
  return [](const std::string& v) { return v.empty() ? std::string("must not be empty") : std::string(); };
}

std::string FormatConfigTable(const Json& config_json, const std::string& title) {
  std::ostringstream out;
  out << "+----------------------+--------------------------------------------------+\n";
  out << "| " << title << std::string(title.size() < 71 ? 71 - title.size() : 0, ' ') << "|\n";
  out << "+----------------------+--------------------------------------------------+\n";
  for (const auto& [key, value] : config_json.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (text.size() > 48) text = text.substr(0, 45) + "...";
    out << "| " << key << std::string(key.size() < 21 ? 21 - key.size() : 0, ' ') << "| " << text
        << std::string(text.size() < 49 ? 49 - text.size() : 0, ' ') << "|\n";
  }
  out << "+----------------------+--------------------------------------------------+\n";
  return out.str();
}

}  // namespace util
