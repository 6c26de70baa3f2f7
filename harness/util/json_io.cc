#include "harness/util/json_io.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/parallel.h"
#include "harness/util/text.h"

namespace util {

namespace {

// A JSON reader for valid documents only, into the same values nlohmann's parser builds; anything it
// does not accept (errors, deep nesting, very long numbers) it leaves to nlohmann, whose parser then
// gives the error its message. About 4x nlohmann's speed on predictions files (whose strings are
// most of the bytes): strings are copied in runs instead of a byte at a time through a token buffer.
// fuzz/json_fast_fuzz.cc checks ParseJsonFast against nlohmann on arbitrary bytes.
class FastJsonParser {
 public:
  explicit FastJsonParser(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool ParseDocument(Json* out) {
    SkipSpace();
    if (!ParseValue(out, 0)) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  static constexpr int kMaxDepth = 128;

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool ParseValue(Json* out, int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return ParseObject(out, depth + 1);
      case '[': return ParseArray(out, depth + 1);
      case '"': {
        std::string text;
        if (!ParseString(&text)) return false;
        *out = Json(std::move(text));
        return true;
      }
      case 't': *out = true; return Literal("true");
      case 'f': *out = false; return Literal("false");
      case 'n': *out = nullptr; return Literal("null");
      default: return ParseNumber(out);
    }
  }

  bool ParseObject(Json* out, int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;  // '{'
    *out = Json::object();
    auto& object = out->get_ref<Json::object_t&>();
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (p_ == end_ || *p_ != '"') return false;
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      SkipSpace();
      Json value;
      if (!ParseValue(&value, depth)) return false;
      object[std::move(key)] = std::move(value);  // a repeated key keeps its last value, as in nlohmann
      SkipSpace();
      if (p_ == end_) return false;
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != '}') return false;
      ++p_;
      return true;
    }
  }

  bool ParseArray(Json* out, int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;  // '['
    *out = Json::array();
    auto& array = out->get_ref<Json::array_t&>();
    SkipSpace();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      SkipSpace();
      array.emplace_back();
      if (!ParseValue(&array.back(), depth)) return false;
      SkipSpace();
      if (p_ == end_) return false;
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != ']') return false;
      ++p_;
      return true;
    }
  }

  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Four hex digits after "\u"; -1 when malformed.
  long Hex4() {
    if (end_ - p_ < 4) return -1;
    long value = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = HexDigit(p_[i]);
      if (d < 0) return -1;
      value = value * 16 + d;
    }
    p_ += 4;
    return value;
  }

  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // The text has been checked to be valid UTF-8 as a whole, so raw bytes are copied as they are.
  bool ParseString(std::string* out) {
    ++p_;  // '"'
    bool reserved = false;
    for (;;) {
      const char* run = p_;
      while (p_ < end_) {
        const unsigned char c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++p_;
      }
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_ || static_cast<unsigned char>(*p_) < 0x20) return false;
      if (*p_++ == '"') return true;
      if (p_ == end_) return false;  // after a backslash
      if (!reserved) {
        // The first escape: the text up to the next quote bounds what is left unless that quote is
        // itself escaped, so one reservation usually replaces a growth by doubling per run.
        reserved = true;
        if (const void* quote = std::memchr(p_, '"', static_cast<size_t>(end_ - p_))) {
          out->reserve(out->size() + static_cast<size_t>(static_cast<const char*>(quote) - p_));
        }
      }
      switch (*p_++) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          long cp = Hex4();
          if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;  // malformed, or a lone low surrogate
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate needs its low half next
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
            p_ += 2;
            const long low = Hex4();
            if (low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(out, static_cast<uint32_t>(cp));
          break;
        }
        default: return false;
      }
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // JSON's number grammar; integers as nlohmann stores them (int64 when negative, uint64 otherwise, a
  // double when out of range), the rest through strtod as nlohmann does.
  bool ParseNumber(Json* out) {
    const char* start = p_;
    bool integer = true;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ < end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    char token[64];
    const size_t length = static_cast<size_t>(p_ - start);
    if (length >= sizeof token) return false;
    std::memcpy(token, start, length);
    token[length] = '\0';
    char* end = nullptr;
    if (integer) {
      errno = 0;
      if (*start == '-') {
        const long long value = std::strtoll(token, &end, 10);
        if (errno == 0) {
          *out = static_cast<int64_t>(value);
          return true;
        }
      } else {
        const unsigned long long value = std::strtoull(token, &end, 10);
        if (errno == 0) {
          *out = static_cast<uint64_t>(value);
          return true;
        }
      }
    }
    const double value = std::strtod(token, &end);
    if (!std::isfinite(value)) return false;  // nlohmann's out_of_range.406
    *out = value;
    return true;
  }

  const char* p_;
  const char* end_;
};

