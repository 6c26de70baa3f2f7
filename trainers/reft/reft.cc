// ReFT's loop (and its on-policy baselines), top to bottom:
//   1. questions and tokenizer of the warm-up; 2. policy (+ value head), frozen reference, optimizer, resume;
//   then per step: 3. rollout; 4. rewards; 5. old log-probs, values and reference log-probs; 6. KL, token
//   rewards and advantages; 7. ppo_epochs gradient steps; 8. log.
#include "trainers/reft/reft.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <set>

#include <torch/torch.h>

#include "harness/sandbox/program_runner.h"
#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "tasks/registry.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/distributed/world.h"
#include "trainers/rl/offline_data.h"
#include "trainers/rl/ppo_math.h"
#include "trainers/rl/rollout.h"
#include "trainers/scaffold/training_run.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

const util::Fields<ReftOptions>& ReftOptionsFields() {
  using O = ReftOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("algorithm", &O::algorithm, "ppo (ReFT) | grpo | online-st (Online self-training)",
           util::OneOf({"ppo", "grpo", "online-st"}))
        .Add("tasks", &O::tasks, "families trained on (empty = every task of the run but code)")
        .Add("samples", &O::samples, "responses sampled per question each step (grpo: the group size)",
             util::InRange(1, 64))
        .Add("temperature", &O::temperature, "rollout temperature (ReFT: 1, no top-k/top-p)", util::InRange(0.05, 2.0))
        .Add("max_new_tokens", &O::max_new_tokens, "rollout length cap (0 = training.eval_max_new_tokens)",
             util::InRange(0, 4096))
        .Add("partial_reward", &O::partial_reward, "reward of an extractable wrong answer (0 = ablation)",
             util::InRange(0.0, 1.0))
        .Add("partial_on_choice", &O::partial_on_choice, "also give the partial reward on multiple choice")
        .Add("beta", &O::beta, "KL coefficient against the frozen warm-up (ReFT: 0.05 N-CoT; 0 = ablation)",
             util::InRange(0.0, 10.0))
        .Add("kl_placement", &O::kl_placement, "reward: per-token penalty in the reward (PPO); loss: added to the loss",
             util::OneOf({"reward", "loss"}))
        .Add("kl_estimator", &O::kl_estimator, "k1 | k2 | k3", util::OneOf({"k1", "k2", "k3"}))
        .Add("kl_target", &O::kl_target, "> 0: adaptive beta towards this KL per sequence (Ziegler et al.)",
             util::AtLeast(0.0))
        .Add("kl_horizon", &O::kl_horizon, "adaptive beta's horizon in samples", util::AtLeast(1.0))
        .Add("ppo_epochs", &O::ppo_epochs, "gradient steps per rollout", util::InRange(1, 16))
        .Add("gamma", &O::gamma, "GAE discount (ReFT's code: 1)", util::InRange(0.0, 1.0))
        .Add("lambda", &O::lambda, "GAE lambda (ReFT's code: 0.95)", util::InRange(0.0, 1.0))
        .Add("clip", &O::clip, "policy ratio clip", util::InRange(0.0, 1.0))
        .Add("value_clip", &O::value_clip, "value clip around the old values", util::AtLeast(0.0))
        .Add("vf_coef", &O::vf_coef, "value loss coefficient (ReFT: 5)", util::AtLeast(0.0))
        .Add("loss_aggregation", &O::loss_aggregation, "seq-mean-token-mean (ReFT) | token-mean",
             util::OneOf({"seq-mean-token-mean", "token-mean"}))
        .Add("critic_warmup_steps", &O::critic_warmup_steps, "first steps update the value head only",
             util::AtLeast(0))
        .Add("value_head_from", &O::value_head_from, "checkpoint with a value head to start it from (\"\" = fresh)")
        .Add("fresh_value_head", &O::fresh_value_head, "a fresh value head even when the warm-up checkpoint has one")
        .Add("value_model", &O::value_model,
             "shared: the value head on the policy's trunk (ReFT); separate: a second model from the warm-up, trained "
             "on the value loss alone (ReFT Table 6's non-shared value model)",
             util::OneOf({"shared", "separate"}))
        .Add("whiten_advantages", &O::whiten_advantages, "whiten advantages over the batch (mean kept)")
        .Add("chunk_forward_cost", &O::chunk_forward_cost,
             "the batch is scored and updated in length-sorted chunks, each padded only to its longest row, cut where "
             "the padded positions plus this many per chunk (a forward's fixed cost) are fewest; -1 = the whole batch "
             "padded as one (the same updates up to float rounding)",
             util::InRange(-1, 1 << 20))
        .Add("reuse_first_pass", &O::reuse_first_pass,
             "the first update's forward also gives the old log-probs and values, the policy not having moved yet "
             "(false: a separate forward before the updates; the same updates up to float rounding). It keeps every "
             "chunk's activations until the first update, the memory of the batch in one piece: set false where "
             "that does not fit")
        .Add("grpo_scale_by_std", &O::grpo_scale_by_std, "grpo: divide by the group's std (false: Dr. GRPO)")
        .Add("offline_data", &O::offline_data, "offline trajectories (jsonl: prompt, completion, reward) for retention")
        .Add("offline_sft_coef", &O::offline_sft_coef,
             "retention: coefficient of the weighted NLL of batch_size offline texts in every policy update (0 = off)",
             util::AtLeast(0.0))
        .Add("offline_probe", &O::offline_probe,
             "held-out offline trajectories whose mean value prediction is logged each step (\"\" = none)");
    f->Rule([](const O& o) {
      return o.value_model == "shared" || o.algorithm == "ppo"
                 ? util::Ok()
                 : util::RuleFailure{"value_model", "a value model is PPO's; " + o.algorithm + " has none"};
    });
    f->Rule([](const O& o) {
      return !(o.fresh_value_head && !o.value_head_from.empty())
                 ? util::Ok()
                 : util::RuleFailure{"fresh_value_head", "a fresh value head or one from value_head_from, not both"};
    });
    f->Rule([](const O& o) {
      return o.offline_sft_coef == 0 || !o.offline_data.empty()
                 ? util::Ok()
                 : util::RuleFailure{"offline_data", "offline_sft_coef > 0 needs offline trajectories"};
    });
    f->Rule([](const O& o) {
      return o.offline_sft_coef == 0 || o.algorithm != "online-st"
                 ? util::Ok()
                 : util::RuleFailure{"offline_sft_coef", "online-st already mixes in gold chains"};
    });
    f->Rule([](const O& o) {
      return o.algorithm != "grpo" || o.kl_placement == "loss"
                 ? util::Ok()
                 : util::RuleFailure{"kl_placement", "grpo has no per-token rewards: put the KL in the loss"};
    });
    f->Rule([](const O& o) {
      return o.algorithm != "grpo" || o.samples >= 2 ? util::Ok()
                                                     : util::RuleFailure{"samples", "grpo needs >= 2 samples per question"};
    });
    return f;
  }();
  return *fields;
}

