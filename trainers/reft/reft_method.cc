// ReFT and the arms of its Tables 2 and 6 (../shared/research/method_anchors.md §2), all on the same
// training questions and starting from the same warm-up (the run's `sft`):
//   sft-continued  the SFT baseline: SFT continued from the warm-up on the gold chains
//   offline-st     Offline self-training: k samples per question from the warm-up, correct ones + gold, SFT
//   online-st      Online self-training: each step 1/2 CE(correct samples) + 1/2 CE(gold)
//   reft           PPO with answer rewards, KL in the reward, a value head on the shared trunk
//   reft-beta0     beta = 0 (the paper: collapse)
//   reft-no-partial  no 0.1 reward for an extractable wrong answer
//   reft-separate-value  a separate value model (a second warm-up copy with its own head) instead of the shared trunk
//   grpo           group-normalised advantages (4 samples per question), no critic, k3 KL in the loss
//   orm            the outcome reward model that reranks k samples (ReFT §4.3); not a generator itself
#include <algorithm>

#include "harness/util/error.h"
#include "tasks/registry.h"
#include "trainers/methods/method.h"
#include "trainers/reft/reft.h"
#include "trainers/rl/rejection_sampling.h"
#include "trainers/rl/reward_model.h"
#include "trainers/sft/sft_trainer.h"

namespace trainers {

namespace {

const char* kReftPaper = "ReFT: Reasoning with Reinforced Fine-Tuning (Luong et al., ACL 2024, arXiv:2401.08967)";

bool TrainsOnTasks(const std::string& task, const std::vector<std::string>& tasks) {
  return tasks.empty() ? !tasks::GradedByTests(task) : std::find(tasks.begin(), tasks.end(), task) != tasks.end();
}

class ReftMethod : public Method {
 public:
  std::string name() const override { return "reft"; }
  std::string paper() const override { return kReftPaper; }
  std::string summary() const override {
    return "ReFT: PPO on sampled chains of thought with answer rewards and a KL penalty against the warm-up";
  }
  std::string starts_from() const override { return "sft"; }
  std::string options_section() const override { return "reft"; }
  nlohmann::json DescribeOptions() const override { return ReftOptionsFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(ReftOptionsFields(), section, source, "reft");
  }
  bool TrainsOn(const std::string& task, const nlohmann::json& options) const override {
    return TrainsOnTasks(task, options.value("tasks", std::vector<std::string>{}));
  }
  TrainOutput Train(const TrainRequest& request) const override {
    const ReftOptions options = ReftOptionsFields().Read(request.options, "reft options");
    ReftResult r = RunReft(request.settings, options, request.out_dir, 0, request.eval);
    return {r.checkpoint_dir, r.summary};
  }
  bool DataParallel() const override { return true; }  // rollouts sharded by question, gradients summed
};

struct OfflineStOptions {
  std::vector<std::string> tasks;  // families sampled and trained on (empty = every task but code)
  int k = 4;                       // samples per training question from the warm-up (ReFT: 100)
  int keep = 2;                    // unique correct samples kept per question (ReFT: 10)
  double temperature = 1.0;
  int max_new_tokens = 0;          // 0 = training.eval_max_new_tokens
};

const util::Fields<OfflineStOptions>& OfflineStFields() {
  using O = OfflineStOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("tasks", &O::tasks, "families sampled and trained on (empty = every task of the run but code)")
        .Add("k", &O::k, "samples per training question from the warm-up (ReFT: 100)", util::InRange(1, 256))
        .Add("keep", &O::keep, "unique correct samples kept per question (ReFT: 10)", util::InRange(1, 256))
        .Add("temperature", &O::temperature, "sampling temperature (ReFT: 1)", util::InRange(0.05, 2.0))
        .Add("max_new_tokens", &O::max_new_tokens, "sample length cap (0 = training.eval_max_new_tokens)",
             util::InRange(0, 4096));
    return f;
  }();
  return *fields;
}

class OfflineStMethod : public Method {
 public:
  std::string name() const override { return "offline-st"; }
  std::string paper() const override { return kReftPaper; }
  std::string summary() const override {
    return "Offline self-training: the warm-up's correct samples added to the gold chains, then SFT from the warm-up";
  }
  std::string starts_from() const override { return "sft"; }
  std::string options_section() const override { return "offline_st"; }
  nlohmann::json DescribeOptions() const override { return OfflineStFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(OfflineStFields(), section, source, "offline_st");
  }
  bool TrainsOn(const std::string& task, const nlohmann::json& options) const override {
    return TrainsOnTasks(task, options.value("tasks", std::vector<std::string>{}));
  }
  TrainOutput Train(const TrainRequest& request) const override {
    const OfflineStOptions o = OfflineStFields().Read(request.options, "offline_st options");
    // 1. Sample k per training question from the warm-up, keep the correct ones (ReFT §4.2).
    rl::RejectionSamplingOptions rs;
    rs.tasks = ReftTasks(request.settings, o.tasks);
    rs.k = o.k;
    rs.keep = o.keep;
    rs.temperature = o.temperature;
    rs.max_new_tokens = o.max_new_tokens > 0 ? o.max_new_tokens : request.settings.eval_max_new_tokens;
    rs.seed = request.settings.seed;
    nlohmann::json stats;
    const auto texts = rl::RejectionSampledTexts(request.settings, request.settings.init_checkpoint, rs,
                                                 request.out_dir + "/data", &stats);
    // 2. SFT on gold + kept samples. The paper fine-tunes the pre-trained base; ours is random, so the
    //    warm-up plays that part (both arms then see the same number of steps from the same start).
    SftRunResult r = TrainOnTexts(request.settings, texts, request.special_tokens, request.out_dir, request.eval,
                                  0, name());
    nlohmann::json summary = SummaryJson(r);
    summary["rejection_sampling"] = stats;
    return {r.checkpoint_dir, summary};
  }
  bool DataParallel() const override { return true; }  // sampling sharded by question, then the SFT loop
};

class SftContinuedMethod : public Method {
 public:
  std::string name() const override { return "sft-continued"; }
  std::string paper() const override { return kReftPaper; }
  std::string summary() const override {
    return "ReFT's SFT baseline: SFT continued from the warm-up on the same gold chains of thought";
  }
  std::string starts_from() const override { return "sft"; }
  TrainOutput Train(const TrainRequest& request) const override {
    SftRunResult r = RunSft(request.settings, request.out_dir, request.eval);
    return {r.checkpoint_dir, SummaryJson(r)};
  }
  bool DataParallel() const override { return true; }  // the scaffold's SFT loop
};

struct OrmOptions {
  std::vector<std::string> tasks;  // families sampled (empty = every task of the run but code)
  int questions = 0;               // the first N training questions (0 = all)
  int k = 4;                       // samples per training question (ReFT: 100, deduplicated)
  double temperature = 1.0;
  int max_new_tokens = 0;          // 0 = training.eval_max_new_tokens
};

const util::Fields<OrmOptions>& OrmFields() {
  using O = OrmOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("tasks", &O::tasks, "families whose training questions are sampled (empty = every task but code)")
        .Add("questions", &O::questions, "the first N training questions (0 = all)", util::AtLeast(0))
        .Add("k", &O::k, "samples per training question from the starting model (ReFT: 100)", util::InRange(1, 256))
        .Add("temperature", &O::temperature, "sampling temperature (ReFT: 1)", util::InRange(0.05, 2.0))
        .Add("max_new_tokens", &O::max_new_tokens, "sample length cap (0 = training.eval_max_new_tokens)",
             util::InRange(0, 4096));
    return f;
  }();
  return *fields;
}

