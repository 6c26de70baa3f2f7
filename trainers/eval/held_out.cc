#include "trainers/eval/held_out.h"

#include <iostream>

#include "harness/sandbox/program_runner.h"
#include "trainers/eval/evaluate.h"

namespace trainers {

EvalCallback HeldOutEvaluation(std::vector<HeldOutSet> sets, int max_new_tokens, uint64_t seed,
                               const std::string& prompt_prefix,
                               std::function<scoring::CodeGrader()> code_grader) {
  if (sets.empty()) return nullptr;
  auto shared = std::make_shared<std::vector<HeldOutSet>>(std::move(sets));
  auto grader = std::make_shared<scoring::CodeGrader>();
  auto programs = std::make_shared<scoring::ProgramRunner>();
  return [=](LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, int step) {
    nlohmann::json metrics = nlohmann::json::object();
    double sum = 0;
    for (const auto& set : *shared) {
      EvalOptions options;
      options.max_new_tokens = max_new_tokens;
      options.seed = seed;
      options.prompt_prefix = prompt_prefix;
      options.template_name = set.template_name;
      if (set.records.front().kind == tasks::AnswerKind::kCode) {
        if (!*grader) *grader = code_grader();
        options.code_grader = *grader;
      }
      if (set.program_answers) {
        if (!*programs) *programs = sandbox::MakeProgramRunner();
        options.program_answers = true;
        options.program_runner = *programs;
      }
      const double accuracy =
          EvaluateModel(model, tok, *set.task, set.records, options).scored.metrics["accuracy"].get<double>();
      std::cerr << "eval step " << step << " " << set.task->name() << " accuracy " << accuracy << "\n";
      metrics["eval_accuracy:" + set.task->name()] = accuracy;
      sum += accuracy;
    }
    metrics["eval_accuracy"] = sum / shared->size();
    return metrics;
  };
}

}  // namespace trainers
