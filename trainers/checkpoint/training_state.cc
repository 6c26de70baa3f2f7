// Save/restore of AdamW moments, step and RNG state for bit-identical resume.
#include "trainers/checkpoint/training_state.h"

#include <map>
#include <mutex>

#include <ATen/ATen.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "trainers/checkpoint/safetensors.h"
#include "trainers/model/fused_adamw.h"

namespace trainers {
namespace {

constexpr int kFormatVersion = 1;
const char* const kTensorFile = "/trainer_state.safetensors";
const char* const kJsonFile = "/trainer_state.json";


}  // namespace

bool HasTrainingState(const std::string& dir) {
  return util::FileExists(dir + kJsonFile) && util::FileExists(dir + kTensorFile);
}

at::Tensor GeneratorState(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void SetGeneratorState(at::Generator& generator, const at::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

void SaveTrainingState(const std::string& dir, LlamaForCausalLM& model, torch::optim::AdamW& optimizer,
                       const TrainingState& state) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  nlohmann::json param_steps = nlohmann::json::object();
  auto& opt_state = optimizer.state();
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    auto it = opt_state.find(OptimizerStateKey(item.value()));
    if (it == opt_state.end()) continue;  // parameter never stepped (e.g. no gradient yet)
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    const std::string prefix = "optimizer." + item.key();
    tensors.emplace_back(prefix + ".exp_avg", s.exp_avg());
    tensors.emplace_back(prefix + ".exp_avg_sq", s.exp_avg_sq());
    if (s.max_exp_avg_sq().defined()) tensors.emplace_back(prefix + ".max_exp_avg_sq", s.max_exp_avg_sq());
    param_steps[item.key()] = s.step();
  }
  if (state.torch_rng_state.defined()) tensors.emplace_back("rng.torch", state.torch_rng_state);
  const std::string bytes = SerializeSafetensors(tensors, {{"format", "harness-trainer-state"}});
  util::MakeDirs(dir);
  util::WriteFileAtomic(dir + kTensorFile, bytes);

  const auto& options = static_cast<const torch::optim::AdamWOptions&>(optimizer.defaults());
  nlohmann::json json = {
      {"format_version", kFormatVersion},
      {"step", state.step},
      {"data_position", state.data_position},
      {"extra", state.extra},
      {"optimizer", {{"type", "AdamW"}, {"lr", options.lr()}, {"beta1", std::get<0>(options.betas())},
                     {"beta2", std::get<1>(options.betas())}, {"eps", options.eps()},
                     {"weight_decay", options.weight_decay()}, {"amsgrad", options.amsgrad()},
                     {"param_steps", param_steps}}},
      {"tensors_sha256", util::Sha256Hex(bytes)},
  };
  util::WriteFileAtomic(dir + kJsonFile, json.dump(2) + "\n");
}

TrainingState LoadTrainingState(const std::string& dir, LlamaForCausalLM& model,
                                torch::optim::AdamW& optimizer) {
  const std::string json_path = dir + kJsonFile, tensor_path = dir + kTensorFile;
  if (!HasTrainingState(dir)) {
    throw util::InputError(util::Location{json_path, 0, ""},
                           "no training state (trainer_state.json + trainer_state.safetensors) to resume from");
  }
  const auto json = util::ReadJsonFile(json_path);
  const util::Location where{json_path, 0, ""};
  if (json.value("format_version", 0) != kFormatVersion) {
    throw util::InputError(util::Location{json_path, 0, "format_version"},
                           "unsupported trainer state version (expected " + std::to_string(kFormatVersion) + ")");
  }
  const std::string bytes = util::ReadFile(tensor_path);
  if (util::Sha256Hex(bytes) != util::RequireString(json, "tensors_sha256", where)) {
    throw util::InputError(util::Location{tensor_path, 0, ""},
                           "checksum differs from trainer_state.json (interrupted save?)");
  }
  SafetensorsFile file = ParseSafetensors(bytes, tensor_path);
  TrainingState state;
  state.step = static_cast<int64_t>(util::RequireNumber(json, "step", where));
  state.data_position = json.value("data_position", nlohmann::json());
  state.extra = json.value("extra", nlohmann::json());
  if (auto it = file.tensors.find("rng.torch"); it != file.tensors.end()) state.torch_rng_state = it->second;

  const auto& param_steps = util::RequireField(util::RequireField(json, "optimizer", where), "param_steps", where);
  auto& opt_state = optimizer.state();
  opt_state.clear();
  at::NoGradGuard no_grad;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    if (!param_steps.contains(item.key())) continue;
    auto moment = [&](const std::string& suffix, bool required) -> at::Tensor {
      const std::string name = "optimizer." + item.key() + suffix;
      auto it = file.tensors.find(name);
      if (it == file.tensors.end()) {
        if (!required) return {};
        throw util::InputError(util::Location{tensor_path, 0, name}, "missing optimizer moment");
      }
      if (it->second.sizes() != item.value().sizes()) {
        throw util::InputError(util::Location{tensor_path, 0, name}, "moment shape differs from the parameter's");
      }
      return it->second.to(item.value().options()).clone();
    };
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(param_steps[item.key()].get<int64_t>());
    s->exp_avg(moment(".exp_avg", true));
    s->exp_avg_sq(moment(".exp_avg_sq", true));
    auto max_sq = moment(".max_exp_avg_sq", false);
    if (max_sq.defined()) s->max_exp_avg_sq(max_sq);
    opt_state[OptimizerStateKey(item.value())] = std::move(s);
  }
  return state;
}

}  // namespace trainers
