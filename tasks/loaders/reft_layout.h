// The ReFT paper's test/train file layout (lqtrung1998/mwp_ReFT, data/*.json): a JSON array of
// {item_id, question, answer_value[, answer_cot]}, shared by its gsm8k, svamp and mathqa files.
#pragma once

#include "tasks/loaders/source.h"
#include "tasks/record.h"

namespace tasks::loaders {

bool IsReftLayout(const nlohmann::json& first_record);

// Fills id (item_id), question, and, when present, extra["answer_cot"] (the ReFT chain of thought,
// kept for training; it ends "Therefore, the answer is <N>." which is not a marked answer we
// score). Returns answer_value (string or number, as text) for the caller to canonicalise.
std::string ReadReftRecord(const SourceRecord& source, Record& record);

// A numeric gold: NormalizeNumber(text), or util::InputError naming `field`.
std::string CanonicalNumber(const std::string& text, const SourceRecord& source,
                            const std::string& field);

}  // namespace tasks::loaders
