// SFT main loop. Reads top to bottom: data → tokenizer → model → optimizer → (resume) → loop
// {lr schedule, gather micro-batches, one gradient step, log/eval/save (the scaffold)} → final save.
#include "trainers/sft/sft_trainer.h"

#include <algorithm>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/distributed/world.h"
#include "trainers/model/fused_adamw.h"
#include "trainers/model/llama.h"
#include "trainers/scaffold/training_run.h"
#include "trainers/sft/sft_data.h"
#include "trainers/sft/sft_loss.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

namespace {

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

}  // namespace

std::vector<TextExample> BuildTrainingTexts(const SftConfig& config, const std::string& data_dir) {
  util::MakeDirs(data_dir);
  std::vector<TextExample> texts;
  for (const auto& source : config.train) {
    auto part = BuildTextExamples(source, data_dir);
    texts.insert(texts.end(), part.begin(), part.end());
  }
  return texts;
}

tokenizer::Tokenizer BuildTokenizer(const SftConfig& config, const std::vector<TextExample>& texts,
                                    const std::vector<std::string>& special_tokens) {
  if (!config.init_checkpoint.empty()) {
    // Continued training keeps the checkpoint's own tokenizer (a real model's too: special tokens, chat
    // template): its ids are what the weights learned.
    tokenizer::Tokenizer tok = LoadCheckpointTokenizer(config.init_checkpoint);
    for (const auto& token : special_tokens) {
      if (tok.TokenId(token) < 0 || !tok.IsSpecial(tok.TokenId(token))) {
        throw util::InputError(util::Location{config.init_checkpoint, 0, "init_checkpoint"},
                               "the checkpoint's tokenizer has no special token " + token +
                                   " that this training needs; start from a model whose tokenizer has it");
      }
    }
    return tok;
  }
  std::vector<std::string> specials = tokenizer::DefaultSpecialTokens();
  for (const auto& token : special_tokens) {
    if (std::find(specials.begin(), specials.end(), token) == specials.end()) specials.push_back(token);
  }
  if (config.tokenizer_vocab == 0) return tokenizer::Tokenizer::ByteLevel(specials);
  std::vector<std::string> corpus;
  for (const auto& t : texts) corpus.push_back(t.prompt + t.completion);
  return tokenizer::TrainBpe(corpus, config.tokenizer_vocab, specials,
                             tokenizer::BpeOptions{config.tokenizer_split_digits});
}

namespace {

// A fresh model for the tokenizer: the preset (with overrides), its special-token ids, a position range
// covering the longest example plus the evaluation's generation budget, initialised from the seed.
LlamaForCausalLM FreshModel(const SftConfig& config, const tokenizer::Tokenizer& tok, const RuntimeConfig& runtime) {
  ModelConfig model_config =
      OverrideConfig(PresetConfig(config.preset, tok.vocab_size()), config.model_overrides, "model_overrides");
  model_config.bos_token_id = tok.bos_id();
  model_config.eos_token_id = tok.eos_id();
  model_config.pad_token_id = tok.pad_id();
  model_config.max_position_embeddings =
      std::max(model_config.max_position_embeddings, config.max_seq_len + config.eval_max_new_tokens);
  return BuildModel(model_config, runtime, config.seed);
}

}  // namespace

void SaveInitialModel(const SftConfig& config, const std::vector<TextExample>& texts,
                      const std::vector<std::string>& special_tokens, const std::string& dir) {
  const tokenizer::Tokenizer tok = BuildTokenizer(config, texts, special_tokens);
  const RuntimeConfig runtime{config.device, "float32", SetTorchThreads(config.threads)};
  LlamaForCausalLM model = config.init_checkpoint.empty() ? FreshModel(config, tok, runtime)
                                                          : LoadCheckpoint(config.init_checkpoint, runtime);
  SaveCheckpoint(dir, model, tok);
}

SftRunResult RunSft(const SftConfig& config, const std::string& out_dir, const EvalCallback& eval,
                    int stop_after_steps) {
  std::vector<std::string> conditions;
  for (const auto& s : config.train) {
    if (!s.condition.empty()) conditions.push_back(s.condition);
  }
  return TrainOnTexts(config, BuildTrainingTexts(config, out_dir + "/data"), conditions, out_dir, eval,
                      stop_after_steps);
}

