#include "trainers/rl/reward_model.h"

#include <set>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/distributed/world.h"
#include "trainers/rl/rollout.h"
#include "trainers/scaffold/training_run.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::rl {

namespace {

// The classifier's logit for each row: the value head at the row's last response token.
at::Tensor LastTokenLogits(LlamaForCausalLM& model, const std::vector<Sample>& samples, const std::vector<int>& rows,
                           int pad_id) {
  TokenBatch b = MakeTokenBatch(samples, rows, pad_id, model->options().device());
  // Read the value at the state after the last token: shift the index one position right.
  b.index = b.index + 1;
  const at::Tensor values = model->Values(ResponseStates(model, b)).squeeze(-1).to(torch::kFloat);  // [B, L]
  std::vector<int64_t> last;
  for (int r : rows) last.push_back(static_cast<int64_t>(samples[r].response_ids.size()) - 1);
  const at::Tensor idx = torch::tensor(last, torch::kLong).to(values.device()).unsqueeze(1);
  return values.gather(1, idx).squeeze(1);
}

}  // namespace

RewardModelResult TrainRewardModel(const SftConfig& settings, const RewardModelOptions& options,
                                   const std::string& out_dir) {
  util::MakeDirs(out_dir);
  const int threads = SetTorchThreads(settings.threads);
  torch::manual_seed(settings.seed);
  // 1. Samples from the starting checkpoint (ReFT: the warm-up), labelled by the task's own grader,
  //    deduplicated per question.
  const tokenizer::Tokenizer tok = LoadCheckpointTokenizer(settings.init_checkpoint);
  const RuntimeConfig runtime{settings.device, "float32", threads};
  LlamaForCausalLM model = LoadWithValueHead(settings.init_checkpoint, runtime, settings.seed);
  RolloutOptions rollout;
  rollout.samples = options.k;
  rollout.temperature = options.temperature;
  rollout.max_new_tokens = options.max_new_tokens;
  rollout.seed = settings.seed ^ 0x6f726dULL;
  GradedSamples graded =
      SampleAndGrade(model, tok, settings, options.tasks, options.questions, rollout, out_dir + "/data");
  std::vector<Sample>& sampled = graded.samples;
  const std::vector<Reward>& rewards = graded.rewards;
  std::vector<Sample> data;
  std::vector<float> labels;
  std::vector<std::set<std::vector<int>>> seen(graded.questions.size());
  for (size_t i = 0; i < sampled.size(); ++i) {
    if (!seen[sampled[i].question].insert(sampled[i].response_ids).second) continue;
    sampled[i].action.assign(sampled[i].response_ids.size(), 1);
    data.push_back(std::move(sampled[i]));
    labels.push_back(rewards[i].correct ? 1.0f : 0.0f);
  }
  double positives = 0;
  for (float l : labels) positives += l;
  std::cerr << "orm: " << data.size() << " unique samples, " << positives << " correct\n";

  // 2. Binary cross-entropy on the logit at the last token, through the shared scaffold (resumable).
  FusedAdamW optimizer = MakeAdamW(model, settings.lr, settings.beta1, settings.beta2, settings.weight_decay);
  TrainingRun run(RunOptionsFor(settings, out_dir, "orm", 0), model, optimizer, tok);
  const nlohmann::json position = run.Resume();
  int epoch = position.value("epoch", 0), batch_index = position.value("batch_index", 0);
  std::vector<int> lengths;
  for (const auto& s : data) lengths.push_back(static_cast<int>(s.prompt_ids.size() + s.response_ids.size()));
  auto batches = SeededEpochBatches(lengths, settings.batch_size, settings.seed, epoch, "orm");
  const int pad_id = std::max(0, tok.pad_id());
  while (!run.Done()) {
    SetLearningRate(optimizer, CosineLearningRate(settings.lr, settings.min_lr_ratio, settings.warmup_steps,
                                                  settings.max_steps, run.step()));
    if (batch_index >= static_cast<int>(batches.size())) {
      batches = SeededEpochBatches(lengths, settings.batch_size, settings.seed, ++epoch, "orm");
      batch_index = 0;
    }
    const std::vector<int>& global_rows = batches[batch_index++];
    long long tokens = 0;
    for (int r : global_rows) tokens += lengths[r];
    // Data parallel: this rank's rows, its loss the sum over them divided by the global batch's size.
    const std::vector<int> rows = dist::ShareOf(global_rows);
    std::vector<float> y;
    for (int r : rows) y.push_back(labels[r]);
    double accuracy = 0;
    StepResult step = GradientStep(model, optimizer, 1, [&](int) {
      if (rows.empty()) return 0.0;
      const at::Tensor logits = LastTokenLogits(model, data, rows, pad_id);
      const at::Tensor target = torch::tensor(y).to(logits.device());
      const at::Tensor hits = ((logits.detach() > 0).to(torch::kFloat) == target).to(torch::kFloat);
      at::Tensor loss;
      if (!dist::Active()) {
        loss = torch::binary_cross_entropy_with_logits(logits, target);
        accuracy = hits.mean().item<double>();
      } else {
        loss = torch::binary_cross_entropy_with_logits(logits, target, {}, {}, at::Reduction::Sum) /
               static_cast<double>(global_rows.size());
        accuracy = hits.sum().item<double>() / static_cast<double>(global_rows.size());
      }
      loss.backward();
      return loss.item<double>();
    }, settings.grad_clip);
    accuracy = dist::AllReduceSum(accuracy);
    run.EndStep({{"loss", step.loss}, {"accuracy", accuracy}, {"grad_norm", step.grad_norm}},
                {{"epoch", epoch}, {"batch_index", batch_index}}, tokens);
  }
  run.Finish({{"epoch", epoch}, {"batch_index", batch_index}});
  return {run.checkpoint_dir(),
          {{"steps", run.step()}, {"train_seconds", run.train_seconds()}, {"samples", data.size()},
           {"positives", positives},
           {"tokens_per_second", run.train_seconds() > 0 ? run.tokens_seen() / run.train_seconds() : 0.0}}};
}

