#include "tasks/extract/normalize.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "harness/util/text.h"

namespace tasks::extract {

namespace {

// Strict decimal: optional sign, digits with optional '.', nothing else.
bool IsPlainDecimal(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) digits = true;
    else if (s[i] == '.' && !dot) dot = true;
    else return false;
  }
  return digits;
}

// Removes commas only when they sit between digit groups of three ("1,450,000"), so that a list
// such as "3,4" is not read as 34.
bool StripThousandsSeparators(std::string& s) {
  if (s.find(',') == std::string::npos) return true;
  size_t start = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  size_t dot = s.find('.');
  std::string int_part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
  auto groups = util::Split(int_part, ',');
  if (groups[0].empty() || groups[0].size() > 3) return false;
  for (size_t g = 1; g < groups.size(); ++g) {
    if (groups[g].size() != 3) return false;
  }
  std::string joined;
  for (auto& g : groups) joined += g;
  s = s.substr(0, start) + joined + (dot == std::string::npos ? "" : s.substr(dot));
  return s.find(',') == std::string::npos;
}

std::string Canonical(double value) { return util::FormatNumber(value); }

}  // namespace

std::optional<double> ParseNumber(std::string_view text) {
  std::string s = util::Trim(text);
  if (!IsPlainDecimal(s)) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

std::optional<std::string> NormalizeNumber(std::string_view text) {
  std::string s = util::Trim(text);
  s = util::ReplaceAll(s, "**", "");
  s = util::ReplaceAll(s, "\\$", "");
  s = util::ReplaceAll(s, "$", "");
  s = util::ReplaceAll(s, "\\%", "%");
  s = util::Trim(s);
  while (!s.empty() && (s.back() == '.' || s.back() == '%')) s.pop_back();
  s = util::Trim(s);
  if (s.empty()) return std::nullopt;
  // Simple fraction a/b.
  auto slash = s.find('/');
  if (slash != std::string::npos) {
    auto num = ParseNumber(s.substr(0, slash));
    auto den = ParseNumber(s.substr(slash + 1));
    if (!num || !den || *den == 0) return std::nullopt;
    return Canonical(*num / *den);
  }
  if (!StripThousandsSeparators(s)) return std::nullopt;
  if (s[0] == '+') s.erase(0, 1);
  if (!s.empty() && s[0] == '.') s = "0" + s;
  if (s.size() > 1 && s[0] == '-' && s[1] == '.') s = "-0" + s.substr(1);
  auto value = ParseNumber(s);
  if (!value || !std::isfinite(*value)) return std::nullopt;
  return Canonical(*value);
}

}  // namespace tasks::extract