class OrmMethod : public Method {
 public:
  std::string name() const override { return "orm"; }
  std::string paper() const override { return kReftPaper; }
  std::string summary() const override {
    return "outcome reward model for rerank@k: the SFT model's samples labelled by correctness, a classifier "
           "head trained on them (name it in eval.reranker)";
  }
  std::string starts_from() const override { return "sft"; }
  std::string options_section() const override { return "orm"; }
  nlohmann::json DescribeOptions() const override { return OrmFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(OrmFields(), section, source, "orm");
  }
  // A scorer, not a generator: evaluation uses it through eval.reranker only.
  bool TrainsOn(const std::string&, const nlohmann::json&) const override { return false; }
  TrainOutput Train(const TrainRequest& request) const override {
    const OrmOptions o = OrmFields().Read(request.options, "orm options");
    rl::RewardModelOptions options;
    options.tasks = ReftTasks(request.settings, o.tasks);
    options.questions = o.questions;
    options.k = o.k;
    options.temperature = o.temperature;
    options.max_new_tokens = o.max_new_tokens > 0 ? o.max_new_tokens : request.settings.eval_max_new_tokens;
    rl::RewardModelResult r = rl::TrainRewardModel(request.settings, options, request.out_dir);
    return {r.checkpoint_dir, r.summary};
  }
  bool DataParallel() const override { return true; }  // sampling sharded by question, batch rows by rank
};

}  // namespace

std::vector<const Method*> ReftMethods() {
  static const ReftMethod reft;
  static const OfflineStMethod offline_st;
  static const SftContinuedMethod sft_continued;
  static const OrmMethod orm;
  static const std::vector<std::unique_ptr<Method>> arms = [] {
    std::vector<std::unique_ptr<Method>> v;
    v.push_back(MakeVariant(reft, "reft-beta0", "ablation: no KL penalty (ReFT Table 6: collapse)", {{"beta", 0.0}}));
    v.push_back(MakeVariant(reft, "reft-no-partial", "ablation: no partial reward for an extractable wrong answer",
                            {{"partial_reward", 0.0}}));
    v.push_back(MakeVariant(reft, "reft-separate-value",
                            "ablation: a separate value model from the warm-up instead of a head on the shared trunk",
                            {{"value_model", "separate"}}));
    v.push_back(MakeVariant(reft, "online-st", "Online self-training: 1/2 CE on correct samples + 1/2 CE on gold",
                            {{"algorithm", "online-st"}}));
    v.push_back(MakeVariant(reft, "grpo", "GRPO: 4 samples per question, group-normalised advantages, k3 KL in the loss",
                            {{"algorithm", "grpo"}, {"samples", 4}, {"kl_placement", "loss"}, {"kl_estimator", "k3"}}));
    return v;
  }();
  std::vector<const Method*> out = {&sft_continued, &offline_st, &orm, &reft};
  for (const auto& arm : arms) out.push_back(arm.get());
  return out;
}

}  // namespace trainers