struct RewardModelScorer::Impl {
  Impl(const std::string& checkpoint, int threads)
      : tok(LoadCheckpointTokenizer(checkpoint)), model(LoadCheckpoint(checkpoint, RuntimeConfig{"cpu", "float32", threads})) {}
  tokenizer::Tokenizer tok;
  LlamaForCausalLM model;
};

RewardModelScorer::RewardModelScorer(const std::string& checkpoint, int threads)
    : impl_(std::make_unique<Impl>(checkpoint, threads)) {
  if (!impl_->model->value_head) {
    throw util::InputError(util::Location{checkpoint, 0, "reranker"}, "this checkpoint has no classifier head");
  }
  impl_->model->eval();
}

RewardModelScorer::~RewardModelScorer() = default;

std::vector<std::vector<double>> RewardModelScorer::Score(
    const std::vector<std::string>& prompts, const std::vector<std::vector<std::string>>& completions) const {
  std::vector<Sample> samples;
  std::vector<std::pair<size_t, size_t>> where;
  for (size_t i = 0; i < prompts.size(); ++i) {
    for (size_t j = 0; j < completions[i].size(); ++j) {
      samples.push_back(TextSample(impl_->tok, prompts[i], completions[i][j]));
      where.emplace_back(i, j);
    }
  }
  std::vector<std::vector<double>> scores(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) scores[i].assign(completions[i].size(), 0.0);
  torch::NoGradGuard no_grad;
  const int pad_id = std::max(0, impl_->tok.pad_id());
  for (size_t begin = 0; begin < samples.size(); begin += 64) {
    std::vector<int> rows;
    for (size_t r = begin; r < std::min(samples.size(), begin + 64); ++r) rows.push_back(static_cast<int>(r));
    const at::Tensor p = torch::sigmoid(LastTokenLogits(impl_->model, samples, rows, pad_id)).to(torch::kDouble);
    for (size_t r = 0; r < rows.size(); ++r) scores[where[rows[r]].first][where[rows[r]].second] = p[r].item<double>();
  }
  return scores;
}

}  // namespace trainers::rl
