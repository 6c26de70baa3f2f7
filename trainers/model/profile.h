// Throughput profile of a model on this machine: training step (forward + backward + AdamW),
// prefill and decode tokens/s through the generation engine, peak RSS, and model FLOP utilisation
// against a GEMM peak measured in the same run. Backs `harness profile`.
#pragma once

#include <nlohmann/json.hpp>

#include "trainers/model/llama.h"

namespace trainers {

struct ProfileOptions {
  int batch = 16;        // decode / prefill batch
  int seq = 128;         // prompt length and training sequence length
  int new_tokens = 64;   // decoded tokens per sequence
  int train_batch = 8;   // sequences per training step
  int train_steps = 5;   // timed steps (after one warm-up step)
  uint64_t seed = 0;
};

// Runs the measurements; returns a JSON object with the figures, the shapes, thread counts and
// torch build information. The model is left in eval mode with its weights changed by training.
nlohmann::json ProfileModel(LlamaForCausalLM& model, const ProfileOptions& options);

// Forward FLOPs per token at context length `context`: 2 * (matmul parameters) + attention
// (2 * 2 * layers * context * hidden). Training counts 3x this (forward + backward).
double ForwardFlopsPerToken(const ModelConfig& config, double context);

}  // namespace trainers
