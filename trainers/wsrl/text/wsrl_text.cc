// WSRL on text, the offline phase top to bottom: 1. mixed-quality trajectories and their rewards, a
// held-out probe; 2. policy (+ value head) from the warm-up, optimizer, resume; then per step: 3. a batch
// of trajectories; 4. reward-weighted NLL + value regression to the MC return, one gradient step; 5. log
// (with the value on the probe); 6. the checkpoint and the trajectory files it carries.
#include "trainers/wsrl/text/wsrl_text.h"

#include <algorithm>
#include <map>
#include <set>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "tasks/registry.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/distributed/world.h"
#include "trainers/rl/ppo_math.h"
#include "trainers/rl/rollout.h"
#include "trainers/scaffold/training_run.h"
#include "trainers/sft/sft_data.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

const util::Fields<WsrlTextOfflineOptions>& WsrlTextOfflineOptionsFields() {
  using O = WsrlTextOfflineOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("tasks", &O::tasks, "families pre-trained on (empty = every task of the run but code)")
        .Add("suboptimal", &O::suboptimal, "sub-optimal solutions per problem (generators' mixed mode)",
             util::InRange(0, 16))
        .Add("wrong_rate", &O::wrong_rate, "probability that a sub-optimal solution's answer is wrong",
             util::InRange(0.0, 1.0))
        .Add("flaws", &O::flaws,
             "flaw kinds drawn: arithmetic_slip, wrong_answer, skipped_step, sloppy_format (empty = all)")
        .Add("expert_share", &O::expert_share, "share of problems whose expert solution joins the data",
             util::InRange(0.0, 1.0))
        .Add("probe", &O::probe, "trajectories of held-out problems for the value diagnostic (never trained on)",
             util::InRange(0, 4096))
        .Add("partial_reward", &O::partial_reward, "reward of an extractable wrong answer (ReFT: 0.1)",
             util::InRange(0.0, 1.0))
        .Add("policy_loss", &O::policy_loss,
             "reward-weighted: NLL weighted by the reward | filtered: reward-1 trajectories only | uniform: BC",
             util::OneOf({"reward-weighted", "filtered", "uniform"}))
        .Add("value_coef", &O::value_coef, "weight of the value regression to MC returns", util::AtLeast(0.0));
    f->Rule([](const O& o) {
      return o.suboptimal > 0 || o.expert_share > 0 ? util::Ok()
                                                    : util::RuleFailure{"suboptimal", "no trajectory would be drawn"};
    });
    return f;
  }();
  return *fields;
}

double OfflinePolicyWeight(const std::string& policy_loss, double reward) {
  if (policy_loss == "reward-weighted") return reward;
  if (policy_loss == "filtered") return reward >= 1.0 ? 1.0 : 0.0;
  if (policy_loss == "uniform") return 1.0;
  throw std::invalid_argument("unknown offline policy loss '" + policy_loss + "'");
}

std::vector<rl::OfflineTrajectory> MixedQualityTrajectories(const SftConfig& settings,
                                                            const WsrlTextOfflineOptions& options,
                                                            const std::string& data_dir) {
  util::MakeDirs(data_dir);
  const std::vector<std::string> task_names = ReftTasks(settings, options.tasks);
  std::vector<rl::Question> questions;
  std::vector<rl::Sample> samples;
  std::vector<std::string> sources;
  for (const DataSource& source : settings.train) {
    if (std::find(task_names.begin(), task_names.end(), source.task) == task_names.end()) continue;
    if (!source.file.empty()) {
      throw util::InputError(util::Location{"", 0, "tasks"}, "wsrl-text-offline draws mixed-quality data from the " +
                                                                 source.task + " generator; its source is a file");
    }
    DataSource mixed = source;
    mixed.style = "mixed";
    mixed.suboptimal = std::max(1, options.suboptimal);  // the generator draws >= 1; unused ones are skipped
    mixed.wrong_rate = options.wrong_rate;
    mixed.flaws = options.flaws;
    mixed.tool_share = 0;
    std::vector<std::vector<std::string>> solutions, solution_sources;
    std::vector<tasks::Record> records = LoadSourceRecords(mixed, "train", data_dir, &solutions, &solution_sources);
    const tasks::Task& task = tasks::FindTask(source.task);
    tasks::PromptOptions prompt;
    prompt.template_name = source.template_name.empty() ? task.templates().front() : source.template_name;
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].broken) continue;
      rl::Question q;
      q.task = &task;
      q.prompt = source.condition + task.RenderPrompt(records[i], prompt);
      q.record = records[i];
      const int question = static_cast<int>(questions.size());
      questions.push_back(std::move(q));
      // The expert solution with probability expert_share (a seeded draw per problem), and the first
      // `suboptimal` sub-optimal ones.
      util::SplitMix64 rng(source.synthetic_seed ^ util::Fnv1a64(records[i].id, 0x3a5e11));
      const bool expert = rng.Uniform() < options.expert_share;
      int suboptimal = 0;
      for (size_t s = 0; s < solutions[i].size(); ++s) {
        const bool is_expert = solution_sources[i][s] == "expert";
        if (is_expert ? !expert : suboptimal++ >= options.suboptimal) continue;
        rl::Sample sample;
        sample.question = question;
        sample.text = solutions[i][s];
        samples.push_back(std::move(sample));
        sources.push_back(solution_sources[i][s]);
      }
    }
  }
  if (samples.empty()) throw util::InputError(util::Location{"", 0, "tasks"}, "no offline trajectories in the chosen tasks");
  rl::RewardOptions reward;
  reward.partial = options.partial_reward;
  const std::vector<rl::Reward> rewards = rl::AnswerRewards(questions, samples, reward);
  std::vector<rl::OfflineTrajectory> out;
  for (size_t i = 0; i < samples.size(); ++i) {
    const rl::Question& q = questions[samples[i].question];
    out.push_back({q.record.task.empty() ? q.task->name() : q.record.task, q.record.id, q.prompt, samples[i].text,
                   sources[i], rewards[i].score, rewards[i].correct});
  }
  return out;
}

