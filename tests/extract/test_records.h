// Synthetic records for the extraction tests: one per task family and answer kind. Option texts are
// invented here (no dataset text).
#pragma once

#include <string>

#include "tasks/record.h"

namespace extract_test {

enum class T { kGsm8k, kSvamp, kMathQa, kLsat, kSatMath, kJecQa, kAgiMath, kGpqa, kAime, kLcb };

inline tasks::Record MakeRecord(T t, const std::string& gold = "") {
  tasks::Record r;
  r.gold = gold;
  switch (t) {
    case T::kGsm8k: r.task = "gsm8k"; r.kind = tasks::AnswerKind::kNumeric; break;
    case T::kSvamp: r.task = "svamp"; r.kind = tasks::AnswerKind::kNumeric; break;
    case T::kMathQa:
      r.task = "mathqa";
      r.kind = tasks::AnswerKind::kChoice;
      r.choices = {"38", "27.675", "30", "none of these", "12 m"};
      break;
    case T::kLsat:
      r.task = "agieval";
      r.variant = "lsat-ar";
      r.kind = tasks::AnswerKind::kChoice;
      r.choices = {"Fiona", "George", "Helen", "Irving", "Julia"};
      break;
    case T::kSatMath:
      r.task = "agieval";
      r.variant = "sat-math";
      r.kind = tasks::AnswerKind::kChoice;
      r.choices = {"4", "8", "12", "16"};
      break;
    case T::kJecQa:
      r.task = "agieval";
      r.variant = "jec-qa-kd";
      r.kind = tasks::AnswerKind::kChoiceSet;
      r.choices = {"first", "second", "third", "fourth"};
      break;
    case T::kAgiMath: r.task = "agieval"; r.variant = "math"; r.kind = tasks::AnswerKind::kCloze; break;
    case T::kGpqa:
      r.task = "gpqa";
      r.variant = "diamond";
      r.kind = tasks::AnswerKind::kChoice;
      r.choices = {"Boron", "Carbon dioxide", "12 eV", "None of the above"};
      break;
    case T::kAime: r.task = "aime"; r.variant = "2024"; r.kind = tasks::AnswerKind::kInteger; break;
    case T::kLcb: r.task = "livecodebench"; r.kind = tasks::AnswerKind::kCode; break;
  }
  return r;
}

}  // namespace extract_test
