// Reading a task's data file into raw JSON records with their position, whatever the container:
// JSON Lines (GSM8K, AGIEval, Qwen2.5-Math) or one JSON array (SVAMP.json, the ReFT files, MathQA).
// The container is detected from the content, not the extension (Qwen's carp_en demo.json is
// JSONL).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/util/error.h"

namespace tasks::loaders {

struct SourceRecord {
  nlohmann::json value;
  long index = 0;        // 0-based position of the record in the file (the fallback id)
  util::Location where;  // file and the 1-based line the record starts on; field left empty
};

// Throws util::InputError naming file and line for invalid UTF-8, malformed JSON, a JSON document
// that is neither an array nor JSONL objects, and a file without records.
std::vector<SourceRecord> ReadRecords(const std::string& path);

// Where a record sits, as "file:line" (Record::source).
std::string SourceString(const SourceRecord& record);

// The file name without directories and extension ("gpqa_diamond" for ".../gpqa_diamond.csv").
std::string FileStem(const std::string& path);

// Location with the field filled in.
util::Location At(const SourceRecord& record, const std::string& field);

// Throws util::InputError unless `value` is a JSON object.
void RequireObject(const SourceRecord& record);

// Whether `object` has `field` with a non-null value.
bool Has(const nlohmann::json& object, const std::string& field);

}  // namespace tasks::loaders
