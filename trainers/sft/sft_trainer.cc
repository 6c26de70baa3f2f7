// SFT main loop. Reads top to bottom: data → tokenizer → model → optimizer → (resume) → loop
// {lr schedule, accumulate micro-batches, clip, step, log, eval, save} → final save.
#include "trainers/sft/sft_trainer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <torch/torch.h>

#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/checkpoint/training_state.h"
#include "trainers/model/fused_adamw.h"
#include "trainers/model/llama.h"
#include "trainers/sft/sft_data.h"
#include "trainers/sft/sft_loss.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

namespace {

using Clock = std::chrono::steady_clock;

// Linear warm-up to lr, then cosine decay to lr * min_lr_ratio at max_steps.
double LearningRate(const SftConfig& c, int step) {
  if (step < c.warmup_steps) return c.lr * (step + 1) / c.warmup_steps;
  double progress = static_cast<double>(step - c.warmup_steps) / std::max(1, c.max_steps - c.warmup_steps);
  double cosine = 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
  return c.lr * (c.min_lr_ratio + (1.0 - c.min_lr_ratio) * cosine);
}

// Batches of one epoch: a seeded shuffle, then length bucketing inside windows of 32 batches (similar
// lengths share a batch, so padding stays small), then the batch order shuffled again. A pure function
// of (seed, epoch), which is what makes resume exact.
std::vector<std::vector<int>> EpochBatches(const std::vector<TokenizedExample>& examples, int batch_size,
                                           uint64_t seed, int epoch) {
  const int n = static_cast<int>(examples.size());
  std::vector<int> order = util::SeededPermutation(n, seed, "sft-epoch-" + std::to_string(epoch));
  const int window = batch_size * 32;
  for (int start = 0; start < n; start += window) {
    auto end = order.begin() + std::min(n, start + window);
    std::stable_sort(order.begin() + start, end, [&](int a, int b) {
      return examples[a].ids.size() < examples[b].ids.size();
    });
  }
  std::vector<std::vector<int>> batches;
  for (int start = 0; start < n; start += batch_size) {
    batches.emplace_back(order.begin() + start, order.begin() + std::min(n, start + batch_size));
  }
  std::vector<int> batch_order =
      util::SeededPermutation(static_cast<int>(batches.size()), seed, "sft-batches-" + std::to_string(epoch));
  std::vector<std::vector<int>> shuffled;
  for (int i : batch_order) shuffled.push_back(std::move(batches[i]));
  return shuffled;
}

struct Batch {
  torch::Tensor ids, mask, target, weights;
  long long tokens = 0;
};

// Right-padded tensors for one batch.
Batch MakeBatch(const std::vector<TokenizedExample>& examples, const std::vector<int>& indices, int pad_id,
                const torch::Device& device) {
  int64_t T = 0;
  for (int i : indices) T = std::max<int64_t>(T, examples[i].ids.size());
  const int64_t B = static_cast<int64_t>(indices.size());
  Batch b;
  b.ids = torch::full({B, T}, pad_id, torch::kLong);
  b.mask = torch::zeros({B, T}, torch::kLong);
  b.target = torch::zeros({B, T}, torch::kUInt8);
  b.weights = torch::empty({B}, torch::kFloat);
  auto ids = b.ids.accessor<int64_t, 2>();
  auto mask = b.mask.accessor<int64_t, 2>();
  auto target = b.target.accessor<uint8_t, 2>();
  for (int64_t r = 0; r < B; ++r) {
    const auto& e = examples[indices[r]];
    for (size_t t = 0; t < e.ids.size(); ++t) {
      ids[r][t] = e.ids[t];
      mask[r][t] = 1;
      target[r][t] = e.target[t];
    }
    b.weights[r] = static_cast<float>(e.weight);
    b.tokens += static_cast<long long>(e.ids.size());
  }
  b.ids = b.ids.to(device);
  b.mask = b.mask.to(device);
  b.target = b.target.to(device);
  b.weights = b.weights.to(device);
  return b;
}

// AdamW with weight decay on matrices only (norm gains and the value head bias are not decayed).
FusedAdamW MakeOptimizer(LlamaForCausalLM& model, const SftConfig& c) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model->named_parameters()) (p.value().dim() >= 2 ? decay : no_decay).push_back(p.value());
  auto options = torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).weight_decay(c.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
  auto no_decay_options = options;
  no_decay_options.weight_decay(0.0);
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(no_decay_options));
  return FusedAdamW(groups, options);
}

void SetLearningRate(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
}

void AppendLine(const std::string& path, const nlohmann::json& row) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) throw std::runtime_error("cannot append to " + path);
  std::string line = row.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), f);
  std::fclose(f);
}

}  // namespace

