// Evaluation of a built-in model: render the task's prompts, generate with the engine, and score with the
// same scoring code as `harness score` (LiveCodeBench through the caller's sandbox grader).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/scoring/scoring.h"
#include "tasks/record.h"
#include "tasks/task.h"

namespace tokenizer {
class Tokenizer;
}

namespace trainers {

class LlamaForCausalLM;
class Engine;
struct GenerateRequest;
struct GenerateResult;

// Generation beyond plain decoding (START's tool calls and hints): runs the requests on the engine and
// returns the results, one trajectory record (sample JSON "trajectories") per completion, and figures for
// the profile and the metrics ({"tool_calls", "tool_seconds", "wait_seconds", ...}).
struct GeneratedWithTools {
  std::vector<GenerateResult> results;
  std::vector<std::vector<nlohmann::json>> trajectories;
  nlohmann::json stats = nlohmann::json::object();
};
using GenerateFn = std::function<GeneratedWithTools(Engine& engine, const tokenizer::Tokenizer& tok,
                                                    const std::vector<GenerateRequest>& requests)>;

struct EvalOptions {
  std::string template_name;       // "" = task default
  std::string prompt_prefix;       // prepended to every rendered prompt (a method's inference condition)
  std::string preset;              // "" = task default
  int k = 1;                       // samples per problem
  double temperature = 0.0;        // 0 = greedy (then k must be 1)
  double top_p = 1.0;
  int top_k = 0;
  int max_new_tokens = 256;
  uint64_t seed = 1;               // per-request seeds derive from it and the record index
  int max_batch = 64;
  scoring::CodeGrader code_grader; // required for code tasks
  bool program_answers = false;    // P-CoT: the answer is what the completion's program prints
  scoring::ProgramRunner program_runner;  // empty = a sandbox pool for this call (sandbox::MakeProgramRunner)
  // Reranker: a score per completion of each prompt (higher = more likely correct), for rerank@k;
  // empty = no scores.
  std::function<std::vector<std::vector<double>>(const std::vector<std::string>& prompts,
                                                 const std::vector<std::vector<std::string>>& completions)>
      scorer;
  std::string code_block = "last";
  bool chat = false;               // wrap each prompt in the tokenizer's chat template (one user turn)
  GenerateFn generate;             // empty = plain engine decoding (a method's EvalSpec may set it)
};

struct EvalOutput {
  scoring::ScoredSet scored;
  long long prompt_tokens = 0;
  long long generated_tokens = 0;
  double generate_seconds = 0;
  double score_seconds = 0;
  double generated_tokens_per_second = 0;
  double scored_completions_per_second = 0;
  nlohmann::json generation_stats = nlohmann::json::object();  // GenerateFn's figures, when one ran
};

// The prompts EvaluateModel generates from (prefix + the task's rendering), one per record.
std::vector<std::string> RenderEvalPrompts(const tasks::Task& task, const std::vector<tasks::Record>& records,
                                           const EvalOptions& options);

// Throws util::InputError for k < 1, or k > 1 with greedy decoding.
void ValidateEvalSampling(const EvalOptions& options);

// Scores completions[i] (options.k texts) of records[i] rendered as prompts[i]: the scoring, metrics
// and timings every evaluation shares, whoever generated the texts (this engine or a remote server).
// Fills out->scored, score_seconds and the per-second rates from out's generation figures.
void ScoreEvalCompletions(const tasks::Task& task, const std::vector<tasks::Record>& records,
                          const std::vector<std::string>& prompts,
                          const std::vector<std::vector<std::string>>& completions, const EvalOptions& options,
                          EvalOutput* out);

EvalOutput EvaluateModel(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, const tasks::Task& task,
                         const std::vector<tasks::Record>& records, const EvalOptions& options);

}  // namespace trainers
