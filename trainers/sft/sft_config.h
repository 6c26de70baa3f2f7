// Every hyperparameter of supervised fine-tuning, with its default. Printed as a table at start and saved
// with the checkpoint and results. C-RLFT (OpenChat, arXiv:2309.11235) is this trainer with per-source
// weights and condition prefixes switched on; the loss is then the weight-normalised token mean.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/config_fields.h"

namespace trainers {

// One training data source: a file in a benchmark's published format, or a built-in generator.
struct DataSource {
  std::string task;                // registry name: gsm8k, svamp, mathqa, agieval, gpqa, aime, livecodebench
  std::string file;                // data file; empty = synthesise
  int synthetic_n = 0;             // problems to synthesise when file is empty
  uint64_t synthetic_seed = 1;
  std::string style;               // generator style: "" | ncot | pcot | mixed | tool
  int steps = 0;                   // generator difficulty (0 = task default)
  int max_value = 0;               // generator number scale (0 = task default)
  int suboptimal = 3;              // style mixed: sub-optimal solutions per problem
  double wrong_rate = 0.5;         // style mixed: probability a sub-optimal solution's answer is wrong
  std::vector<std::string> flaws;  // style mixed: flaw kinds drawn (empty = all)
  double tool_share = 0;           // style ncot/ncot-check: share of problems with START's tool solution
  double lookup_share = 0;         // multiple choice: share of problems that are option-lookup drills
  double weight = 1.0;             // per-example loss weight (C-RLFT source reward)
  std::string condition;           // condition prefix token, e.g. "<|gpt4|>" ("" = none)
  std::string template_name;       // prompt template ("" = task default)
};

struct SftConfig {
  // > Model
  std::string preset = "nano";                 // nano | micro | small
  nlohmann::json model_overrides = nlohmann::json::object();  // any ModelConfig field
  std::string init_checkpoint;                 // start from this HF-layout dir instead of random init
  int tokenizer_vocab = 1024;                  // BPE vocab trained on the training texts (0 = byte-level)
  bool tokenizer_split_digits = true;          // BPE never merges digits: one token per digit (arithmetic)
  // > Data
  std::vector<DataSource> train;
  std::vector<DataSource> eval;                // held-out splits evaluated every eval_every steps
  int max_seq_len = 512;                       // longer examples are dropped and counted
  // > Optimisation
  int batch_size = 16;                         // sequences per micro-batch
  int grad_accum = 1;                          // micro-batches per optimizer step
  int max_steps = 1000;
  double max_minutes = 0;                      // stop early when training time exceeds this (0 = off)
  double lr = 3e-3;
  double min_lr_ratio = 0.1;                   // cosine decays to lr * min_lr_ratio
  int warmup_steps = 50;
  double weight_decay = 0.1;
  double beta1 = 0.9, beta2 = 0.95;
  double grad_clip = 1.0;                      // max global grad norm (0 = off)
  // > Evaluation and logging
  int eval_every = 0;                          // steps between held-out evaluations (0 = only at the end)
  int eval_max_new_tokens = 160;
  int eval_n = 100;                            // held-out problems per evaluation
  int log_every = 10;
  int save_every = 200;                        // steps between resumable checkpoints (0 = only at the end)
  // > Runtime
  uint64_t seed = 1;
  int threads = 0;                             // torch intra-op threads (0 = number of cores)
  std::string device = "cpu";
};

// The declared fields (one place: parsing, unknown-key checks, ToJson, tables and `harness methods`).
// SftSettingsFields: the scaffold settings every SFT-style trainer shares (the experiment's "training"
// section): everything except the data (train, eval) and what the runner sets (seed, threads).
const util::Fields<SftConfig>& SftSettingsFields();
const util::Fields<SftConfig>& SftConfigFields();
const util::Fields<DataSource>& DataSourceFields();

// JSON with unknown-key, type and value checks; errors name `source` and the key. Without
// `require_data`, "train" may be absent or empty (a method that trains no text model).
SftConfig SftConfigFromJson(const nlohmann::json& json, const std::string& source, bool require_data = true);
nlohmann::json SftConfigToJson(const SftConfig& config);

using util::FormatConfigTable;

}  // namespace trainers