SftRunResult RunSft(const SftConfig& config, const std::string& out_dir, const EvalCallback& eval,
                    int stop_after_steps) {
  SftRunResult result;
  const bool tty = ::isatty(STDERR_FILENO);
  util::MakeDirs(out_dir + "/data");
  const nlohmann::json config_json = SftConfigToJson(config);
  std::cerr << FormatConfigTable(config_json, "SFT config");
  util::WriteFileAtomic(out_dir + "/config.json", config_json.dump(2) + "\n");
  const int threads = SetTorchThreads(config.threads);
  torch::manual_seed(config.seed);

  // 1. Data: every source rendered with its task's own prompt template.
  std::vector<TextExample> texts;
  for (const auto& source : config.train) {
    auto part = BuildTextExamples(source, out_dir + "/data");
    texts.insert(texts.end(), part.begin(), part.end());
  }

  // 2. Tokenizer: BPE trained on the training texts (kept on resume), so small models see short sequences.
  const std::string tokenizer_path = out_dir + "/tokenizer.json";
  std::vector<std::string> specials = tokenizer::DefaultSpecialTokens();
  for (const auto& s : config.train) {
    if (!s.condition.empty() && std::find(specials.begin(), specials.end(), s.condition) == specials.end()) {
      specials.push_back(s.condition);
    }
  }
  tokenizer::Tokenizer tok = [&] {
    // A real model keeps its own tokenizer (special tokens, chat template) through fine-tuning.
    if (!config.init_checkpoint.empty()) return LoadCheckpointTokenizer(config.init_checkpoint);
    if (util::FileExists(tokenizer_path)) return tokenizer::Tokenizer::Load(tokenizer_path);
    if (config.tokenizer_vocab == 0) return tokenizer::Tokenizer::ByteLevel(specials);
    std::vector<std::string> corpus;
    for (const auto& t : texts) corpus.push_back(t.prompt + t.completion);
    return tokenizer::TrainBpe(corpus, config.tokenizer_vocab, specials,
                               tokenizer::BpeOptions{config.tokenizer_split_digits});
  }();
  tok.Save(tokenizer_path);
  TokenizedSet data = TokenizeExamples(texts, tok, config.max_seq_len);
  if (data.examples.empty()) throw std::runtime_error("every training example is longer than max_seq_len");
  result.examples = static_cast<int>(data.examples.size());
  result.dropped_too_long = data.dropped_too_long;
  std::cerr << "data: " << data.examples.size() << " examples, " << data.total_tokens << " tokens ("
            << data.completion_tokens << " in completions), " << data.dropped_too_long
            << " dropped as longer than " << config.max_seq_len << "; vocab " << tok.vocab_size() << "\n";

  // 3. Model and optimizer.
  RuntimeConfig runtime{config.device, "float32", threads};
  LlamaForCausalLM model{nullptr};
  if (!config.init_checkpoint.empty()) {
    model = LoadCheckpoint(config.init_checkpoint, runtime);
  } else {
    ModelConfig model_config = OverrideConfig(PresetConfig(config.preset, tok.vocab_size()),
                                              config.model_overrides, "model_overrides");
    model_config.bos_token_id = tok.bos_id();
    model_config.eos_token_id = tok.eos_id();
    model_config.pad_token_id = tok.pad_id();
    model_config.max_position_embeddings = std::max(model_config.max_position_embeddings, config.max_seq_len + config.eval_max_new_tokens);
    model = BuildModel(model_config, runtime, config.seed);
  }
  const torch::Device device = model->options().device();
  FusedAdamW optimizer = MakeOptimizer(model, config);
  const int pad_id = std::max(0, tok.pad_id());

  // 4. Resume from the last saved state, if any.
  // The resume state (weights + optimizer + data position) is written to state.new/ and then swapped in
  // for state/, so a kill at any moment leaves one complete state to resume from.
  const std::string state_dir = out_dir + "/state";
  const std::string state_new = out_dir + "/state.new";
  const std::string metrics_path = out_dir + "/metrics.jsonl";
  int step = 0, epoch = 0, batch_index = 0;
  const std::string resume_dir = HasTrainingState(state_dir) ? state_dir
                                 : HasTrainingState(state_new) ? state_new : std::string();
  if (!resume_dir.empty()) {
    LoadModelWeights(model, resume_dir + "/model.safetensors");
    TrainingState state = LoadTrainingState(resume_dir, model, optimizer);
    step = static_cast<int>(state.step);
    epoch = state.data_position.value("epoch", 0);
    batch_index = state.data_position.value("batch_index", 0);
    result.resumed = true;
    std::cerr << "resumed at step " << step << " (epoch " << epoch << ", batch " << batch_index << ")\n";
  } else if (util::FileExists(metrics_path)) {
    std::filesystem::remove(metrics_path);  // a fresh run starts a fresh log
  }
  auto save = [&](int at_step) {
    SaveCheckpoint(out_dir + "/checkpoint", model, tok);
    TrainingState state;
    state.step = at_step;
    state.data_position = {{"epoch", epoch}, {"batch_index", batch_index}};
    std::filesystem::remove_all(state_new);
    util::MakeDirs(state_new);
    SaveModelWeights(model, state_new + "/model.safetensors");
    SaveTrainingState(state_new, model, optimizer, state);
    std::filesystem::remove_all(state_dir);
    std::filesystem::rename(state_new, state_dir);
  };

  // 5. The loop.
  std::vector<std::vector<int>> batches = EpochBatches(data.examples, config.batch_size, config.seed, epoch);
  auto next_batch = [&]() -> const std::vector<int>& {
    if (batch_index >= static_cast<int>(batches.size())) {
      ++epoch;
      batch_index = 0;
      batches = EpochBatches(data.examples, config.batch_size, config.seed, epoch);
    }
    return batches[batch_index++];
  };
  model->train();
  const auto start = Clock::now();
  auto window_start = start;
  long long window_tokens = 0;
  double loss_value = 0;
  const int first_step = step;
  while (step < config.max_steps) {
    const double lr = LearningRate(config, step);
    SetLearningRate(optimizer, lr);
    // Gather the step's micro-batches first, so the loss is normalised by the whole step's weight.
    std::vector<Batch> micro;
    double denominator = 0;
    for (int a = 0; a < config.grad_accum; ++a) {
      micro.push_back(MakeBatch(data.examples, next_batch(), pad_id, device));
      const Batch& b = micro.back();
      denominator += (b.target.slice(1, 1).to(torch::kFloat) * b.weights.unsqueeze(1)).sum().item<double>();
    }
    optimizer.ClearGradients();
    double step_loss = 0;
    for (const Batch& b : micro) {
      double unused = 0;
      torch::Tensor logits = model->Forward(b.ids, b.mask);
      torch::Tensor loss_sum = WeightedCompletionLossSum(logits, b.ids, b.target, b.weights, &unused);
      torch::Tensor loss = loss_sum / std::max(denominator, 1e-12);
      loss.backward();
      step_loss += loss.item<double>();
      window_tokens += b.tokens;
      result.tokens_seen += b.tokens;
    }
    double grad_norm = 0;
    if (config.grad_clip > 0) {
      grad_norm = torch::nn::utils::clip_grad_norm_(model->parameters(), config.grad_clip);
    }
    optimizer.step();
    ++step;
    loss_value = step_loss;

    const bool last = step == config.max_steps;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const bool out_of_time = config.max_minutes > 0 && elapsed > config.max_minutes * 60;
    if (step % config.log_every == 0 || last || out_of_time) {
      const double window = std::chrono::duration<double>(Clock::now() - window_start).count();
      const double tps = window > 0 ? window_tokens / window : 0;
      const double eta = (step - first_step) > 0 ? elapsed / (step - first_step) * (config.max_steps - step) : 0;
      nlohmann::json row = {{"step", step}, {"loss", loss_value}, {"lr", lr}, {"grad_norm", grad_norm},
                            {"tokens_per_second", tps}, {"elapsed_seconds", elapsed}};
      AppendLine(metrics_path, row);
      char line[200];
      std::snprintf(line, sizeof line, "sft step %d/%d  loss %.4f  lr %.2e  |g| %.2f  %.0f tok/s  ETA %.0fs",
                    step, config.max_steps, loss_value, lr, grad_norm, tps, eta);
      std::cerr << (tty ? "\r" : "") << line << (tty ? "   " : "\n") << std::flush;
      window_start = Clock::now();
      window_tokens = 0;
    }
    if (eval && config.eval_every > 0 && step % config.eval_every == 0 && !last) {
      model->eval();
      double accuracy = eval(model, tok, step);
      model->train();
      if (accuracy >= 0) AppendLine(metrics_path, {{"step", step}, {"eval_accuracy", accuracy}});
    }
    if (config.save_every > 0 && step % config.save_every == 0 && !last) save(step);
    if (stop_after_steps > 0 && step - first_step >= stop_after_steps) {
      save(step);
      if (tty) std::cerr << "\n";
      result.steps = step;
      return result;
    }
    if (out_of_time) {
      std::cerr << (tty ? "\n" : "") << "time budget of " << config.max_minutes << " min reached at step " << step
                << "\n";
      break;
    }
  }
  if (tty) std::cerr << "\n";
  result.train_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.tokens_per_second = result.train_seconds > 0 ? result.tokens_seen / result.train_seconds : 0;
  result.steps = step;
  result.final_loss = loss_value;
  save(step);
  if (eval) {
    model->eval();
    double accuracy = eval(model, tok, step);
    if (accuracy >= 0) AppendLine(metrics_path, {{"step", step}, {"eval_accuracy", accuracy}});
  }
  result.checkpoint_dir = out_dir + "/checkpoint";
  return result;
}

}  // namespace trainers
