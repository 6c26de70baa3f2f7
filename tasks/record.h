// The one record type every task loader produces and every prompt, extractor and metric consumes.
// Synthetic generators write files that the real loaders read back into this same type.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tasks {

// How a record's gold answer is compared.
enum class AnswerKind {
  kNumeric,         // a number (GSM8K, SVAMP, MathQA-numeric); numeric tolerance
  kChoice,          // one letter among `choices` (MathQA, AGIEval MC, GPQA)
  kChoiceSet,       // a set of letters (AGIEval multi-answer: jec-qa, some gaokao-physics)
  kInteger,         // AIME: integer 0..999, leading zeros ignored
  kCloze,           // free-form math (AGIEval math / gaokao-mathcloze); LaTeX-normalised string
  kCode,            // program graded by tests (LiveCodeBench)
};

const char* AnswerKindName(AnswerKind kind);

struct Record {
  std::string id;                    // the dataset's own id, else the 0-based index in the file
  std::string task;                  // registry name, e.g. "gsm8k"
  std::string variant;               // e.g. "diamond", "lsat-ar", "2024", "" when none
  std::string question;              // problem statement, without passage or options
  std::string passage;               // reading passage (AGIEval sat-en, lsat-rc), "" when none
  std::vector<std::string> choices;  // option texts in the order shown to the model (after shuffle)
  // choice_order[i] = index in the dataset's own option order of the option shown at position i.
  // Identity unless the format requires shuffling (GPQA).
  std::vector<int> choice_order;
  AnswerKind kind = AnswerKind::kNumeric;
  std::string gold;                  // canonical gold: "18", "B", "AD", "25", "\\frac{1}{2}"
  std::string gold_solution;         // the dataset's worked solution, "" when it has none
  bool broken = false;               // the dataset itself marks this record as broken
  std::string source;                // "file:line" it was read from
  nlohmann::json extra = nlohmann::json::object();  // task-specific fields (LCB tests, metadata, ...)
};

// Serialisation used by `harness prompts` and samples.jsonl.
nlohmann::json RecordSummaryJson(const Record& record);

}  // namespace tasks
