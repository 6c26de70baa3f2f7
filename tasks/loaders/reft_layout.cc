// Reading the ReFT layout.
#include "tasks/loaders/reft_layout.h"

#include "harness/util/json_io.h"
#include "tasks/extract/normalize.h"

namespace tasks::loaders {

bool IsReftLayout(const nlohmann::json& first_record) {
  return first_record.is_object() && first_record.contains("item_id") &&
         first_record.contains("answer_value");
}

std::string ReadReftRecord(const SourceRecord& source, Record& record) {
  record.id = util::RequireScalarAsString(source.value, "item_id", source.where);
  record.question = util::RequireString(source.value, "question", source.where);
  if (auto cot = util::OptionalString(source.value, "answer_cot", source.where))
    record.extra["answer_cot"] = *cot;
  return util::RequireScalarAsString(source.value, "answer_value", source.where);
}

std::string CanonicalNumber(const std::string& text, const SourceRecord& source,
                            const std::string& field) {
  auto number = extract::NormalizeNumber(text);
  if (!number) throw util::InputError(At(source, field), "expected a number, got '" + text + "'");
  return *number;
}

}  // namespace tasks::loaders
