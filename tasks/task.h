// A benchmark family: how to load its published files, render prompts, and read answers back.
// Tasks are registered in one explicit list (registry.cc); everything is torch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/answer.h"
#include "tasks/record.h"

namespace tasks {

struct LoadOptions {
  std::string path;             // data file; its layout (official, ReFT, Qwen2.5-Math, ...) is detected
  std::string variant;          // "" = infer from the file name where possible
  uint64_t shuffle_seed = 0;    // seed of content-hashed option shuffles (GPQA)
  // Task-specific filters, validated by the task. LiveCodeBench: release ("release_v1"),
  // start_date / end_date ("YYYY-MM-DD", inclusive), platform, difficulty, exclude (array of ids).
  nlohmann::json filters = nlohmann::json::object();
};

struct PromptOptions {
  std::string template_name;    // "" = the task's default template
  std::string few_shot_file;    // AGIEval: few_shot_prompts.csv for the few-shot template
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  // Bump whenever loading, prompts or extraction change in a way that can change a number.
  virtual std::string version() const = 0;
  virtual std::vector<std::string> variants() const = 0;
  // Where the data comes from and which layouts load (shown by `harness tasks`).
  virtual std::string description() const = 0;

  virtual std::vector<Record> Load(const LoadOptions& options) const = 0;

  // Template names, default first. Each template is versioned inside its name ("zeroshot-cot-v1").
  virtual std::vector<std::string> templates() const = 0;
  virtual std::string RenderPrompt(const Record& record, const PromptOptions& options) const = 0;

  // Extraction presets, default first ("default", "strict", "flexible", "lm-eval-...", "qwen").
  virtual std::vector<std::string> extraction_presets() const = 0;
  virtual ExtractedAnswer Extract(const std::string& completion, const Record& record,
                                  const std::string& preset) const = 0;
  // Whether an extracted answer matches the record's gold (not used for kCode: the sandbox grades).
  virtual bool IsCorrect(const ExtractedAnswer& answer, const Record& record) const = 0;
  // Whether answers are programs graded by running the record's tests in the sandbox (kCode records),
  // not text read back and compared with a gold answer. The one place that says which tasks are code.
  virtual bool graded_by_tests() const { return false; }
};

}  // namespace tasks
