// Everything besides the weights that an exact resume needs: AdamW moments and step counts, the
// trainer's step, RNG states and data position. Stored beside the HF checkpoint as
// trainer_state.safetensors (tensors) + trainer_state.json (scalars, with the tensor file's SHA-256
// so a crash between the two atomic writes is detected on load instead of resuming from a mix).
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>

#include "trainers/model/llama.h"

namespace trainers {

struct TrainingState {
  int64_t step = 0;                  // optimizer steps taken
  nlohmann::json data_position;      // trainer-defined cursor into its data (epoch, index, order seed...)
  nlohmann::json extra;              // trainer-defined scalars (host RNG states, schedules, best metric...)
  at::Tensor torch_rng_state;        // uint8 state of the trainer's torch generator (may be undefined)
};

// Writes dir/trainer_state.safetensors then dir/trainer_state.json (both atomic). Optimizer moments
// are stored under the parameter's HF name ("optimizer.<name>.exp_avg", ...), so the file is
// independent of parameter addresses.
void SaveTrainingState(const std::string& dir, LlamaForCausalLM& model, torch::optim::AdamW& optimizer,
                       const TrainingState& state);

// Restores optimizer state into `optimizer` (built over model->parameters(), same hyperparameters)
// and returns the scalars. Throws util::InputError naming the file when a file is missing, the
// checksum disagrees, or a moment does not match its parameter's shape.
TrainingState LoadTrainingState(const std::string& dir, LlamaForCausalLM& model,
                                torch::optim::AdamW& optimizer);

bool HasTrainingState(const std::string& dir);

// A CPU generator's state as a uint8 tensor and back (at::Generator get_state/set_state).
at::Tensor GeneratorState(at::Generator generator);
void SetGeneratorState(at::Generator& generator, const at::Tensor& state);

}  // namespace trainers
