// Whether an extracted answer matches the record's gold answer.
//
// The comparison is the one the answer's preset names (ExtractedAnswer::equivalence):
//   exact (the project's presets): numbers by exact value after normalisation (1,450,001 is not
//     1,450,000; "18.00" and "3/4" are 18 and 0.75), option letters exactly (upper case), letter sets
//     as sets, AIME integers by value, cloze answers as normalised LaTeX strings or, when both sides
//     are numbers or simple fractions, by exact value;
//   lm-eval-exact-match (gsm8k): exact_match, ignore_case, regexes_to_ignore [",", "\$", "(?s).*#### ", "\.$"];
//   lm-eval-exact-match-ignore-punctuation (GPQA): against "(X)" with ignore_case and ignore_punctuation;
//   simple-evals-letter: the captured letter equals the gold letter (case-sensitive, as in gpqa_eval.py);
//   qwen-math-equal-rel-1e-4: Qwen2.5-Math grader.math_equal, the subset without sympy: case-insensitive
//     string equality, the option letter, and numbers within rel_tol 1e-4 of gold, gold/100 or gold*100;
//   reft-abs-1e-2: ReFT's |prediction - gold| <= 1e-2.
// Tolerances exist only where a benchmark's own rule has one.
#include <cctype>
#include <cmath>
#include <optional>
#include <utility>

#include <re2/re2.h>

#include "harness/util/text.h"
#include "tasks/extract/extract.h"
#include "tasks/extract/normalize.h"
#include "tasks/extract/pipeline.h"

namespace tasks::extract {

namespace {

constexpr double kQwenRelTol = 1e-4;
constexpr double kReftAbsTol = 1e-2;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// lm-eval exact_match preprocessing for gsm8k.
std::string LmEvalGsm8kForm(std::string s) {
  static const RE2& comma = internal::Compile(",");
  static const RE2& dollar = internal::Compile(R"(\$)");
  static const RE2& hashes = internal::Compile(R"((?s).*#### )");
  static const RE2& final_dot = internal::Compile(R"(\.$)");
  RE2::GlobalReplace(&s, comma, "");
  RE2::GlobalReplace(&s, dollar, "");
  RE2::GlobalReplace(&s, hashes, "");
  RE2::GlobalReplace(&s, final_dot, "");
  return util::ToLower(s);
}

std::string LowerNoPunct(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::ispunct(static_cast<unsigned char>(c))) continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Qwen's parse_digits: commas removed, a trailing "%" divides by 100.
std::optional<double> QwenDigits(std::string s) {
  s = util::ReplaceAll(s, ",", "");
  if (auto v = ParseNumber(s)) return v;
  if (util::EndsWith(s, "%")) {
    s.pop_back();
    if (util::EndsWith(s, "\\")) s.pop_back();
    if (auto v = ParseNumber(s)) return *v / 100;
  }
  return LatexNumberValue(s);  // stands in for sympy on \frac{a}{b}
}

bool QwenEqual(const ExtractedAnswer& answer, const Record& record) {
  std::string pred = util::Trim(answer.value);
  std::string gold = internal::QwenStripString(record.gold);
  if (util::ToLower(pred) == util::ToLower(util::Trim(gold))) return true;
  if (record.kind == AnswerKind::kChoice) return Upper(pred) == Upper(util::Trim(record.gold));
  auto p = QwenDigits(pred), g = QwenDigits(gold);
  if (!p || !g) return false;
  for (double candidate : {*g / 100, *g, *g * 100}) {
    if (NumbersClose(*p, candidate, kQwenRelTol)) return true;
  }
  return false;
}

bool ClozeEqual(const std::string& value, const std::string& gold) {
  std::string a = NormalizeLatex(value), b = NormalizeLatex(gold);
  if (a == b) return true;
  auto x = LatexNumberValue(a), y = LatexNumberValue(b);
  return x && y && *x == *y;
}

// Normalised numeric values of both sides (nullopt when either is not a number).
std::optional<std::pair<double, double>> NumericPair(const std::string& value, const std::string& gold) {
  auto a = NormalizeNumber(value), g = NormalizeNumber(gold);
  if (!a || !g) return std::nullopt;
  auto x = ParseNumber(*a), y = ParseNumber(*g);
  if (!x || !y) return std::nullopt;
  return std::make_pair(*x, *y);
}

}  // namespace

bool IsEquivalent(const ExtractedAnswer& answer, const Record& record) {
  namespace eq = internal::equivalence;
  if (!answer.valid) return false;
  const std::string& rule = answer.equivalence;
  if (rule == eq::kLmEvalChoice) {
    return LowerNoPunct(answer.value) == LowerNoPunct("(" + util::Trim(record.gold) + ")");
  }
  if (rule == eq::kLmEvalExactMatch) return LmEvalGsm8kForm(answer.value) == LmEvalGsm8kForm(record.gold);
  if (rule == eq::kSimpleEvals) return answer.value == util::Trim(record.gold);
  if (rule == eq::kQwen) return QwenEqual(answer, record);
  if (rule == eq::kReft) {
    auto pair = NumericPair(answer.value, record.gold);
    return pair && std::fabs(pair->first - pair->second) <= kReftAbsTol;
  }
  switch (record.kind) {
    case AnswerKind::kNumeric: {
      auto pair = NumericPair(answer.value, record.gold);
      return pair && pair->first == pair->second;
    }
    case AnswerKind::kInteger: {
      auto a = NormalizeInteger(answer.value), g = NormalizeInteger(record.gold);
      return a && g && *a == *g;
    }
    case AnswerKind::kChoice:
      return !answer.value.empty() && Upper(util::Trim(answer.value)) == Upper(util::Trim(record.gold));
    case AnswerKind::kChoiceSet: {
      auto a = NormalizeLetterSet(answer.value), g = NormalizeLetterSet(record.gold);
      return a && g && *a == *g;
    }
    case AnswerKind::kCloze:
      return ClozeEqual(answer.value, record.gold);
    case AnswerKind::kCode:
      return false;  // programs are graded by the sandbox against the record's tests
  }
  return false;
}

}  // namespace tasks::extract
