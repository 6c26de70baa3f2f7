// Training examples for SFT: records from a data file or a built-in generator, rendered with the task's
// prompt template, paired with a solution, tokenized with a loss mask over the completion only.
// Torch-free: tensors are built per batch by the trainer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/record.h"
#include "tasks/synth/synth.h"
#include "trainers/sft/sft_config.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

struct TextExample {
  std::string prompt;       // condition prefix + rendered prompt
  std::string completion;   // the solution the model learns to write
  double weight = 1.0;
  std::string source;       // "<task>" or "<task>:<solution source>" for mixed-quality data
};

struct TokenizedExample {
  std::vector<int> ids;         // bos + prompt + completion + eos
  std::vector<uint8_t> target;  // 1 where ids[t] is a completion token (loss on predicting it)
  double weight = 1.0;
};

// File name for a synthetic split, with the extension the task's loader reads ("gsm8k_train.jsonl",
// "svamp_test.json", "gpqa_train.csv").
std::string SyntheticFileName(const std::string& task, const std::string& split);
// The variant a synthetic file is loaded as ("" = inferred from the file name).
std::string SyntheticVariant(const std::string& task);

// Writes the generator's split (options, already validated) to `path` in the benchmark's format and reads it
// back with the task's own loader, as the variant SyntheticVariant names, so synthetic data is parsed exactly
// like the real files. Deterministic: rewriting an existing file keeps it in step with the options.
std::vector<tasks::Record> WriteAndLoadSynthetic(const tasks::synth::SynthOptions& options, const std::string& path,
                                                 uint64_t shuffle_seed);

// Writes (or reuses) the source's data under data_dir and loads it with the task's real loader.
// For generator sources, the generator's solutions for `style` come back in `solutions` (one list per record).
std::vector<tasks::Record> LoadSourceRecords(const DataSource& source, const std::string& split,
                                             const std::string& data_dir,
                                             std::vector<std::vector<std::string>>* solutions = nullptr,
                                             std::vector<std::vector<std::string>>* solution_sources = nullptr);

// Prompt + completion pairs for one source (prompts rendered exactly as evaluation renders them).
std::vector<TextExample> BuildTextExamples(const DataSource& source, const std::string& data_dir);

struct TokenizedSet {
  std::vector<TokenizedExample> examples;
  int dropped_too_long = 0;
  long long completion_tokens = 0;
  long long total_tokens = 0;
};
TokenizedSet TokenizeExamples(const std::vector<TextExample>& texts, const tokenizer::Tokenizer& tok,
                              int max_seq_len);

}  // namespace trainers
