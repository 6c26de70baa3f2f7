#include "trainers/scaffold/training_run.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include <torch/torch.h>

#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/checkpoint/training_state.h"
#include "trainers/distributed/grad_reducer.h"
#include "trainers/distributed/world.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

}  // namespace

double CosineLearningRate(double lr, double min_lr_ratio, int warmup_steps, int max_steps, int step) {
  if (step < warmup_steps) return lr * (step + 1) / warmup_steps;
  const double progress = static_cast<double>(step - warmup_steps) / std::max(1, max_steps - warmup_steps);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
  return lr * (min_lr_ratio + (1.0 - min_lr_ratio) * cosine);
}

FusedAdamW MakeAdamW(LlamaForCausalLM& model, double lr, double beta1, double beta2, double weight_decay) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model->named_parameters()) (p.value().dim() >= 2 ? decay : no_decay).push_back(p.value());
  auto options = torch::optim::AdamWOptions(lr).betas({beta1, beta2}).weight_decay(weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
  auto no_decay_options = options;
  no_decay_options.weight_decay(0.0);
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(no_decay_options));
  return FusedAdamW(groups, options);
}

RunOptions RunOptionsFor(const SftConfig& settings, const std::string& out_dir, const std::string& name,
                         int stop_after_steps) {
  RunOptions o;
  o.out_dir = out_dir;
  o.name = name;
  o.max_steps = settings.max_steps;
  o.max_minutes = settings.max_minutes;
  o.log_every = settings.log_every;
  o.save_every = settings.save_every;
  o.eval_every = settings.eval_every;
  o.stop_after_steps = stop_after_steps;
  return o;
}

