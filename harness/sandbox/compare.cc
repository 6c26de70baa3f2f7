// Output comparison with LiveCodeBench's semantics: the stdin line/Decimal comparison and Python's
// == on JSON values. Pure functions, no processes.
#include <cctype>
#include <climits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/sandbox/grader.h"

namespace sandbox {

namespace {

// Python str.strip() / str.split() whitespace, ASCII part (what program output uses in practice).
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         c == '\x1c' || c == '\x1d' || c == '\x1e' || c == '\x1f';
}

std::string_view Strip(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// get_stripped_lines: strip the whole text, split on "\n", strip each line.
std::vector<std::string_view> StrippedLines(std::string_view text) {
  text = Strip(text);
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    const size_t nl = text.find('\n', start);
    lines.push_back(Strip(text.substr(start, nl == std::string_view::npos ? nl : nl - start)));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::vector<std::string_view> SplitWhitespace(std::string_view line) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t j = i;
    while (j < line.size() && !IsSpace(line[j])) ++j;
    if (j > i) parts.push_back(line.substr(i, j - i));
    i = j;
  }
  return parts;
}

// A value of Python's decimal.Decimal, reduced so that equal numbers have equal representations.
struct Dec {
  enum Kind { kFinite, kInfinity, kNaN } kind = kFinite;
  bool negative = false;
  std::string digits;  // no leading or trailing zeros; empty for zero
  long long exponent = 0;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Decimal(str) grammar: [sign] (digits [. digits] | . digits) [e [sign] digits] | Inf | Infinity |
// NaN | sNaN (case-insensitive), with single underscores allowed between digits.
std::optional<Dec> ParseDecimal(std::string_view s) {
  Dec d;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
  const std::string_view rest = s.substr(i);
  if (EqualsIgnoreCase(rest, "inf") || EqualsIgnoreCase(rest, "infinity")) {
    d.kind = Dec::kInfinity;
    return d;
  }
  if (EqualsIgnoreCase(rest, "nan") || EqualsIgnoreCase(rest, "snan")) {
    d.kind = Dec::kNaN;
    return d;
  }
  // Digits with optional single underscores between them.
  auto digits = [&](std::string* out) {
    const size_t begin = i;
    bool last_digit = false;
    while (i < s.size()) {
      if (std::isdigit(static_cast<unsigned char>(s[i]))) {
        out->push_back(s[i]);
        last_digit = true;
      } else if (s[i] == '_' && last_digit && i + 1 < s.size() &&
                 std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
        last_digit = false;
      } else {
        break;
      }
      ++i;
    }
    return i > begin;
  };
  std::string int_part, frac_part;
  const bool has_int = digits(&int_part);
  bool has_frac = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    has_frac = digits(&frac_part);
  }
  if (!has_int && !has_frac) return std::nullopt;
  long long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    std::string exp_digits;
    if (!digits(&exp_digits)) return std::nullopt;
    for (char c : exp_digits) {
      if (exponent < LLONG_MAX / 20) exponent = exponent * 10 + (c - '0');
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != s.size()) return std::nullopt;
  std::string all = int_part + frac_part;
  exponent -= static_cast<long long>(frac_part.size());
  const size_t first = all.find_first_not_of('0');
  if (first == std::string::npos) return d;  // zero: sign and exponent do not matter for ==
  all.erase(0, first);
  const size_t last = all.find_last_not_of('0');
  exponent += static_cast<long long>(all.size() - last - 1);
  all.erase(last + 1);
  d.digits = all;
  d.exponent = exponent;
  return d;
}

bool DecimalEqual(const Dec& a, const Dec& b) {
  if (a.kind == Dec::kNaN || b.kind == Dec::kNaN) return false;
  if (a.kind != b.kind) return false;
  if (a.kind == Dec::kInfinity) return a.negative == b.negative;
  if (a.digits.empty() || b.digits.empty()) return a.digits.empty() && b.digits.empty();
  return a.negative == b.negative && a.digits == b.digits && a.exponent == b.exponent;
}

// convert_line_to_decimals; nullopt when any element is not a Decimal.
std::optional<std::vector<Dec>> LineDecimals(std::string_view line) {
  std::vector<Dec> out;
  for (std::string_view part : SplitWhitespace(line)) {
    std::optional<Dec> d = ParseDecimal(part);
    if (!d) return std::nullopt;
    out.push_back(*d);
  }
  return out;
}

bool IsNumberLike(const nlohmann::json& v) { return v.is_number() || v.is_boolean(); }

}  // namespace

bool StdioOutputMatches(const std::string& output, const std::string& expected) {
  const std::vector<std::string_view> got = StrippedLines(output);
  const std::vector<std::string_view> want = StrippedLines(expected);
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    const auto got_dec = LineDecimals(got[i]);
    if (!got_dec) return false;
    const auto want_dec = LineDecimals(want[i]);
    if (!want_dec) return false;
    if (got_dec->size() != want_dec->size()) return false;
    for (size_t j = 0; j < got_dec->size(); ++j) {
      if (!DecimalEqual((*got_dec)[j], (*want_dec)[j])) return false;
    }
  }
  return true;
}

bool PythonJsonEqual(const nlohmann::json& a, const nlohmann::json& b) {
  if (IsNumberLike(a) && IsNumberLike(b)) {
    if (a.is_number_float() || b.is_number_float()) {
      const double x = a.is_boolean() ? (a.get<bool>() ? 1.0 : 0.0) : a.get<double>();
      const double y = b.is_boolean() ? (b.get<bool>() ? 1.0 : 0.0) : b.get<double>();
      return x == y;
    }
    // Integers (bool as 0/1), compared exactly across signed and unsigned storage.
    auto as_pair = [](const nlohmann::json& v) -> std::pair<bool, unsigned long long> {
      if (v.is_boolean()) return {false, v.get<bool>() ? 1ULL : 0ULL};
      if (v.is_number_unsigned()) return {false, v.get<unsigned long long>()};
      const long long s = v.get<long long>();
      return {s < 0, s < 0 ? 0ULL - static_cast<unsigned long long>(s) : static_cast<unsigned long long>(s)};
    };
    const auto x = as_pair(a), y = as_pair(b);
    return x.second == y.second && (x.first == y.first || x.second == 0);
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!PythonJsonEqual(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      const auto other = b.find(it.key());
      if (other == b.end() || !PythonJsonEqual(it.value(), *other)) return false;
    }
    return true;
  }
  return a == b;  // strings, null
}

}  // namespace sandbox
