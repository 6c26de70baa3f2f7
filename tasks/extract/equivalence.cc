// Whether an extracted answer matches the record's gold answer.
//
// The project's presets compare by answer kind: numbers within a relative tolerance of 1e-6,
// option letters exactly (upper case), letter sets as sets, AIME integers by value, cloze answers as
// normalised LaTeX strings or, when both sides are numbers or simple fractions, numerically (1e-6).
// Answers read by an anchor preset (rule prefixes "lmeval_", "simple_evals_", "qwen_") are compared
// the way that anchor compares them, so a reproduced number is the anchor's number:
//   lm-eval gsm8k: exact_match, ignore_case, regexes_to_ignore [",", "\$", "(?s).*#### ", "\.$"];
//   lm-eval GPQA: exact_match against "(X)" with ignore_case and ignore_punctuation;
//   simple-evals: the captured letter equals the gold letter (case-sensitive, as in gpqa_eval.py);
//   Qwen2.5-Math grader.math_equal, the subset without sympy: case-insensitive string equality, the
//   option letter, and numbers within rel_tol 1e-4 of gold, gold/100 or gold*100 (include_percentage).
#include <cctype>
#include <cmath>

#include <re2/re2.h>

#include "harness/util/text.h"
#include "tasks/extract/extract.h"
#include "tasks/extract/normalize.h"
#include "tasks/extract/pipeline.h"

namespace tasks::extract {

namespace {

constexpr double kRelTol = 1e-6;
constexpr double kQwenRelTol = 1e-4;

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
  return x && y && NumbersClose(*x, *y, kRelTol);
}

}  // namespace

bool IsEquivalent(const ExtractedAnswer& answer, const Record& record) {
  if (!answer.valid) return false;
  const std::string& rule = answer.rule;
  if (util::StartsWith(rule, "lmeval_")) {
    if (record.kind == AnswerKind::kChoice) {
      return LowerNoPunct(answer.value) == LowerNoPunct("(" + util::Trim(record.gold) + ")");
    }
    return LmEvalGsm8kForm(answer.value) == LmEvalGsm8kForm(record.gold);
  }
  if (util::StartsWith(rule, "simple_evals_")) return answer.value == util::Trim(record.gold);
  if (util::StartsWith(rule, "qwen_")) return QwenEqual(answer, record);
  switch (record.kind) {
    case AnswerKind::kNumeric: {
      auto a = NormalizeNumber(answer.value), g = NormalizeNumber(record.gold);
      if (!a || !g) return false;
      auto x = ParseNumber(*a), y = ParseNumber(*g);
      return x && y && NumbersClose(*x, *y, kRelTol);
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
