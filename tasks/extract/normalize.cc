// Canonical forms of numbers, integers, option-letter sets and cloze LaTeX answers.
#include "tasks/extract/normalize.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <re2/re2.h>

#include "harness/util/text.h"
#include "tasks/extract/pipeline.h"

namespace tasks::extract {

namespace {

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Strict decimal: optional sign, digits with optional '.', nothing else.
bool IsPlainDecimal(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (IsDigit(s[i])) digits = true;
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

// Plain decimal (after the cleaning NormalizeNumber does) to a double.
std::optional<double> PlainValue(std::string s) {
  s = util::Trim(s);
  if (s.empty()) return std::nullopt;
  if (!StripThousandsSeparators(s)) return std::nullopt;
  if (s[0] == '+') s.erase(0, 1);
  if (!s.empty() && s[0] == '.') s = "0" + s;
  if (s.size() > 1 && s[0] == '-' && s[1] == '.') s = "-0" + s.substr(1);
  auto value = ParseNumber(s);
  if (!value || !std::isfinite(*value)) return std::nullopt;
  return value;
}

// Reads one LaTeX argument at `pos`: "{...}" (no nesting) or a single character ("\frac12").
bool ReadArgument(const std::string& s, size_t& pos, std::string& out) {
  if (pos >= s.size()) return false;
  if (s[pos] == '{') {
    size_t close = s.find('}', pos + 1);
    if (close == std::string::npos) return false;
    out = s.substr(pos + 1, close - pos - 1);
    if (out.find('{') != std::string::npos) return false;
    pos = close + 1;
    return true;
  }
  out = s.substr(pos, 1);
  ++pos;
  return IsDigit(out[0]);
}

// "\frac{a}{b}" (whole string, optional sign) to a/b.
std::optional<double> FracValue(const std::string& s) {
  size_t pos = 0;
  bool negative = false;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
  if (s.compare(pos, 5, "\\frac") != 0) return std::nullopt;
  pos += 5;
  while (pos < s.size() && s[pos] == ' ') ++pos;
  std::string num, den;
  if (!ReadArgument(s, pos, num)) return std::nullopt;
  while (pos < s.size() && s[pos] == ' ') ++pos;
  if (!ReadArgument(s, pos, den)) return std::nullopt;
  if (pos != s.size()) return std::nullopt;
  auto a = PlainValue(num), b = PlainValue(den);
  if (!a || !b || *b == 0) return std::nullopt;
  return (negative ? -*a : *a) / *b;
}

// Drops a trailing "\text{...}"-style unit, or unwraps the whole string when it is one such group.
std::string StripTextUnit(std::string s) {
  static const RE2& unit = internal::Compile(R"(^(.*?)\s*\\(?:text|mbox|mathrm|textbf)\s*\{[^{}]*\}\s*$)");
  static const RE2& wrapped = internal::Compile(R"(^\\(?:text|mbox|mathrm|textbf)\s*\{([^{}]*)\}$)");
  std::string inner;
  if (RE2::FullMatch(s, wrapped, &inner)) return inner;
  if (RE2::FullMatch(s, unit, &inner) && !util::Trim(inner).empty()) return inner;
  return s;
}

// The markup NormalizeNumber removes around a number: `$`, `**`, LaTeX spacing and degree signs,
// U+2212, `\dfrac`/`\tfrac`, a trailing `\text{unit}`.
std::string StripMarkup(std::string s) {
  s = util::ReplaceAll(s, "**", "");
  s = util::ReplaceAll(s, "\xE2\x88\x92", "-");  // U+2212 minus sign
  s = util::ReplaceAll(s, "\\$", "");
  s = util::ReplaceAll(s, "$", "");
  s = util::ReplaceAll(s, "{,}", ",");
  s = util::ReplaceAll(s, "\\!", "");
  s = util::ReplaceAll(s, "\\,", "");
  s = util::ReplaceAll(s, "\\%", "%");
  s = util::ReplaceAll(s, "^{\\circ}", "");
  s = util::ReplaceAll(s, "^\\circ", "");
  s = util::ReplaceAll(s, "\\dfrac", "\\frac");
  s = util::ReplaceAll(s, "\\tfrac", "\\frac");
  return util::Trim(StripTextUnit(util::Trim(s)));
}

}  // namespace

std::optional<double> ParseNumber(std::string_view text) {
  std::string s = util::Trim(text);
  if (!IsPlainDecimal(s)) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

std::optional<std::string> NormalizeNumber(std::string_view text) {
  if (text.size() > 256) return std::nullopt;  // no number is this long; keeps the work bounded
  std::string s = util::Trim(text);
  // A plain number ("18", "-2.5", "1,450,000.") has no markup to clean (most answers: the cleaning
  // was a sixth of `harness score`).
  if (s.find_first_not_of("0123456789.,+-") != std::string::npos) s = StripMarkup(std::move(s));
  while (!s.empty() && (s.back() == '.' || s.back() == '%')) s.pop_back();
  s = util::Trim(s);
  if (s.size() >= 2 && s.front() == '{' && s.back() == '}') s = util::Trim(s.substr(1, s.size() - 2));
  if (s.empty()) return std::nullopt;
  if (s.find("\\frac") != std::string::npos) {
    auto value = FracValue(s);
    if (!value) return std::nullopt;
    return Canonical(*value);
  }
  // Simple fraction a/b.
  auto slash = s.find('/');
  if (slash != std::string::npos) {
    auto num = PlainValue(s.substr(0, slash));
    auto den = PlainValue(s.substr(slash + 1));
    if (!num || !den || *den == 0) return std::nullopt;
    return Canonical(*num / *den);
  }
  auto value = PlainValue(s);
  if (!value) return std::nullopt;
  return Canonical(*value);
}

std::optional<std::string> NormalizeInteger(std::string_view text) {
  auto canonical = NormalizeNumber(text);
  if (!canonical) return std::nullopt;
  auto value = ParseNumber(*canonical);
  if (!value || *value != std::floor(*value) || *value < 0 || *value > 999) return std::nullopt;
  return Canonical(*value);
}

std::string NormalizeLatex(std::string_view text) {
  if (text.size() > 4096) text = text.substr(0, 4096);
  std::string s(text);
  for (const char* drop : {"\n", "\r", "\t", "\\!", "\\,", "\\;", "\\:", "\\ ", "\\displaystyle",
                           "\\left", "\\right", "^{\\circ}", "^\\circ", "\\$", "$", "\\(", "\\)",
                           "\\[", "\\]", "\\%", "%"}) {
    s = util::ReplaceAll(s, drop, std::string_view(drop) == "\n" ? " " : "");
  }
  s = util::ReplaceAll(s, "\xE2\x88\x92", "-");
  s = util::ReplaceAll(s, "\\dfrac", "\\frac");
  s = util::ReplaceAll(s, "\\tfrac", "\\frac");
  s = util::ReplaceAll(s, "{,}", ",");
  s = StripTextUnit(util::Trim(s));
  static const RE2& text_group = internal::Compile(R"(\\(?:text|textbf|mathrm|mathbf|mbox)\s*\{([^{}]*)\})");
  RE2::GlobalReplace(&s, text_group, R"(\1)");
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  while (!s.empty() && s.back() == '.') s.pop_back();
  // "x=5" -> "5" (one single-letter variable on the left).
  static const RE2& variable = internal::Compile(R"(^[A-Za-z]=([^=]+)$)");
  std::string rhs;
  if (RE2::FullMatch(s, variable, &rhs)) s = rhs;
  static const RE2& sqrt_bare = internal::Compile(R"(\\sqrt([0-9A-Za-z]))");
  RE2::GlobalReplace(&s, sqrt_bare, R"(\\sqrt{\1})");
  // \frac12 -> \frac{1}{2}, \frac1{2} -> \frac{1}{2}.
  std::string fixed;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 5, "\\frac") == 0) {
      fixed += "\\frac";
      i += 5;
      for (int arg = 0; arg < 2 && i < s.size(); ++arg) {
        if (s[i] == '{') break;  // already braced from here on
        fixed += std::string("{") + s[i] + "}";
        ++i;
      }
      continue;
    }
    fixed += s[i++];
  }
  s = fixed;
  static const RE2& slash = internal::Compile(R"((-?[0-9]+)/([0-9]+))");
  std::string a, b;
  if (RE2::FullMatch(s, slash, &a, &b)) s = "\\frac{" + a + "}{" + b + "}";
  static const RE2& trailing_zeros = internal::Compile(R"(^(-?[0-9]+)\.0*$)");
  if (RE2::FullMatch(s, trailing_zeros, &a)) s = a;
  if (!s.empty() && s[0] == '.') s = "0" + s;
  if (s.size() >= 2 && s.front() == '{' && s.back() == '}' &&
      s.find_first_of("{}", 1) == s.size() - 1) {
    s = s.substr(1, s.size() - 2);
  }
  return s;
}