std::vector<std::string> ReftTasks(const SftConfig& settings, const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  for (const auto& s : settings.train) {
    const bool code = tasks::GradedByTests(s.task);
    const bool listed = std::find(wanted.begin(), wanted.end(), s.task) != wanted.end();
    if (wanted.empty() ? !code : listed) out.push_back(s.task);
  }
  for (const auto& w : wanted) {
    if (std::find(out.begin(), out.end(), w) == out.end()) {
      throw util::InputError(util::Location{"", 0, "reft.tasks"},
                             "task '" + w + "' is not one of the run's training tasks");
    }
  }
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / v.size();
}

// Data parallelism (trainers/distributed/world.h). Each rank rolls out its share of the step's questions
// (samples are seeded by question id, so they are the ones one rank would draw); each loss enters as this
// rank's part of the global mean (the local mean times the rank's share of the global denominator), so
// the summed gradients are the global batch's; what steers training (advantage whitening, the KL that
// adapts beta, whether any sample was correct) is reduced over every rank. With one rank none of this
// runs and the arithmetic is the single-process one.
double GlobalSum(double x) { return dist::AllReduceSum(x); }

double Share(double local) {
  const double total = dist::AllReduceSum(local);
  return total > 0 ? local / total : 0.0;
}

// A loss times its share of the global denominator (1 with one rank and one chunk: left as it is).
at::Tensor Weighted(const at::Tensor& loss, double share) { return share == 1.0 ? loss : loss * share; }

double GlobalMean(const std::vector<double>& v) {
  if (!dist::Active()) return Mean(v);
  double sum = 0;
  for (double x : v) sum += x;
  const double n = GlobalSum(static_cast<double>(v.size()));
  return n > 0 ? GlobalSum(sum) / n : 0.0;
}

// A figure each rank computes over its own part (an entropy, a clip fraction): the ranks' average.
double RankAverage(double x) { return dist::Active() ? GlobalSum(x) / dist::Size() : x; }

double GlobalMaskedMean(const at::Tensor& x, const at::Tensor& mask) {
  if (!dist::Active()) return rl::MaskedMean(x, mask).item<double>();
  const double n = GlobalSum(mask.sum().item<double>());
  return GlobalSum((x * mask).sum().item<double>()) / std::max(n, 1.0);
}

