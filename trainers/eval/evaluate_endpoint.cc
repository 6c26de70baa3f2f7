#include "trainers/eval/evaluate_endpoint.h"

#include <chrono>

#include "harness/util/hashing.h"

namespace trainers {

EvalOutput EvaluateEndpoint(const remote::EndpointOptions& endpoint, const tasks::Task& task,
                            const std::vector<tasks::Record>& records, const EvalOptions& options,
                            const std::string& cache_path, remote::GenerateStats* stats) {
  ValidateEvalSampling(options);
  const std::vector<std::string> prompts = RenderEvalPrompts(task, records, options);
  std::vector<remote::SamplingRequest> requests;
  requests.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    remote::SamplingRequest r;
    r.prompt = prompts[i];
    r.n = options.k;
    r.temperature = options.temperature;
    r.top_p = options.top_p;
    r.max_tokens = options.max_new_tokens;
    r.seed = util::Fnv1a64(records[i].id, options.seed);  // the seed EvaluateModel gives this record
    requests.push_back(std::move(r));
  }
  remote::GenerateStats own;
  remote::GenerateStats* figures = stats != nullptr ? stats : &own;
  const auto start = std::chrono::steady_clock::now();
  std::vector<remote::RemoteReply> replies = remote::GenerateRemote(endpoint, requests, cache_path, figures);
  EvalOutput out;
  out.generate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.prompt_tokens = figures->prompt_tokens;
  out.generated_tokens = figures->completion_tokens;
  std::vector<std::vector<std::string>> completions;
  completions.reserve(replies.size());
  for (auto& reply : replies) completions.push_back(std::move(reply.texts));
  ScoreEvalCompletions(task, records, prompts, completions, options, &out);
  return out;
}

}  // namespace trainers