SftRunResult TrainOnTexts(const SftConfig& config, const std::vector<TextExample>& texts,
                          const std::vector<std::string>& special_tokens, const std::string& out_dir,
                          const EvalCallback& eval, int stop_after_steps, const std::string& label) {
  SftRunResult result;
  util::MakeDirs(out_dir);
  const nlohmann::json config_json = SftConfigToJson(config);
  std::cerr << FormatConfigTable(config_json, label + " config");
  util::WriteFileAtomic(out_dir + "/config.json", config_json.dump(2) + "\n");
  const int threads = SetTorchThreads(config.threads);
  torch::manual_seed(config.seed);

  // 1. Tokenizer: the init checkpoint's, or BPE trained on the training texts (kept on resume).
  const std::string tokenizer_path = out_dir + "/tokenizer.json";
  const bool resuming = util::FileExists(tokenizer_path);
  tokenizer::Tokenizer tok = resuming && config.init_checkpoint.empty()
                                 ? tokenizer::Tokenizer::Load(tokenizer_path)
                                 : BuildTokenizer(config, texts, special_tokens);
  if (resuming && tokenizer::Tokenizer::Load(tokenizer_path).ToJson() != tok.ToJson()) {
    throw util::InputError(util::Location{tokenizer_path, 0, "init_checkpoint"},
                           "this directory was trained with another tokenizer than " + config.init_checkpoint +
                               "'s; use a fresh output directory");
  }
  tok.Save(tokenizer_path);

  // 2. Data: tokenized with the loss on completion tokens only.
  TokenizedSet data = TokenizeExamples(texts, tok, config.max_seq_len);
  if (data.examples.empty()) throw std::runtime_error("every training example is longer than max_seq_len");
  result.examples = static_cast<int>(data.examples.size());
  result.dropped_too_long = data.dropped_too_long;
  std::cerr << "data: " << data.examples.size() << " examples, " << data.total_tokens << " tokens ("
            << data.completion_tokens << " in completions), " << data.dropped_too_long
            << " dropped as longer than " << config.max_seq_len << "; vocab " << tok.vocab_size() << "\n";

  // 3. Model and optimizer.
  const RuntimeConfig runtime{config.device, "float32", threads};
  LlamaForCausalLM model = config.init_checkpoint.empty() ? FreshModel(config, tok, runtime)
                                                          : LoadCheckpoint(config.init_checkpoint, runtime);
  const torch::Device device = model->options().device();
  FusedAdamW optimizer = MakeAdamW(model, config.lr, config.beta1, config.beta2, config.weight_decay);
  const int pad_id = std::max(0, tok.pad_id());

  // 4. The scaffold: resume from the last saved state, if any.
  TrainingRun run(RunOptionsFor(config, out_dir, label, stop_after_steps), model, optimizer, tok, eval);
  const nlohmann::json position = run.Resume();
  int epoch = position.value("epoch", 0), batch_index = position.value("batch_index", 0);
  result.resumed = run.resumed();

  // 5. The loop: seeded epoch order, then one gradient step over grad_accum micro-batches.
  std::vector<int> lengths;
  for (const auto& e : data.examples) lengths.push_back(static_cast<int>(e.ids.size()));
  std::vector<std::vector<int>> batches = SeededEpochBatches(lengths, config.batch_size, config.seed, epoch, "sft");
  auto next_batch = [&]() -> const std::vector<int>& {
    if (batch_index >= static_cast<int>(batches.size())) {
      ++epoch;
      batch_index = 0;
      batches = SeededEpochBatches(lengths, config.batch_size, config.seed, epoch, "sft");
    }
    return batches[batch_index++];
  };
  model->train();
  double loss_value = 0;
  while (!run.Done()) {
    const double lr =
        CosineLearningRate(config.lr, config.min_lr_ratio, config.warmup_steps, config.max_steps, run.step());
    SetLearningRate(optimizer, lr);
    // Gather the step's micro-batches first, so the loss is normalised by the whole step's weight.
    std::vector<Batch> micro;
    double denominator = 0;
    long long tokens = 0;
    // Data parallel: the denominator and token count are the whole batch's; each rank runs its share.
    for (int a = 0; a < config.grad_accum; ++a) {
      const std::vector<int>& rows = next_batch();
      Batch b = MakeBatch(data.examples, rows, pad_id, device);
      denominator += (b.target.slice(1, 1).to(torch::kFloat) * b.weights.unsqueeze(1)).sum().item<double>();
      tokens += b.tokens;
      micro.push_back(dist::Active() ? MakeBatch(data.examples, dist::ShareOf(rows), pad_id, device) : std::move(b));
    }
    StepResult step = GradientStep(model, optimizer, config.grad_accum, [&](int m) {
      if (micro[m].ids.size(0) == 0) return 0.0;  // a rank with no rows of this micro-batch
      double unused = 0;
      torch::Tensor logits = model->Forward(micro[m].ids, micro[m].mask);
      torch::Tensor loss =
          WeightedCompletionLossSum(logits, micro[m].ids, micro[m].target, micro[m].weights, &unused) /
          std::max(denominator, 1e-12);
      loss.backward();
      return loss.item<double>();
    }, config.grad_clip);
    loss_value = step.loss;
    run.EndStep({{"loss", step.loss}, {"lr", lr}, {"grad_norm", step.grad_norm}},
                {{"epoch", epoch}, {"batch_index", batch_index}}, tokens);
  }
  run.Finish({{"epoch", epoch}, {"batch_index", batch_index}});
  result.train_seconds = run.train_seconds();
  result.tokens_seen = run.tokens_seen();
  result.tokens_per_second = result.train_seconds > 0 ? result.tokens_seen / result.train_seconds : 0;
  result.steps = run.step();
  result.final_loss = loss_value;
  result.checkpoint_dir = run.checkpoint_dir();
  return result;
}

}  // namespace trainers