std::optional<double> LatexNumberValue(std::string_view normalized) {
  std::string s(normalized);
  if (s.size() > 256) return std::nullopt;
  if (s.find("\\frac") != std::string::npos) return FracValue(s);
  return PlainValue(s);
}

std::optional<std::string> NormalizeLetterSet(std::string_view text) {
  if (text.size() > 256) return std::nullopt;
  std::string s = util::ReplaceAll(std::string(text), "\xE3\x80\x81", ",");  // Chinese list comma
  std::string letters;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isalpha(static_cast<unsigned char>(c))) {
      size_t end = i;
      while (end < s.size() && std::isalpha(static_cast<unsigned char>(s[end]))) ++end;
      std::string run = s.substr(i, end - i);
      std::string lower = util::ToLower(run);
      if (lower == "and" || lower == "or") {
        // separator word
      } else if (run.size() == 1) {
        letters += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      } else if (std::all_of(run.begin(), run.end(), [](char x) { return x >= 'A' && x <= 'Z'; })) {
        letters += run;
      } else {
        return std::nullopt;
      }
      i = end;
      continue;
    }
    if (std::string_view(" ,;()[]{}.&/*$:\\").find(c) == std::string_view::npos) return std::nullopt;
    ++i;
  }
  if (letters.empty()) return std::nullopt;
  std::sort(letters.begin(), letters.end());
  letters.erase(std::unique(letters.begin(), letters.end()), letters.end());
  return letters;
}

bool NumbersClose(double a, double b, double rel_tol) {
  if (!std::isfinite(a) || !std::isfinite(b)) return a == b;
  return std::fabs(a - b) <= rel_tol * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace tasks::extract