// rl::MaskedWhiten (mean kept) with the mean and variance of every rank's tokens.
at::Tensor GlobalWhiten(const at::Tensor& x, const at::Tensor& mask) {
  if (!dist::Active()) return rl::MaskedWhiten(x, mask, false);
  const double n = GlobalSum(mask.sum().item<double>());
  const double mean = GlobalSum((x * mask).sum().item<double>()) / std::max(n, 1.0);
  const at::Tensor centered = (x - mean) * mask;
  double var = GlobalSum((centered * centered).sum().item<double>()) / std::max(n, 1.0);
  if (n > 1) var *= n / (n - 1);  // Bessel's correction
  return ((x - mean) * (1.0 / std::sqrt(var + 1e-8)) + mean) * mask;
}

// Where a PPO step's time goes, over every logged step of the run's metrics log (it survives a resume):
// mean seconds of rollout (and of its prefill), rewards (P-CoT: the sandbox), scoring and update, and each
// stage's tokens/s (the rollout's also without its prefill, as `harness profile`'s decode rate); null when nothing
// was logged.
nlohmann::json StepTimeBreakdown(const std::string& metrics_path) {
  double rollout_s = 0, rollout_tok = 0, score_s = 0, score_tok = 0, update_s = 0, update_tok = 0, step_s = 0;
  double reward_s = 0, prefill_s = 0;
  int logged = 0;
  if (!util::FileExists(metrics_path)) return nullptr;
  for (const auto& line : util::ReadJsonLines(metrics_path)) {
    const nlohmann::json& m = line.value;
    if (!m.contains("rollout_seconds")) continue;
    ++logged;
    rollout_s += m["rollout_seconds"].get<double>();
    rollout_tok += m["rollout_tokens_per_second"].get<double>() * m["rollout_seconds"].get<double>();
    score_s += m["score_seconds"].get<double>();
    score_tok += m["score_tokens_per_second"].get<double>() * m["score_seconds"].get<double>();
    update_s += m["update_seconds"].get<double>();
    update_tok += m["update_tokens_per_second"].get<double>() * m["update_seconds"].get<double>();
    step_s += m["step_seconds"].get<double>();
    reward_s += m.value("reward_seconds", 0.0);
    prefill_s += m.value("rollout_prefill_seconds", 0.0);
  }
  if (logged == 0) return nullptr;
  return {{"logged_steps", logged}, {"step_seconds_mean", step_s / logged},
          {"rollout_seconds_mean", rollout_s / logged}, {"rollout_tokens_per_second", rollout_tok / std::max(rollout_s, 1e-9)},
          {"rollout_prefill_seconds_mean", prefill_s / logged},
          {"rollout_decode_tokens_per_second", rollout_tok / std::max(rollout_s - prefill_s, 1e-9)},
          {"reward_seconds_mean", reward_s / logged},
          {"score_seconds_mean", score_s / logged}, {"score_tokens_per_second", score_tok / std::max(score_s, 1e-9)},
          {"update_seconds_mean", update_s / logged}, {"update_tokens_per_second", update_tok / std::max(update_s, 1e-9)}};
}

std::vector<at::Tensor> Field(const std::vector<rl::TokenScores>& scores, at::Tensor rl::TokenScores::*field) {
  std::vector<at::Tensor> out;
  for (const auto& s : scores) out.push_back(s.*field);
  return out;
}

// Stage 7's inputs: the models, the batch and, in its whole layout [B, L], stages 5-6's old scores and targets.
struct UpdateInputs {
  LlamaForCausalLM& policy;
  LlamaForCausalLM& critic;       // the policy itself unless the value model is separate
  FusedAdamW& optimizer;
  FusedAdamW* critic_optimizer;   // the separate value model's
  const ReftOptions& options;
  double grad_clip;
  const rl::ChunkedBatch& batch;
  at::Tensor old_logp, old_values, ref_logp, advantages, returns;
  double beta;
  rl::KlEstimator estimator;
  rl::LossAggregation aggregation;
  bool ppo, separate, critic_only;
  rl::TokenBatch offline_batch;   // retention's offline texts (ids undefined: none)
  at::Tensor offline_weights;
};

struct UpdateLog {
  std::vector<double> policy_losses, value_losses, clipfracs, entropies, offline_sft_losses;  // one per epoch
  StepResult step{};
};

// Each chunk's share of a loss's global denominator (every chunk of every rank): the chunks' means weighted by
// it sum to the whole batch's mean. One chunk on one rank: exactly 1.
std::vector<double> ChunkShares(const rl::ChunkedBatch& batch, rl::LossAggregation aggregation) {
  std::vector<double> shares;
  double sum = 0;
  for (const rl::TokenBatch& chunk : batch.chunks) {
    shares.push_back(rl::AggregationDenominator(chunk.mask, aggregation));
    sum += shares.back();
  }
  const double total = GlobalSum(sum);
  for (double& x : shares) x = total > 0 ? x / total : 0.0;
  return shares;
}