namespace {

// Splits the trajectories into training and probe sets by problem: whole problems, in a seeded order, go
// to the probe until it holds `probe` trajectories, so no probe problem is ever trained on.
void SplitProbe(const std::vector<rl::OfflineTrajectory>& all, int probe, uint64_t seed,
                std::vector<rl::OfflineTrajectory>* train, std::vector<rl::OfflineTrajectory>* held_out) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const auto& t : all) {
    if (seen.insert(t.task + "/" + t.id).second) problems.push_back(t.task + "/" + t.id);
  }
  std::map<std::string, int> count;
  for (const auto& t : all) count[t.task + "/" + t.id]++;
  std::set<std::string> probe_problems;
  int taken = 0;
  for (int i : util::SeededPermutation(static_cast<int>(problems.size()), seed, "wsrl-text-probe")) {
    if (taken >= probe || probe_problems.size() + 1 >= problems.size()) break;
    probe_problems.insert(problems[i]);
    taken += count[problems[i]];
  }
  for (const auto& t : all) (probe_problems.count(t.task + "/" + t.id) ? held_out : train)->push_back(t);
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / v.size();
}

}  // namespace

WsrlTextOfflineResult RunWsrlTextOffline(const SftConfig& settings, const WsrlTextOfflineOptions& options,
                                         const std::string& out_dir, int stop_after_steps, const EvalCallback& eval) {
  if (settings.init_checkpoint.empty()) {
    throw util::InputError(util::Location{"", 0, "init_checkpoint"}, "wsrl-text-offline starts from a warm-up checkpoint");
  }
  util::MakeDirs(out_dir);
  const int threads = SetTorchThreads(settings.threads);
  torch::manual_seed(settings.seed);

  // 1. The mixed-quality trajectories with their rewards; whole problems held out for the probe.
  const tokenizer::Tokenizer tok = LoadCheckpointTokenizer(settings.init_checkpoint);
  const std::vector<rl::OfflineTrajectory> all = MixedQualityTrajectories(settings, options, out_dir + "/data");
  std::vector<rl::OfflineTrajectory> train, probe;
  SplitProbe(all, options.probe, settings.seed, &train, &probe);
  for (auto* set : {&train, &probe}) {
    for (auto& t : *set) t.weight = OfflinePolicyWeight(options.policy_loss, t.reward);
  }
  std::vector<rl::Sample> samples;
  std::vector<double> returns, weights;
  int dropped = 0;
  for (const auto& t : train) {
    rl::Sample s = rl::TextSample(tok, t.prompt, t.completion);
    if (static_cast<int>(s.prompt_ids.size() + s.response_ids.size()) > settings.max_seq_len) {
      ++dropped;
      continue;
    }
    samples.push_back(std::move(s));
    returns.push_back(t.reward);
    weights.push_back(t.weight);
  }
  if (samples.empty()) throw std::runtime_error("every offline trajectory is longer than max_seq_len");
  std::vector<rl::Sample> probe_samples = rl::TrajectorySamples(tok, probe);
  std::vector<double> probe_returns;
  for (const auto& t : probe) probe_returns.push_back(t.reward);
  std::cerr << "wsrl-text-offline: " << samples.size() << " trajectories (" << dropped << " too long), mean reward "
            << Mean(returns) << "; probe " << probe.size() << "\n";

  // 2. Policy = the warm-up + a value head (fresh, seeded), AdamW, the scaffold.
  const RuntimeConfig runtime{settings.device, "float32", threads};
  LlamaForCausalLM policy = rl::LoadWithValueHead(settings.init_checkpoint, runtime, settings.seed);
  FusedAdamW optimizer = MakeAdamW(policy, settings.lr, settings.beta1, settings.beta2, settings.weight_decay);
  TrainingRun run(RunOptionsFor(settings, out_dir, "wsrl-text-offline", stop_after_steps), policy, optimizer, tok, eval);
  const nlohmann::json position = run.Resume();
  int epoch = position.value("epoch", 0), batch_index = position.value("batch_index", 0);
  std::vector<int> lengths;
  for (const auto& s : samples) lengths.push_back(static_cast<int>(s.prompt_ids.size() + s.response_ids.size()));
  std::vector<std::vector<int>> batches = SeededEpochBatches(lengths, settings.batch_size, settings.seed, epoch, "wsrl-offline");
  const int pad_id = std::max(0, tok.pad_id());
  const c10::Device device = policy->options().device();
  policy->train();

  while (!run.Done()) {
    const double lr =
        CosineLearningRate(settings.lr, settings.min_lr_ratio, settings.warmup_steps, settings.max_steps, run.step());
    SetLearningRate(optimizer, lr);
    // 3. The step's micro-batches, and the policy loss's denominator over the whole step (the weight-
    //    normalised token mean of the SFT trainer).
    // Data parallel: each rank runs its rows of every micro-batch; the denominators are the whole batch's.
    std::vector<rl::TokenBatch> micro;
    std::vector<at::Tensor> micro_returns, micro_weights;
    std::vector<double> value_shares;
    double denominator = 0;
    long long tokens = 0;
    for (int a = 0; a < settings.grad_accum; ++a) {
      if (batch_index >= static_cast<int>(batches.size())) {
        batches = SeededEpochBatches(lengths, settings.batch_size, settings.seed, ++epoch, "wsrl-offline");
        batch_index = 0;
      }
      const std::vector<int>& global_rows = batches[batch_index++];
      const rl::TokenBatch whole = rl::MakeTokenBatch(samples, global_rows, pad_id, device);
      std::vector<double> global_w;
      for (int i : global_rows) global_w.push_back(weights[i]);
      denominator += (whole.mask.sum(1) * torch::tensor(global_w, torch::kFloat).to(device)).sum().item<double>();
      tokens += whole.tokens;
      const std::vector<int> rows = dist::ShareOf(global_rows);
      micro.push_back(dist::Active() ? rl::MakeTokenBatch(samples, rows, pad_id, device) : whole);
      std::vector<double> r, w;
      for (int i : rows) r.push_back(returns[i]), w.push_back(weights[i]);
      micro_returns.push_back(torch::tensor(r, torch::kFloat).to(device));
      micro_weights.push_back(torch::tensor(w, torch::kFloat).to(device));
      const double whole_tokens = whole.mask.sum().item<double>();
      value_shares.push_back(dist::Active() && whole_tokens > 0 ? micro.back().mask.sum().item<double>() / whole_tokens : 1.0);
    }
    // 4. Reward-weighted NLL + value_coef * MSE(V, MC return), one optimizer step.
    std::vector<double> policy_losses, value_losses;
    const StepResult step = GradientStep(policy, optimizer, settings.grad_accum, [&](int m) {
      if (micro[m].mask.size(0) == 0) return 0.0;  // a rank with no rows of this micro-batch
      const rl::TokenScores now = rl::ScoreTokens(policy, micro[m], /*with_values=*/true, /*with_entropy=*/false);
      const at::Tensor nll = -(now.logp * micro[m].mask).sum(1);  // [B]
      const at::Tensor policy_loss = (nll * micro_weights[m]).sum() / std::max(denominator, 1e-12);
      const at::Tensor value_loss =
          (dist::Active() ? value_shares[m] : 1.0) *
          rl::ValueRegressionLoss(now.values, micro_returns[m], micro[m].mask, rl::LossAggregation::kTokenMean) /
          settings.grad_accum;
      policy_losses.push_back(policy_loss.item<double>());
      value_losses.push_back(value_loss.item<double>());
      const at::Tensor loss = policy_loss + options.value_coef * value_loss;
      loss.backward();
      return loss.item<double>();
    }, settings.grad_clip);

    // 5. Log; on logged steps also the value on the held-out probe (the online phase logs the same).
    // Each rank's parts sum to the global losses.
    const double policy_part = Mean(policy_losses) * settings.grad_accum;
    const double value_part = Mean(value_losses) * settings.grad_accum;
    nlohmann::json row = {{"loss", step.loss}, {"policy_loss", dist::AllReduceSum(policy_part)},
                          {"value_loss", dist::AllReduceSum(value_part)}, {"lr", lr},
                          {"grad_norm", step.grad_norm}};
    const int next = run.step() + 1;
    if (!probe_samples.empty() && (next % settings.log_every == 0 || next >= settings.max_steps)) {
      const rl::ValueStats stats = rl::MeasureValues(policy, probe_samples, probe_returns, pad_id);
      row["value_offline"] = stats.mean_value;
      row["value_offline_mse"] = stats.mse;
    }
    run.EndStep(row, {{"epoch", epoch}, {"batch_index", batch_index}}, tokens);
  }
  run.Finish({{"epoch", epoch}, {"batch_index", batch_index}});

  // 6. The checkpoint carries its offline data: the online phase's retention arm and value diagnostic.
  WsrlTextOfflineResult result;
  result.checkpoint_dir = run.checkpoint_dir();
  if (!run.stopped_early()) {
    rl::WriteTrajectories(result.checkpoint_dir + "/" + kWsrlOfflineDataFile, train);
    rl::WriteTrajectories(result.checkpoint_dir + "/" + kWsrlOfflineProbeFile, probe);
  }
  std::map<std::string, int> by_source;
  double correct = 0, extracted_wrong = 0;
  for (const auto& t : train) {
    by_source[t.source]++;
    correct += t.correct ? 1 : 0;
    extracted_wrong += !t.correct && t.reward > 0 ? 1 : 0;
  }
  result.summary = {{"steps", run.step()}, {"train_seconds", run.train_seconds()},
                    {"tokens_per_second", run.train_seconds() > 0 ? run.tokens_seen() / run.train_seconds() : 0.0},
                    {"trajectories", samples.size()}, {"dropped_too_long", dropped}, {"probe", probe.size()},
                    {"by_source", by_source}, {"mean_reward", Mean(returns)},
                    {"share_correct", correct / std::max<size_t>(train.size(), 1)},
                    {"share_extracted_wrong", extracted_wrong / std::max<size_t>(train.size(), 1)},
                    {"offline_policy_loss", options.policy_loss}};
  return result;
}