Json ParseOrThrow(std::string_view text, const Location& where) {
  if (!IsValidUtf8(text)) {
    throw InputError(where, "invalid UTF-8 at byte " + std::to_string(FirstInvalidUtf8(text)));
  }
  Json fast;  // the text is valid UTF-8, as FastJsonParser needs
  if (FastJsonParser(text).ParseDocument(&fast)) return fast;
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

bool ParseJsonFast(std::string_view text, Json* out) {
  // FastJsonParser copies raw string bytes: invalid UTF-8 would make a value nlohmann cannot dump
  // (found by fuzz_json_fast), so it is declined here as nlohmann's parser rejects it.
  return IsValidUtf8(text) && FastJsonParser(text).ParseDocument(out);
}

std::vector<JsonLine> ReadJsonLines(const std::string& path) {
  // Read in blocks of about 1 MiB through one buffer whose memory is reused, the complete non-blank
  // lines of each block parsed on every core (parsing is most of the work): a buffer holding the whole
  // file would be fresh memory the kernel zeroes page by page (a fifth of the page faults of
  // `harness score`).
  constexpr size_t kBlock = size_t{1} << 20;
  std::vector<JsonLine> rows;
  std::string buffer;  // the bytes read and not yet parsed: whole lines, then a partial one
  std::vector<std::string_view> lines;
  std::vector<long> numbers;
  long line_no = 0;
  // Parses the lines of buffer[0, end) (end is the buffer's size, or just past a newline).
  const auto parse_lines = [&](size_t end) {
    lines.clear();
    numbers.clear();
    for (size_t start = 0;;) {
      size_t stop = buffer.find('\n', start);
      if (stop == std::string::npos || stop > end) stop = end;
      ++line_no;
      std::string_view line(buffer.data() + start, stop - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t\n\v\f\r") != std::string_view::npos) {  // Trim's isspace set
        lines.push_back(line);
        numbers.push_back(line_no);
      }
      if (stop == end) break;
      start = stop + 1;
    }
    const size_t first = rows.size();
    rows.resize(first + lines.size());
    ForEachSlice(lines.size(), 256, [&](size_t begin, size_t stop) {
      for (size_t i = begin; i < stop; ++i) {
        rows[first + i] = {ParseOrThrow(lines[i], Location{path, numbers[i], ""}), numbers[i]};
      }
    });
  };
  size_t last_newline = std::string::npos;  // in buffer; found in each chunk as it arrives, so that a
                                            // line of many blocks is not searched again per chunk
  ForEachFileChunk(path, [&](std::string_view chunk) {
    const size_t at = buffer.size();
    buffer.append(chunk);
    if (const void* found = ::memrchr(chunk.data(), '\n', chunk.size())) {
      last_newline = at + static_cast<size_t>(static_cast<const char*>(found) - chunk.data());
    }
    if (buffer.size() < kBlock || last_newline == std::string::npos) return;  // a line longer than a block: read on
    parse_lines(last_newline);
    buffer.erase(0, last_newline + 1);
    last_newline = std::string::npos;  // what is left holds no newline
  });
  if (!buffer.empty()) parse_lines(buffer.size());
  if (rows.empty()) throw InputError(Location{path, 0, ""}, "file holds no records");
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
    // Eight bytes at a time while none needs escaping (no control byte, '"' or '\\'): the exact
    // "has a byte less than n" / "has a zero byte" word tests of Anderson's Bit Twiddling Hacks.
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
    while (i + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      const uint64_t quote = word ^ (kOnes * '"'), backslash = word ^ (kOnes * '\\');
      const uint64_t hit = ((word - kOnes * 0x20) & ~word) | ((quote - kOnes) & ~quote) |
                           ((backslash - kOnes) & ~backslash);
      if (hit & kHigh) break;
      i += 8;
    }
    if (i >= s.size()) break;
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

namespace {

// About the length of AppendJson's text for `value`: strings as if nothing needed escaping, numbers
// at their longest. Used only to reserve memory.
size_t SerializedSizeEstimate(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return value.get_ref<const std::string&>().size() + 2;
    case Json::value_t::array: {
      size_t size = 2 + value.size();
      for (const auto& element : value) size += SerializedSizeEstimate(element);
      return size;
    }
    case Json::value_t::object: {
      size_t size = 2 + value.size();
      for (const auto& [key, element] : value.get_ref<const Json::object_t&>()) {
        size += key.size() + 3 + SerializedSizeEstimate(element);
      }
      return size;
    }
    case Json::value_t::number_float:
      return 24;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return 20;
    default:
      return 5;  // null, true, false
  }
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

namespace {

// Serialises `rows` one JSON object per line, about 1 MiB of rows at a time (by SerializedSizeEstimate),
// each block's lines on every core into buffers reused from block to block, and hands the text to
// `consume` in order: the output is never in memory whole (7.8 MB for 21k completions, in fresh pages the
// kernel zeroes one by one: a quarter of the page faults of `harness score`), and many small rows still
// make few blocks (each block wakes the threads once).
void ForEachJsonLinesPiece(const std::vector<Json>& rows, const std::function<void(std::string_view)>& consume) {
  constexpr size_t kBlockBytes = size_t{1} << 20;
  const size_t slices = 2 * std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::string> buffers(slices);
  for (size_t first = 0; first < rows.size();) {
    size_t count = 0;
    for (size_t bytes = 0; first + count < rows.size() && bytes < kBlockBytes; ++count) {
      bytes += SerializedSizeEstimate(rows[first + count]) + 1;
    }
    ForEachSlice(slices, 1, [&](size_t begin, size_t end) {
      for (size_t k = begin; k < end; ++k) {
        std::string& buffer = buffers[k];
        buffer.clear();
        for (size_t i = first + count * k / slices; i < first + count * (k + 1) / slices; ++i) {
          AppendJson(buffer, rows[i]);
          buffer += '\n';
        }
      }
    });
    for (const std::string& buffer : buffers) consume(buffer);
    first += count;
  }
}

}  // namespace

std::string ToJsonLines(const std::vector<Json>& rows) {
  std::string out;
  ForEachJsonLinesPiece(rows, [&](std::string_view piece) { out += piece; });
  return out;
}

void WriteJsonLinesAtomic(const std::string& path, const std::vector<Json>& rows) {
  AtomicFileWriter out(path);
  ForEachJsonLinesPiece(rows, [&](std::string_view piece) { out.Write(piece); });
  out.Commit();
}

}  // namespace util
