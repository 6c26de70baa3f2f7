// Where a key sits in JSON text, so config errors can name the line ("exp.json:12: field 'training.lr'").
// nlohmann::json keeps no positions; this scans the text once, tracking the dotted path of every value.
#pragma once

#include <string>
#include <string_view>

namespace util {

// The 1-based line of the value at `path` ("training.lr", "tasks[0].template", "seeds[1]"; a key's line
// for objects), or of the closest enclosing value that exists (a misspelt key: the key itself; a
// missing key: its object). 0 when the text is not JSON or the path is empty.
long LineOfJsonPath(std::string_view text, const std::string& path);

}  // namespace util