void SetLearningRate(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

std::vector<std::vector<int>> SeededEpochBatches(const std::vector<int>& lengths, int batch_size, uint64_t seed,
                                                 int epoch, const std::string& tag) {
  const int n = static_cast<int>(lengths.size());
  std::vector<int> order = util::SeededPermutation(n, seed, tag + "-epoch-" + std::to_string(epoch));
  const int window = batch_size * 32;
  for (int start = 0; start < n; start += window) {
    auto end = order.begin() + std::min(n, start + window);
    std::stable_sort(order.begin() + start, end, [&](int a, int b) { return lengths[a] < lengths[b]; });
  }
  std::vector<std::vector<int>> batches;
  for (int start = 0; start < n; start += batch_size) {
    batches.emplace_back(order.begin() + start, order.begin() + std::min(n, start + batch_size));
  }
  std::vector<int> batch_order = util::SeededPermutation(static_cast<int>(batches.size()), seed,
                                                         tag + "-batches-" + std::to_string(epoch));
  std::vector<std::vector<int>> shuffled;
  for (int i : batch_order) shuffled.push_back(std::move(batches[i]));
  return shuffled;
}

namespace {

std::vector<torch::Tensor> LearningParameters(LlamaForCausalLM& model) {
  std::vector<torch::Tensor> params;
  for (auto& p : model->parameters()) {
    if (p.requires_grad()) params.push_back(p);
  }
  return params;
}

}  // namespace

StepResult GradientStep(LlamaForCausalLM& model, FusedAdamW& optimizer, int micro_batches,
                        const std::function<double(int micro)>& forward_backward, double grad_clip) {
  StepResult r;
  optimizer.ClearGradients();
  // With several ranks, the last micro-batch's backward starts summing gradient buckets as they are
  // complete (dist::BucketOptions; after backward instead with --no-dist-overlap).
  std::unique_ptr<dist::GradientReducer> reducer;
  if (dist::Active()) reducer = std::make_unique<dist::GradientReducer>(LearningParameters(model));
  for (int m = 0; m < micro_batches; ++m) {
    if (reducer && m == micro_batches - 1 && dist::Buckets().overlap) reducer->Arm();
    r.loss += forward_backward(m);
  }
  if (reducer) {
    reducer->Finish();
    r.loss = dist::AllReduceSum(r.loss);
    static bool reported = false;
    if (!reported && dist::IsWriter()) {
      std::cerr << "[dist] gradients summed in " << reducer->buckets() << " bucket(s), "
                << reducer->started_during_backward() << " started while backward ran\n";
      reported = true;
    }
  }
  if (grad_clip > 0) r.grad_norm = torch::nn::utils::clip_grad_norm_(model->parameters(), grad_clip);
  optimizer.step();
  return r;
}

TrainingRun::TrainingRun(RunOptions options, LlamaForCausalLM& model, FusedAdamW& optimizer,
                         const tokenizer::Tokenizer& tok, HeldOutEval eval)
    : options_(std::move(options)), model_(model), optimizer_(optimizer), tok_(tok), eval_(std::move(eval)) {
  tty_ = ::isatty(STDERR_FILENO);
  util::MakeDirs(options_.out_dir);
}

void TrainingRun::AddCompanion(const std::string& name, LlamaForCausalLM& model, FusedAdamW& optimizer) {
  companions_.push_back({name, &model, &optimizer});
}

nlohmann::json TrainingRun::Resume() {
  // The state (weights + optimizer + data position) is written to state.new/ and then swapped in for
  // state/, so a kill at any moment leaves one complete state to resume from.
  const std::string state = options_.out_dir + "/state", state_new = options_.out_dir + "/state.new";
  const std::string from = HasTrainingState(state) ? state : HasTrainingState(state_new) ? state_new : "";
  nlohmann::json position = nlohmann::json::object();
  if (!from.empty()) {
    LoadModelWeights(model_, from + "/model.safetensors");
    TrainingState saved = LoadTrainingState(from, model_, optimizer_);
    for (const Companion& c : companions_) {
      LoadModelWeights(*c.model, from + "/" + c.name + "/model.safetensors");
      LoadTrainingState(from + "/" + c.name, *c.model, *c.optimizer);
    }
    step_ = static_cast<int>(saved.step);
    position = saved.data_position;
    resumed_ = true;
    std::cerr << options_.name << ": resumed at step " << step_ << " " << position.dump() << "\n";
    // Rows logged after the saved step (the run died before its next save) are logged again by the rerun.
    const std::string metrics = options_.out_dir + "/metrics.jsonl";
    if (dist::IsWriter() && util::FileExists(metrics)) {
      std::string kept;
      for (const auto& line : util::ReadJsonLines(metrics)) {
        if (line.value.value("step", 0) <= step_) kept += line.value.dump() + "\n";
      }
      util::WriteFileAtomic(metrics, kept);
    }
  } else if (dist::IsWriter() && util::FileExists(options_.out_dir + "/metrics.jsonl")) {
    std::filesystem::remove(options_.out_dir + "/metrics.jsonl");  // a fresh run starts a fresh log
  }
  first_step_ = step_;
  done_ = step_ >= options_.max_steps;
  start_ = window_start_ = Clock::now();
  return position;
}

void TrainingRun::EndStep(nlohmann::json metrics, const nlohmann::json& data_position, long long tokens) {
  ++step_;
  dist::MaybeInjectFault(step_);
  tokens_seen_ += tokens;
  window_tokens_ += tokens;
  const bool last = step_ >= options_.max_steps;
  const double elapsed = Seconds(start_);
  const bool out_of_time = options_.max_minutes > 0 && elapsed > options_.max_minutes * 60;
  if (step_ % options_.log_every == 0 || last || out_of_time) {
    const double window = Seconds(window_start_);
    const double tps = window > 0 ? window_tokens_ / window : 0;
    const int done_here = step_ - first_step_;
    const double eta = done_here > 0 ? elapsed / done_here * (options_.max_steps - step_) : 0;
    metrics["step"] = step_;
    metrics["tokens_per_second"] = tps;
    metrics["elapsed_seconds"] = elapsed;
    AppendMetrics(metrics);
    char line[240];
    std::snprintf(line, sizeof line, "%s step %d/%d  loss %.4f  lr %.2e  |g| %.2f  %.0f tok/s  ETA %.0fs",
                  options_.name.c_str(), step_, options_.max_steps, metrics.value("loss", 0.0),
                  metrics.value("lr", 0.0), metrics.value("grad_norm", 0.0), tps, eta);
    std::cerr << (tty_ ? "\r" : "") << line << (tty_ ? "   " : "\n") << std::flush;
    window_start_ = Clock::now();
    window_tokens_ = 0;
  }
  if (options_.eval_every > 0 && step_ % options_.eval_every == 0 && !last) Evaluate();
  if (options_.save_every > 0 && step_ % options_.save_every == 0 && !last) Save(data_position);
  if (options_.stop_after_steps > 0 && step_ - first_step_ >= options_.stop_after_steps && !last) {
    Save(data_position);
    stopped_early_ = done_ = true;
  }
  if (out_of_time) {
    std::cerr << (tty_ ? "\n" : "") << options_.name << ": time budget of " << options_.max_minutes
              << " min reached at step " << step_ << "\n";
  }
  if (last || out_of_time) done_ = true;
}

void TrainingRun::Finish(const nlohmann::json& data_position) {
  if (tty_) std::cerr << "\n";
  if (stopped_early_) return;  // saved already; a rerun resumes
  Save(data_position);
  Evaluate();
}

double TrainingRun::train_seconds() const { return Seconds(start_); }

void TrainingRun::Save(const nlohmann::json& data_position) {
  if (!dist::IsWriter()) return;  // every rank holds the same weights; rank 0 writes them
  SaveCheckpoint(checkpoint_dir(), model_, tok_);
  const std::string state = options_.out_dir + "/state", state_new = options_.out_dir + "/state.new";
  TrainingState saved;
  saved.step = step_;
  saved.data_position = data_position;
  std::filesystem::remove_all(state_new);
  util::MakeDirs(state_new);
  SaveModelWeights(model_, state_new + "/model.safetensors");
  SaveTrainingState(state_new, model_, optimizer_, saved);
  for (const Companion& c : companions_) {
    util::MakeDirs(state_new + "/" + c.name);
    SaveModelWeights(*c.model, state_new + "/" + c.name + "/model.safetensors");
    SaveTrainingState(state_new + "/" + c.name, *c.model, *c.optimizer, saved);
  }
  std::filesystem::remove_all(state);
  std::filesystem::rename(state_new, state);
}

void TrainingRun::Evaluate() {
  if (!eval_) return;
  model_->eval();
  nlohmann::json metrics = eval_(model_, tok_, step_);
  model_->train();
  if (metrics.is_object() && !metrics.empty()) {
    metrics["step"] = step_;
    AppendMetrics(metrics);
  }
}

void TrainingRun::AppendMetrics(const nlohmann::json& row) const {
  if (!dist::IsWriter()) return;
  const std::string path = options_.out_dir + "/metrics.jsonl";
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) throw std::runtime_error("cannot append to " + path);
  const std::string line = row.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), f);
  std::fclose(f);
}

}  // namespace trainers
