// Small string helpers shared by loaders, extraction and reports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace util {

std::string Trim(std::string_view s);
std::vector<std::string> Split(std::string_view s, char sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
// ASCII lower-casing (A-Z only; other bytes, UTF-8 included, unchanged). ToLowerInto writes s.size()
// bytes to `out` (a caller's reused buffer on hot paths).
std::string ToLower(std::string_view s);
void ToLowerInto(std::string_view s, char* out);
std::string ReplaceAll(std::string s, std::string_view from, std::string_view to);
// Collapses runs of whitespace to one space and trims.
std::string CollapseWhitespace(std::string_view s);

bool IsValidUtf8(std::string_view s);
// Byte offset of the first invalid UTF-8 sequence, or s.size() when valid.
size_t FirstInvalidUtf8(std::string_view s);

// Shortest round-tripping decimal form; integral values print without ".0" ("51", "-2.5").
std::string FormatNumber(double value);

// Levenshtein distance, for "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);
// Closest candidate within a small distance, or "" when none is close.
std::string ClosestMatch(std::string_view name, const std::vector<std::string>& candidates);
// The items with `separator` between them ("a, b, c").
std::string Join(const std::vector<std::string>& items, const std::string& separator = ", ");
// The tail of an "unknown <name>" message: " (did you mean 'x'?)" when a candidate is close, then
// "; <label>: a, b, c" listing every candidate.
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates, const std::string& label);

}  // namespace util
