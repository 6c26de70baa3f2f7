// WSRL on text and its arms (../shared/research/method_anchors.md §4.4, the LLM analogue), all online
// arms starting from the same offline checkpoint (wsrl-text-offline, itself from the run's `sft`):
//   wsrl-text-offline      offline pre-training: reward-weighted SFT + value regression to MC returns
//   wsrl-text              value head from the offline checkpoint, K critic-only warm-up steps, no offline data
//   wsrl-text-no-warmup    K = 0 (WSRL Fig. 10)
//   wsrl-text-retention    the warm-up, plus the offline NLL in every policy update (Fig. 24)
//   wsrl-text-fresh-critic a freshly initialised value head, with the warm-up (Q-init ablation, Figs. 12-13)
#include <algorithm>

#include "tasks/registry.h"
#include "trainers/methods/method.h"
#include "trainers/reft/reft.h"
#include "trainers/wsrl/text/wsrl_text.h"

namespace trainers {

namespace {

const char* kWsrlPaper =
    "Efficient Online Reinforcement Learning Fine-Tuning Need Not Retain Offline Data (WSRL; Zhou, Peng, Li, "
    "Levine, Kumar; arXiv:2412.07762, ICLR 2025)";

bool TrainsOnTasks(const std::string& task, const std::vector<std::string>& tasks) {
  return tasks.empty() ? !tasks::GradedByTests(task) : std::find(tasks.begin(), tasks.end(), task) != tasks.end();
}

class WsrlTextOfflineMethod : public Method {
 public:
  std::string name() const override { return "wsrl-text-offline"; }
  std::string paper() const override { return kWsrlPaper; }
  std::string summary() const override {
    return "WSRL on text, offline: reward-weighted SFT on mixed-quality trajectories + a value head regressed "
           "to their Monte-Carlo returns";
  }
  std::string starts_from() const override { return "sft"; }
  std::string options_section() const override { return "wsrl_text_offline"; }
  nlohmann::json DescribeOptions() const override { return WsrlTextOfflineOptionsFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(WsrlTextOfflineOptionsFields(), section, source, "wsrl_text_offline");
  }
  bool TrainsOn(const std::string& task, const nlohmann::json& options) const override {
    return TrainsOnTasks(task, options.value("tasks", std::vector<std::string>{}));
  }
  TrainOutput Train(const TrainRequest& request) const override {
    const WsrlTextOfflineOptions o = WsrlTextOfflineOptionsFields().Read(request.options, "wsrl_text_offline options");
    WsrlTextOfflineResult r = RunWsrlTextOffline(request.settings, o, request.out_dir, 0, request.eval);
    return {r.checkpoint_dir, r.summary};
  }
  bool DataParallel() const override { return true; }  // each rank's rows of every micro-batch
};

class WsrlTextMethod : public Method {
 public:
  std::string name() const override { return "wsrl-text"; }
  std::string paper() const override { return kWsrlPaper; }
  std::string summary() const override {
    return "WSRL on text: PPO from the offline checkpoint, K critic-only warm-up steps on its rollouts, no offline data";
  }
  std::string starts_from() const override { return "wsrl-text-offline"; }
  std::string options_section() const override { return "wsrl_text"; }
  nlohmann::json DescribeOptions() const override { return WsrlTextOptionsFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(WsrlTextOptionsFields(), section, source, "wsrl_text");
  }
  bool TrainsOn(const std::string& task, const nlohmann::json& options) const override {
    const nlohmann::json ppo = options.value("ppo", nlohmann::json::object());
    return TrainsOnTasks(task, ppo.value("tasks", std::vector<std::string>{}));
  }
  TrainOutput Train(const TrainRequest& request) const override {
    const WsrlTextOptions o = WsrlTextOptionsFields().Read(request.options, "wsrl_text options");
    const ReftOptions ppo = OnlineReftOptions(o, request.settings.init_checkpoint);
    ReftResult r = RunReft(request.settings, ppo, request.out_dir, 0, request.eval);
    r.summary["warmup_steps"] = o.warmup_steps;
    r.summary["critic"] = o.critic;
    r.summary["retention"] = o.retention;
    return {r.checkpoint_dir, r.summary};
  }
  bool DataParallel() const override { return true; }  // ReFT's PPO loop
};

}  // namespace

std::vector<const Method*> WsrlTextMethods() {
  static const WsrlTextOfflineMethod offline;
  static const WsrlTextMethod wsrl;
  static const std::vector<std::unique_ptr<Method>> arms = [] {
    std::vector<std::unique_ptr<Method>> v;
    v.push_back(MakeVariant(wsrl, "wsrl-text-no-warmup", "arm: no critic warm-up (WSRL Fig. 10)", {{"warmup_steps", 0}}));
    v.push_back(MakeVariant(wsrl, "wsrl-text-retention",
                            "arm: the warm-up plus the offline trajectories' NLL in every policy update (Fig. 24)",
                            {{"retention", true}}));
    v.push_back(MakeVariant(wsrl, "wsrl-text-fresh-critic", "arm: a freshly initialised value head, with the warm-up",
                            {{"critic", "fresh"}}));
    return v;
  }();
  std::vector<const Method*> out = {&offline, &wsrl};
  for (const auto& arm : arms) out.push_back(arm.get());
  return out;
}

}  // namespace trainers
