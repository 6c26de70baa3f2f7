// Evaluation of a model served by an OpenAI-compatible server (vLLM, llama.cpp, SGLang, `harness serve`):
// the same prompts and per-problem seeds as a local evaluation (EvaluateModel), sent through the torch-free
// client in harness/remote (concurrency, retries, timeout, resumable response cache), then scored by the
// same ScoreEvalCompletions. Used by `harness eval --endpoint` and the runner's `endpoint` method.
#pragma once

#include <string>
#include <vector>

#include "harness/remote/openai_client.h"
#include "harness/remote/remote_generate.h"
#include "trainers/eval/evaluate.h"

namespace trainers {

// Generates options.k completions per record through `endpoint` (endpoint.chat picks the chat route; the
// server applies its own chat template, so options.chat is not used) and scores them. `cache_path` "" =
// no response cache. Throws util::InputError for bad sampling options and remote::RemoteError for a
// request that failed for good (the answers so far stay cached). `stats` (may be null) gets the request
// figures.
EvalOutput EvaluateEndpoint(const remote::EndpointOptions& endpoint, const tasks::Task& task,
                            const std::vector<tasks::Record>& records, const EvalOptions& options,
                            const std::string& cache_path, remote::GenerateStats* stats);

}  // namespace trainers