// 7. ppo_epochs gradient steps over the whole batch (ReFT: minibatch = batch), one micro-batch per chunk.
// first_pass: epoch 1's forward of each chunk, made in stage 5 before the policy moved (empty: made here).
UpdateLog PolicyUpdates(const UpdateInputs& in, std::vector<rl::TokenScores> first_pass) {
  const ReftOptions& o = in.options;
  const rl::ChunkedBatch& cb = in.batch;
  const int chunks = static_cast<int>(cb.chunks.size());
  const std::vector<double> share = ChunkShares(cb, in.aggregation);
  const bool retain = in.offline_batch.ids.defined();
  const double offline_share =
      dist::Active() && retain ? Share((in.offline_weights.unsqueeze(1) * in.offline_batch.mask).sum().item<double>()) : 1.0;
  const double tokens = std::max(cb.whole.mask.sum().item<double>(), 1.0);  // this rank's action tokens
  UpdateLog log;
  for (int e = 0; e < o.ppo_epochs; ++e) {
    double policy_loss = 0, value_loss = 0, clipfrac = 0, entropy = 0, offline_nll = 0;
    // A value-only update of chunk c (the critic warm-up, the separate value model): its part of the clipped
    // value loss, backpropagated with vf_coef.
    const auto value_update = [&](const at::Tensor& values, int c) {
      const at::Tensor vl = Weighted(rl::ClippedValueLoss(values, cb.Gather(in.old_values, c), cb.Gather(in.returns, c),
                                                          cb.chunks[c].mask, o.value_clip, in.aggregation),
                                     share[c]);
      value_loss += vl.item<double>();
      const at::Tensor loss = o.vf_coef * vl;
      loss.backward();
      return loss.item<double>();
    };
    if (!(in.separate && in.critic_only)) log.step = GradientStep(in.policy, in.optimizer, chunks, [&](int c) {
      const rl::TokenBatch& chunk = cb.chunks[c];
      if (in.critic_only) {
        // Critic warm-up: the trunk is frozen for this step; only the value head learns.
        at::Tensor picked;
        {
          torch::NoGradGuard no_grad;
          picked = rl::ResponseStates(in.policy, chunk);
        }
        return value_update(in.policy->Values(picked).squeeze(-1), c);
      }
      rl::TokenScores now = e == 0 && !first_pass.empty()
                                ? std::move(first_pass[c])
                                : rl::ScoreTokens(in.policy, chunk, in.ppo && !in.separate, true);
      const rl::PolicyLoss pg = rl::ClippedPolicyLoss(now.logp, cb.Gather(in.old_logp, c), cb.Gather(in.advantages, c),
                                                      chunk.mask, o.clip, in.aggregation);
      at::Tensor loss = Weighted(pg.loss, share[c]);
      policy_loss += loss.item<double>();
      clipfrac += pg.clipfrac * chunk.mask.sum().item<double>() / tokens;
      entropy += (now.entropy.detach() * chunk.mask).sum().item<double>() / tokens;
      if (in.ppo && !in.separate) {
        const at::Tensor vl = Weighted(rl::ClippedValueLoss(now.values, cb.Gather(in.old_values, c), cb.Gather(in.returns, c),
                                                            chunk.mask, o.value_clip, in.aggregation),
                                       share[c]);
        value_loss += vl.item<double>();
        loss = loss + o.vf_coef * vl;
      }
      if (o.kl_placement == "loss" && in.beta > 0) {
        const at::Tensor k = rl::KlPerToken(now.logp, cb.Gather(in.ref_logp, c), in.estimator);
        loss = loss + in.beta * Weighted(rl::AggregateLoss(k, chunk.mask, in.aggregation), share[c]);
      }
      if (retain && c == 0) {
        const at::Tensor nll = Weighted(rl::WeightedNll(rl::ScoreTokens(in.policy, in.offline_batch, false, false).logp,
                                                    in.offline_batch.mask, in.offline_weights),
                                    offline_share);
        offline_nll += nll.item<double>();
        loss = loss + o.offline_sft_coef * nll;
      }
      loss.backward();
      return loss.item<double>();
    }, in.grad_clip);
    if (in.separate) {
      // The separate value model learns the same clipped value loss on its own trunk and optimizer.
      const StepResult critic_step = GradientStep(in.critic, *in.critic_optimizer, chunks, [&](int c) {
        return value_update(in.critic->Values(rl::ResponseStates(in.critic, cb.chunks[c])).squeeze(-1), c);
      }, in.grad_clip);
      if (in.critic_only) log.step = critic_step;
    }
    if (!in.critic_only) {
      log.policy_losses.push_back(policy_loss);
      log.clipfracs.push_back(clipfrac);
      log.entropies.push_back(entropy);
    }
    if (in.ppo) log.value_losses.push_back(value_loss);
    if (retain) log.offline_sft_losses.push_back(offline_nll);
  }
  return log;
}

