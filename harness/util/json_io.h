// Reading user-supplied JSON / JSONL with errors that name the file, line and field.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/error.h"

namespace util {

using Json = nlohmann::json;

// One parsed JSONL line and where it came from.
struct JsonLine {
  Json value;
  long line = 0;  // 1-based line number in the file
};

// Parses every non-blank line of a JSONL file. Throws InputError (file, line) on invalid UTF-8 or
// malformed JSON, and when the file holds no records at all.
std::vector<JsonLine> ReadJsonLines(const std::string& path);

// Parses a whole file as one JSON document (e.g. SVAMP's array). Same errors as above.
Json ReadJsonFile(const std::string& path);

// Parses JSON text that came from inside a field (e.g. LiveCodeBench's JSON-string test cases).
Json ParseEmbeddedJson(const std::string& text, const Location& where);

// Typed field access. `where` names file and line; the field name is filled in here.
const Json& RequireField(const Json& object, const std::string& field, const Location& where);
std::string RequireString(const Json& object, const std::string& field, const Location& where);
double RequireNumber(const Json& object, const std::string& field, const Location& where);
std::optional<std::string> OptionalString(const Json& object, const std::string& field,
                                          const Location& where);
// A string, or a number rendered without a trailing ".0" (ids and answers come both ways).
std::string RequireScalarAsString(const Json& object, const std::string& field,
                                  const Location& where);
std::string JsonTypeName(const Json& value);

// Parses a valid JSON document into what nlohmann's parser builds from it, faster; false (and `out`
// unspecified) for anything else (invalid UTF-8 included), which callers hand to nlohmann for its
// error message.
bool ParseJsonFast(std::string_view text, Json* out);

// Serialises one JSON object per line (AppendJson's text), on every core.
std::string ToJsonLines(const std::vector<Json>& rows);
// The same text written to `path` atomically, serialised and written about 1 MiB at a time (samples
// files run to many megabytes, which need never be in memory whole).
void WriteJsonLinesAtomic(const std::string& path, const std::vector<Json>& rows);

// Appends value.dump(-1, ' ', false, Json::error_handler_t::replace) to out, byte for byte, faster:
// strings that are valid UTF-8 are copied in runs between the characters JSON escapes, instead of
// through nlohmann's per-byte UTF-8 decoder (the rest, floats and invalid UTF-8, goes through
// nlohmann's own dump). Writing samples.jsonl is mostly completions' text.
void AppendJson(std::string& out, const Json& value);

}  // namespace util
