#include "tasks/record.h"

namespace tasks {

const char* AnswerKindName(AnswerKind kind) {
  switch (kind) {
    case AnswerKind::kNumeric: return "numeric";
    case AnswerKind::kChoice: return "choice";
    case AnswerKind::kChoiceSet: return "choice_set";
    case AnswerKind::kInteger: return "integer";
    case AnswerKind::kCloze: return "cloze";
    case AnswerKind::kCode: return "code";
  }
  return "unknown";
}

nlohmann::json RecordSummaryJson(const Record& record) {
  nlohmann::json out = {{"id", record.id}, {"gold", record.gold}};
  if (!record.choices.empty()) {
    out["choices"] = record.choices;
    out["choice_order"] = record.choice_order;
  }
  return out;
}

}  // namespace tasks