// 7 (online-st). Each update: 1/2 CE on this step's correct samples + 1/2 CE on its questions' gold chains
// (ReFT §4.2); the gold chains alone when no sample was correct.
UpdateLog OnlineStUpdates(const UpdateInputs& in, const tokenizer::Tokenizer& tok, const std::vector<rl::Question>& batch,
                          const std::vector<rl::Sample>& samples, const std::vector<rl::Reward>& rewards, int pad_id,
                          int* correct_samples) {
  const c10::Device device = in.policy->options().device();
  std::vector<rl::Sample> gold;
  std::vector<int> gold_rows, correct_rows;
  for (size_t q = 0; q < batch.size(); ++q) {
    gold.push_back(rl::TextSample(tok, batch[q].prompt, batch[q].gold_completion));
    gold_rows.push_back(static_cast<int>(q));
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    if (rewards[i].correct) correct_rows.push_back(static_cast<int>(i));
  }
  *correct_samples = static_cast<int>(correct_rows.size());
  const rl::TokenBatch gold_batch = rl::MakeTokenBatch(gold, gold_rows, pad_id, device);
  rl::TokenBatch correct_batch;
  if (!correct_rows.empty()) correct_batch = rl::MakeTokenBatch(samples, correct_rows, pad_id, device);
  double gold_share = 1.0, correct_share = 1.0;
  bool any_correct = !correct_rows.empty();
  if (dist::Active()) {
    gold_share = Share(gold_batch.mask.sum().item<double>());
    correct_share = Share(correct_rows.empty() ? 0.0 : correct_batch.mask.sum().item<double>());
    any_correct = GlobalSum(static_cast<double>(correct_rows.size())) > 0;
  }
  UpdateLog log;
  for (int e = 0; e < in.options.ppo_epochs; ++e) {
    log.step = GradientStep(in.policy, in.optimizer, 1, [&](int) {
      at::Tensor loss =
          Weighted(-rl::MaskedMean(rl::ScoreTokens(in.policy, gold_batch, false, false).logp, gold_batch.mask), gold_share);
      if (any_correct) loss = 0.5 * loss;
      if (!correct_rows.empty()) {
        loss = loss - 0.5 * Weighted(rl::MaskedMean(rl::ScoreTokens(in.policy, correct_batch, false, false).logp,
                                                correct_batch.mask),
                                 correct_share);
      }
      log.policy_losses.push_back(loss.item<double>());
      loss.backward();
      return loss.item<double>();
    }, in.grad_clip);
  }
  return log;
}

}  // namespace