const util::Fields<WsrlTextOptions>& WsrlTextOptionsFields() {
  using O = WsrlTextOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("warmup_steps", &O::warmup_steps,
           "K: first steps critic-only on rollouts of the pre-trained policy (0 = the no-warm-up arm)", util::AtLeast(0))
        .Add("critic", &O::critic, "offline: the offline value head | fresh: a freshly initialised one",
             util::OneOf({"offline", "fresh"}))
        .Add("retention", &O::retention, "mix the offline trajectories into every policy update (the retention arm)")
        .Add("retention_coef", &O::retention_coef, "coefficient of the offline NLL under retention", util::AtLeast(0.0))
        .AddStruct("ppo", &O::ppo, &ReftOptionsFields(), "ReFT's PPO underneath (every reft option but those set here)");
    f->Rule([](const O& o) {
      if (o.ppo.algorithm != "ppo") return util::RuleFailure{"ppo.algorithm", "WSRL on text needs a critic: ppo"};
      if (o.ppo.critic_warmup_steps != 0) return util::RuleFailure{"ppo.critic_warmup_steps", "set warmup_steps instead"};
      if (!o.ppo.value_head_from.empty() || o.ppo.fresh_value_head) {
        return util::RuleFailure{"ppo.value_head_from", "set critic instead"};
      }
      if (!o.ppo.offline_data.empty() || o.ppo.offline_sft_coef != 0 || !o.ppo.offline_probe.empty()) {
        return util::RuleFailure{"ppo.offline_data", "the offline data come from the offline checkpoint; set retention"};
      }
      return util::Ok();
    });
    return f;
  }();
  return *fields;
}

ReftOptions OnlineReftOptions(const WsrlTextOptions& options, const std::string& offline_checkpoint) {
  ReftOptions r = options.ppo;
  r.critic_warmup_steps = options.warmup_steps;
  if (options.critic == "offline") {
    r.value_head_from = offline_checkpoint;  // an input error if the checkpoint has none
  } else {
    r.fresh_value_head = true;
  }
  const std::string probe = offline_checkpoint + "/" + kWsrlOfflineProbeFile;
  if (util::FileExists(probe) && !util::ReadFile(probe).empty()) r.offline_probe = probe;  // probe 0: none
  if (options.retention && options.retention_coef > 0) {
    r.offline_data = offline_checkpoint + "/" + kWsrlOfflineDataFile;
    r.offline_sft_coef = options.retention_coef;
  }
  return r;
}

}  // namespace trainers
