#include "harness/util/json_io.h"

#include <algorithm>
#include <cmath>
#include <mutex>
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

namespace {

void AppendJsonString(std::string& out, const std::string& s) {
  if (FirstInvalidUtf8(s) != s.size()) {
    out += Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);  // U+FFFD where invalid
    return;
  }
  static const char* kHex = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s, run, std::string::npos);
  out += '"';
}

}  // namespace

void AppendJson(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: out += "null"; return;
    case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
    case Json::value_t::number_integer: out += std::to_string(value.get<int64_t>()); return;
    case Json::value_t::number_unsigned: out += std::to_string(value.get<uint64_t>()); return;
    case Json::value_t::string: AppendJsonString(out, value.get_ref<const std::string&>()); return;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value) {
        if (!first) out += ',';
        first = false;
        AppendJson(out, element);
      }
      out += ']';
      return;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, element] : value.items()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, key);
        out += ':';
        AppendJson(out, element);
      }
      out += '}';
      return;
    }
    default:  // floats (nlohmann's shortest round-trip form), binary, discarded
      out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

std::string ToJsonLines(const std::vector<Json>& rows) {
  // Each thread writes its contiguous slice of lines into one buffer; the buffers are joined in order.
  std::mutex mutex;
  std::vector<std::pair<size_t, std::string>> done;
  ForEachSlice(rows.size(), 256, [&](size_t begin, size_t end) {
    std::string chunk;
    for (size_t i = begin; i < end; ++i) {
      AppendJson(chunk, rows[i]);
      chunk += '\n';
    }
    std::lock_guard<std::mutex> lock(mutex);
    done.emplace_back(begin, std::move(chunk));
  });
  std::sort(done.begin(), done.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (done.size() == 1) return std::move(done.front().second);
  size_t size = 0;
  for (const auto& [begin, chunk] : done) size += chunk.size();
  std::string out;
  out.reserve(size);
  for (const auto& [begin, chunk] : done) out += chunk;
  return out;
}

}  // namespace util