ReftResult RunReft(const SftConfig& settings, const ReftOptions& options, const std::string& out_dir,
                   int stop_after_steps, const EvalCallback& eval) {
  if (settings.init_checkpoint.empty()) {
    throw util::InputError(util::Location{"", 0, "init_checkpoint"}, "ReFT starts from a warm-up checkpoint");
  }
  if (dist::Active() && settings.batch_size < dist::Size()) {
    throw util::InputError(util::Location{"", 0, "training.batch_size"},
                           "data-parallel ReFT needs at least one question per rank in every batch (batch_size " +
                               std::to_string(settings.batch_size) + " < " + std::to_string(dist::Size()) + " ranks)");
  }
  util::MakeDirs(out_dir);
  const int threads = SetTorchThreads(settings.threads);
  torch::manual_seed(settings.seed);
  const bool ppo = options.algorithm == "ppo", grpo = options.algorithm == "grpo";
  const rl::KlEstimator estimator = rl::ParseKlEstimator(options.kl_estimator);
  const rl::LossAggregation aggregation = rl::ParseLossAggregation(options.loss_aggregation);

  // 1. The questions (no gold chain of thought is used except by online-st) and the warm-up's tokenizer.
  const tokenizer::Tokenizer tok = LoadCheckpointTokenizer(settings.init_checkpoint);
  const std::vector<rl::Question> questions =
      rl::TrainingQuestions(settings, ReftTasks(settings, options.tasks), out_dir + "/data");
  std::cerr << "reft: " << questions.size() << " training questions, algorithm " << options.algorithm << "\n";

  // 2. Policy = the warm-up (+ a fresh value head for PPO), the frozen reference = the warm-up (ReFT §3.1).
  const RuntimeConfig runtime{settings.device, "float32", threads};
  // A head made fresh on purpose is drawn from its own stream: the run's seed would give back the initial head
  // of a checkpoint trained from this seed (WSRL's offline head starts there), which its trunk has adapted to.
  const uint64_t head_seed = options.fresh_value_head ? settings.seed ^ 0x5eedf4e54ULL : settings.seed;
  // With a separate value model the policy has no head; the critic is a second copy of the warm-up with one,
  // its own optimizer, and its state saved beside the policy's.
  const bool separate = ppo && options.value_model == "separate";
  LlamaForCausalLM policy = ppo && !separate ? rl::LoadWithValueHead(settings.init_checkpoint, runtime, head_seed,
                                                                     options.value_head_from, options.fresh_value_head)
                                             : LoadCheckpoint(settings.init_checkpoint, runtime);
  LlamaForCausalLM critic = separate ? rl::LoadWithValueHead(settings.init_checkpoint, runtime, head_seed,
                                                             options.value_head_from, options.fresh_value_head)
                                     : policy;
  LlamaForCausalLM reference = LoadCheckpoint(settings.init_checkpoint, runtime);
  reference->eval();
  for (auto& p : reference->parameters()) p.set_requires_grad(false);
  FusedAdamW optimizer = MakeAdamW(policy, settings.lr, settings.beta1, settings.beta2, settings.weight_decay);
  TrainingRun run(RunOptionsFor(settings, out_dir, options.algorithm, stop_after_steps), policy, optimizer, tok, eval);
  std::unique_ptr<FusedAdamW> critic_optimizer;
  if (separate) {
    critic_optimizer = std::make_unique<FusedAdamW>(
        MakeAdamW(critic, settings.lr, settings.beta1, settings.beta2, settings.weight_decay));
    run.AddCompanion("value_model", critic, *critic_optimizer);
  }
  nlohmann::json position = run.Resume();
  int epoch = position.value("epoch", 0), batch_index = position.value("batch_index", 0);
  rl::AdaptiveKl kl_control{options.beta, options.kl_target, options.kl_horizon};
  kl_control.beta = position.value("beta", options.beta);
  const std::vector<int> unit_lengths(questions.size(), 1);
  std::vector<std::vector<int>> order = SeededEpochBatches(unit_lengths, settings.batch_size, settings.seed, epoch, "reft");
  const int pad_id = std::max(0, tok.pad_id());
  const c10::Device device = policy->options().device();
  rl::RewardOptions reward_options;
  reward_options.partial = options.partial_reward;
  reward_options.partial_on_choice = options.partial_on_choice;
  if (std::any_of(questions.begin(), questions.end(), [](const rl::Question& q) { return q.program_answers; })) {
    reward_options.program_runner = sandbox::MakeProgramRunner();  // one pool of fork servers for the whole run
  }
  rl::RolloutOptions rollout_options;
  rollout_options.samples = options.samples;
  rollout_options.temperature = options.temperature;
  rollout_options.max_new_tokens = options.max_new_tokens > 0 ? options.max_new_tokens : settings.eval_max_new_tokens;
  policy->eval();  // no dropout anywhere, also during updates (ReFT's code runs the update in eval mode)
  critic->eval();
  // Offline trajectories: mixed into policy updates (retention), and a held-out set whose value is logged.
  std::vector<rl::Sample> offline_samples, probe_samples;
  std::vector<double> probe_returns, offline_weights_all;
  if (options.offline_sft_coef > 0) {
    const auto offline = rl::ReadTrajectories(options.offline_data);
    offline_samples = rl::TrajectorySamples(tok, offline);
    for (const auto& t : offline) offline_weights_all.push_back(t.weight);
  }
  if (ppo && !options.offline_probe.empty()) {
    const auto probe = rl::ReadTrajectories(options.offline_probe);
    probe_samples = rl::TrajectorySamples(tok, probe);
    for (const auto& t : probe) probe_returns.push_back(t.reward);
  }

  while (!run.Done()) {
    const auto step_start = Clock::now();
    const double lr =
        CosineLearningRate(settings.lr, settings.min_lr_ratio, settings.warmup_steps, settings.max_steps, run.step());
    SetLearningRate(optimizer, lr);
    // 3. Rollout: this step's questions, `samples` responses each, seeded by (seed, step).
    if (batch_index >= static_cast<int>(order.size())) {
      order = SeededEpochBatches(unit_lengths, settings.batch_size, settings.seed, ++epoch, "reft");
      batch_index = 0;
    }
    std::vector<rl::Question> batch;  // this rank's share of the step's questions
    for (int i : dist::ShareOf(order[batch_index++])) batch.push_back(questions[i]);
    rollout_options.seed = settings.seed * 1000003ULL + static_cast<uint64_t>(run.step());
    rl::RolloutTiming rollout_timing;
    std::vector<rl::Sample> samples = rl::Rollout(policy, tok, batch, rollout_options, &rollout_timing);
    const double rollout_seconds = Since(step_start);
    long long rollout_tokens = 0;
    for (const auto& s : samples) rollout_tokens += static_cast<long long>(s.response_ids.size());

    // 4. Rewards from the task's own extractor and equivalence (ReFT §3.1: 1 / 0.1 / 0).
    const auto reward_start = Clock::now();
    const std::vector<rl::Reward> rewards = rl::AnswerRewards(batch, samples, reward_options);
    const double reward_seconds = Since(reward_start);  // P-CoT: the sandbox runs every program here
    std::vector<double> scores, correct;
    for (const auto& r : rewards) scores.push_back(r.score), correct.push_back(r.correct ? 1.0 : 0.0);

    // 5. Old log-probs and values (the policy before this step's updates) and the reference's log-probs, over
    //    length-sorted chunks of the batch. With reuse_first_pass the first update's forward is made here, with
    //    gradients: the policy has not moved yet, so its detached outputs are the old ones.
    const auto score_start = Clock::now();
    std::vector<int> rows(samples.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int>(i);
    const rl::ChunkedBatch cb =
        rl::MakeChunkedBatch(samples, rows, pad_id, device, options.chunk_forward_cost);
    const rl::TokenBatch& tb = cb.whole;
    const bool critic_only = ppo && run.step() < options.critic_warmup_steps;
    std::vector<rl::TokenScores> first_pass;
    if (options.reuse_first_pass && (ppo || grpo) && !critic_only) {
      for (const rl::TokenBatch& chunk : cb.chunks) first_pass.push_back(rl::ScoreTokens(policy, chunk, ppo && !separate, true));
    }
    at::Tensor old_logp, old_values, ref_logp;
    {
      torch::NoGradGuard no_grad;
      if (first_pass.empty()) {
        rl::TokenScores old = rl::ScoreChunks(policy, cb, ppo && !separate, false);
        old_logp = old.logp, old_values = old.values;
      } else {
        old_logp = cb.Scatter(Field(first_pass, &rl::TokenScores::logp));
        if (ppo && !separate) old_values = cb.Scatter(Field(first_pass, &rl::TokenScores::values));
      }
      if (separate) old_values = rl::ChunkValues(critic, cb);
      ref_logp = rl::ScoreChunks(reference, cb, false, false).logp;
    }
    const double score_seconds = Since(score_start);
    // WSRL's diagnostic: the value predicted on held-out offline trajectories vs on this step's rollouts,
    // both by the policy before this step's update.
    nlohmann::json value_diagnostic = nlohmann::json::object();
    if (!probe_samples.empty()) {
      const rl::ValueStats offline = rl::MeasureValues(critic, probe_samples, probe_returns, pad_id);
      const at::Tensor online_error = old_values - torch::tensor(scores, torch::kFloat).to(device).unsqueeze(1);
      value_diagnostic = {{"value_offline", offline.mean_value}, {"value_offline_mse", offline.mse},
                          {"value_online", GlobalMaskedMean(old_values, tb.mask)},
                          {"value_online_mse", GlobalMaskedMean(online_error * online_error, tb.mask)}};
    }

    // 6. KL, per-token rewards and advantages.
    const at::Tensor mask = tb.mask;
    const at::Tensor kl = rl::KlPerToken(old_logp, ref_logp, estimator) * mask;
    const double kl_per_sequence =
        dist::Active() ? GlobalSum(kl.sum().item<double>()) / GlobalSum(static_cast<double>(kl.size(0)))
                       : (kl.sum(1)).mean().item<double>();
    const double beta = kl_control.beta;
    at::Tensor advantages, returns;
    const at::Tensor score_tensor = torch::tensor(scores, torch::kFloat).to(device);
    if (ppo) {
      const at::Tensor token_rewards =
          rl::TokenRewards(score_tensor, mask, kl, options.kl_placement == "reward" ? beta : 0.0);
      rl::Gae gae = rl::ComputeGae(token_rewards, old_values, mask, options.gamma, options.lambda);
      returns = gae.returns;
      advantages = options.whiten_advantages ? GlobalWhiten(gae.advantages, mask) : gae.advantages;
    } else if (grpo) {
      advantages = rl::GrpoAdvantages(score_tensor, options.samples, options.grpo_scale_by_std).unsqueeze(1) * mask;
    }

    // 7. Updates: ppo_epochs gradient steps over the whole batch (ReFT: minibatch = batch), a micro-batch per chunk.
    const auto update_start = Clock::now();
    UpdateInputs in{policy, critic, optimizer, critic_optimizer.get(), options, settings.grad_clip, cb,
                    old_logp, old_values, ref_logp, advantages, returns, beta, estimator, aggregation,
                    ppo, separate, critic_only, rl::TokenBatch{}, at::Tensor{}};
    // Retention: batch_size offline texts, drawn by (seed, step), join every policy update with the offline
    // policy loss (each text's NLL weighted by its offline weight, the weight-normalised token mean).
    if (options.offline_sft_coef > 0 && !critic_only && !offline_samples.empty()) {
      std::vector<int> perm = util::SeededPermutation(static_cast<int>(offline_samples.size()), settings.seed,
                                                      "reft-offline-" + std::to_string(run.step()));
      perm.resize(std::min<size_t>(perm.size(), settings.batch_size));
      perm = dist::ShareOf(perm);
      in.offline_batch = rl::MakeTokenBatch(offline_samples, perm, pad_id, device);
      std::vector<double> w;
      for (int i : perm) w.push_back(offline_weights_all[i]);
      in.offline_weights = torch::tensor(w, torch::kFloat).to(device);
    }
    int correct_samples = 0;
    const UpdateLog log = options.algorithm == "online-st"
                              ? OnlineStUpdates(in, tok, batch, samples, rewards, pad_id, &correct_samples)
                              : PolicyUpdates(in, std::move(first_pass));
    const double update_seconds = Since(update_start);
    const double global_samples = GlobalSum(static_cast<double>(samples.size()));
    if (options.kl_target > 0) kl_control.Update(kl_per_sequence, static_cast<int>(global_samples));

    // 8. Log: reward, accuracy, KL, losses, entropy and where the step's time went.
    const double wall = Since(step_start);
    // Losses are this rank's parts of the global means (their sum is the global value); token counts and
    // throughput are the whole world's (a separate value model doubles the tokens scored and trained), seconds
    // this rank's. With reuse_first_pass the first update's forward is timed in scoring.
    const double global_rollout_tokens = GlobalSum(static_cast<double>(rollout_tokens));
    const bool retained = in.offline_batch.ids.defined();
    const long long step_tokens = static_cast<long long>(
        GlobalSum(static_cast<double>(tb.tokens * (1 + options.ppo_epochs) * (separate ? 2 : 1) +
                                      (retained ? in.offline_batch.tokens * options.ppo_epochs : 0))));
    nlohmann::json row = {{"loss", log.step.loss}, {"reward", GlobalMean(scores)}, {"train_accuracy", GlobalMean(correct)},
                          {"kl", kl_per_sequence}, {"beta", beta},
                          {"policy_loss", dist::Active() ? GlobalSum(Mean(log.policy_losses)) : Mean(log.policy_losses)},
                          {"lr", lr}, {"grad_norm", log.step.grad_norm},
                          {"response_tokens", global_rollout_tokens / global_samples},
                          {"padding_share", 1.0 - static_cast<double>(tb.tokens) / std::max<long long>(cb.padded_tokens, 1)},
                          {"score_chunks", cb.chunks.size()},
                          {"rollout_seconds", rollout_seconds}, {"reward_seconds", reward_seconds},
                          {"score_seconds", score_seconds},
                          {"update_seconds", update_seconds}, {"step_seconds", wall},
                          {"rollout_tokens_per_second", global_rollout_tokens / std::max(rollout_seconds, 1e-9)},
                          {"rollout_prefill_seconds", rollout_timing.prefill_seconds},
                          {"rollout_decode_tokens_per_second",
                           global_rollout_tokens / std::max(rollout_seconds - rollout_timing.prefill_seconds, 1e-9)},
                          {"score_tokens_per_second", (separate ? 3.0 : 2.0) * GlobalSum(static_cast<double>(tb.tokens)) / std::max(score_seconds, 1e-9)},
                          {"update_tokens_per_second", (separate ? 2 : 1) * options.ppo_epochs * GlobalSum(static_cast<double>(tb.tokens)) / std::max(update_seconds, 1e-9)}};
    const auto parts = [](const std::vector<double>& v) { return dist::Active() ? GlobalSum(Mean(v)) : Mean(v); };
    if (!log.value_losses.empty()) row["value_loss"] = parts(log.value_losses);
    if (!log.clipfracs.empty()) {
      row["clipfrac"] = RankAverage(Mean(log.clipfracs)), row["entropy"] = RankAverage(Mean(log.entropies));
    }
    if (options.algorithm == "online-st") row["correct_samples"] = static_cast<long long>(GlobalSum(correct_samples));
    if (!log.offline_sft_losses.empty()) row["offline_sft_loss"] = parts(log.offline_sft_losses);
    if (critic_only) row["critic_only"] = true;
    row.update(value_diagnostic);
    run.EndStep(row, {{"epoch", epoch}, {"batch_index", batch_index}, {"beta", kl_control.beta}}, step_tokens);
  }
  run.Finish({{"epoch", epoch}, {"batch_index", batch_index}, {"beta", kl_control.beta}});

  ReftResult result;
  result.checkpoint_dir = run.checkpoint_dir();
  result.summary = {{"steps", run.step()}, {"train_seconds", run.train_seconds()},
                    {"tokens_per_second", run.train_seconds() > 0 ? run.tokens_seen() / run.train_seconds() : 0.0},
                    {"questions", questions.size()}, {"algorithm", options.algorithm}};
  const nlohmann::json breakdown = StepTimeBreakdown(out_dir + "/metrics.jsonl");
  if (!breakdown.is_null()) result.summary["breakdown"] = breakdown;
  return result;
}

}  // namespace trainers
