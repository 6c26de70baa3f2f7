#include "harness/util/json_io.h"

#include <cmath>
#include <sstream>

#include "harness/util/files.h"
#include "harness/util/parallel.h"
#include "harness/util/text.h"

namespace util {

namespace {

Json ParseOrThrow(std::string_view text, const Location& where) {
  if (!IsValidUtf8(text)) {
    throw InputError(where, "invalid UTF-8 at byte " + std::to_string(FirstInvalidUtf8(text)));
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    // Syntax errors, and numbers too large for a double (out_of_range.406, found by fuzz_predictions).
    // nlohmann's message starts with "[json.exception.parse_error.101] "; keep only the useful part.
    std::string msg = e.what();
    auto pos = msg.find("] ");
    if (pos != std::string::npos) msg = msg.substr(pos + 2);
    throw InputError(where, "malformed JSON: " + msg);
  }
}

}  // namespace

std::vector<JsonLine> ReadJsonLines(const std::string& path) {
  const std::string contents = ReadFile(path);
  // Find the non-blank lines first, then parse them on every core (parsing is most of the work).
  std::vector<std::string_view> lines;
  std::vector<long> numbers;
  long line_no = 0;
  size_t start = 0;
  while (start <= contents.size()) {
    size_t end = contents.find('\n', start);
    if (end == std::string::npos) end = contents.size();
    ++line_no;
    std::string_view line(contents.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t\n\v\f\r") != std::string_view::npos) {  // Trim's isspace set
      lines.push_back(line);
      numbers.push_back(line_no);
    }
    if (end == contents.size()) break;
    start = end + 1;
  }
  if (lines.empty()) throw InputError(Location{path, 0, ""}, "file holds no records");
  std::vector<JsonLine> rows(lines.size());
  ForEachSlice(lines.size(), 256, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) rows[i] = {ParseOrThrow(lines[i], Location{path, numbers[i], ""}), numbers[i]};
  });
  return rows;
}

Json ReadJsonFile(const std::string& path) {
  const std::string contents = ReadFile(path);
  if (Trim(contents).empty()) throw InputError(Location{path, 0, ""}, "file is empty");
  return ParseOrThrow(contents, Location{path, 0, ""});
}

Json ParseEmbeddedJson(const std::string& text, const Location& where) {
  return ParseOrThrow(text, where);
}

std::string JsonTypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number";
    default: return "unknown";
  }
}

const Json& RequireField(const Json& object, const std::string& field, const Location& where) {
  Location at = where;
  at.field = field;
  if (!object.is_object()) throw InputError(at, "expected a JSON object, got " + JsonTypeName(object));
  auto it = object.find(field);
  if (it == object.end()) throw InputError(at, "missing required field");
  return *it;
}

std::string RequireString(const Json& object, const std::string& field, const Location& where) {
  const Json& value = RequireField(object, field, where);
  if (!value.is_string()) {
    Location at = where;
    at.field = field;
    throw InputError(at, "expected a string, got " + JsonTypeName(value));
  }
  return value.get<std::string>();
}

double RequireNumber(const Json& object, const std::string& field, const Location& where) {
  const Json& value = RequireField(object, field, where);
  if (!value.is_number()) {
    Location at = where;
    at.field = field;
    throw InputError(at, "expected a number, got " + JsonTypeName(value));
  }
  return value.get<double>();
}

std::optional<std::string> OptionalString(const Json& object, const std::string& field,
                                          const Location& where) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    Location at = where;
    at.field = field;
    throw InputError(at, "expected a string, got " + JsonTypeName(*it));
  }
  return it->get<std::string>();
}

std::string RequireScalarAsString(const Json& object, const std::string& field,
                                  const Location& where) {
  const Json& value = RequireField(object, field, where);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) return FormatNumber(value.get<double>());
  Location at = where;
  at.field = field;
  throw InputError(at, "expected a string or number, got " + JsonTypeName(value));
}

std::string ToJsonLines(const std::vector<Json>& rows) {
  std::vector<std::string> lines(rows.size());
  ForEachSlice(rows.size(), 256, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) lines[i] = rows[i].dump(-1, ' ', false, Json::error_handler_t::replace);
  });
  size_t size = 0;
  for (const auto& line : lines) size += line.size() + 1;
  std::string out;
  out.reserve(size);
  for (const auto& line : lines) {
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace util
