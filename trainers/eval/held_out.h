// Held-out evaluation during training (the scaffold's eval_every hook): greedy accuracy on the first
// eval_n problems of each given test set, so training logs carry a learning curve per task.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/scoring/scoring.h"
#include "tasks/record.h"
#include "tasks/task.h"
#include "trainers/sft/sft_trainer.h"

namespace trainers {

struct HeldOutSet {
  const tasks::Task* task = nullptr;
  std::vector<tasks::Record> records;  // already cut to the problems to evaluate
  std::string template_name;           // "" = task default
  bool program_answers = false;        // P-CoT: the answer is what the completion's program prints
};

// The callback logs {"eval_accuracy": mean over sets, "eval_accuracy:<task>": each set's accuracy}.
// `code_grader` builds the sandbox grader for code tasks on first use. Returns nullptr for no sets.
EvalCallback HeldOutEvaluation(std::vector<HeldOutSet> sets, int max_new_tokens, uint64_t seed,
                               const std::string& prompt_prefix,
                               std::function<scoring::CodeGrader()> code_grader);

}  // namespace trainers
