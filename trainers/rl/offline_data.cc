#include "trainers/rl/offline_data.h"

#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::rl {

void WriteTrajectories(const std::string& path, const std::vector<OfflineTrajectory>& trajectories) {
  std::vector<nlohmann::json> rows;
  rows.reserve(trajectories.size());
  for (const auto& t : trajectories) {
    rows.push_back({{"task", t.task}, {"id", t.id}, {"source", t.source}, {"reward", t.reward},
                    {"correct", t.correct}, {"weight", t.weight}, {"prompt", t.prompt}, {"completion", t.completion}});
  }
  util::WriteJsonLinesAtomic(path, rows);
}

std::vector<OfflineTrajectory> ReadTrajectories(const std::string& path) {
  if (!util::FileExists(path)) {
    throw util::InputError(util::Location{path, 0, ""}, "no offline trajectories here");
  }
  std::vector<OfflineTrajectory> out;
  for (const auto& line : util::ReadJsonLines(path)) {
    const util::Location where{path, line.line, ""};
    OfflineTrajectory t;
    t.prompt = util::RequireString(line.value, "prompt", where);
    t.completion = util::RequireString(line.value, "completion", where);
    t.reward = util::RequireNumber(line.value, "reward", where);
    t.task = line.value.value("task", "");
    t.id = line.value.value("id", "");
    t.source = line.value.value("source", "");
    t.correct = line.value.value("correct", false);
    t.weight = line.value.value("weight", 1.0);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Sample> TrajectorySamples(const tokenizer::Tokenizer& tok, const std::vector<OfflineTrajectory>& trajectories) {
  std::vector<Sample> out;
  out.reserve(trajectories.size());
  for (size_t i = 0; i < trajectories.size(); ++i) {
    out.push_back(TextSample(tok, trajectories[i].prompt, trajectories[i].completion));
    out.back().question = static_cast<int>(i);
  }
  return out;
}

at::Tensor WeightedNll(const at::Tensor& logp, const at::Tensor& mask, const at::Tensor& weights) {
  const at::Tensor w = weights.to(logp.scalar_type()).unsqueeze(1) * mask;
  return -(logp * w).sum() / w.sum().clamp_min(1e-12);
}

ValueStats MeasureValues(LlamaForCausalLM& model, const std::vector<Sample>& samples, const std::vector<double>& returns,
                         int pad_id, int chunk) {
  ValueStats stats;
  if (samples.empty()) return stats;
  torch::NoGradGuard no_grad;
  const c10::Device device = model->options().device();
  double value_sum = 0, error_sum = 0, tokens = 0, return_sum = 0;
  for (size_t start = 0; start < samples.size(); start += chunk) {
    std::vector<int> rows;
    for (size_t i = start; i < std::min(samples.size(), start + chunk); ++i) rows.push_back(static_cast<int>(i));
    const TokenBatch batch = MakeTokenBatch(samples, rows, pad_id, device);
    const at::Tensor values = model->Values(ResponseStates(model, batch)).squeeze(-1).to(torch::kFloat);
    std::vector<double> chunk_returns;
    for (int r : rows) chunk_returns.push_back(returns.at(r)), return_sum += returns.at(r);
    const at::Tensor target = torch::tensor(chunk_returns, torch::kFloat).to(device).unsqueeze(1);
    value_sum += (values * batch.mask).sum().item<double>();
    error_sum += ((values - target).pow(2) * batch.mask).sum().item<double>();
    tokens += batch.mask.sum().item<double>();
  }
  stats.mean_value = value_sum / std::max(tokens, 1.0);
  stats.mse = error_sum / std::max(tokens, 1.0);
  stats.mean_return = return_sum / samples.size();
  return stats;
}

}  // namespace trainers::rl
