// WSRL (arXiv 2412.07762; method_anchors.md §4) in its own setting, as registered methods: Cal-QL
// pre-training on the point maze's offline data, then online SAC arms that differ only in how the online
// phase starts. None trains a text model: each returns a study (curves and scalars per seed) that the
// runner puts into results.json and the report draws. All share the options section "wsrl".
//   wsrl-offline        Cal-QL on the offline dataset (π_pre, Q_pre)
//   wsrl                WSRL: K warm-up steps of π_pre into an empty buffer, then SAC on online data only
//   wsrl-no-warmup      updates from the first full batch, no offline data (the collapse arm)
//   wsrl-random-warmup  the warm-up with uniform random actions instead of π_pre
//   wsrl-retention      WSRL with half of every batch from the offline data
//   wsrl-append         WSRL with the offline data copied into the online buffer
//   wsrl-warmup-small / -large   warm-up sizes ×0.2 and ×4 (WSRL Fig 17: 1K / 5K / 20K)
//   rlpd                online from scratch, half of every batch offline (RLPD-style)
//   sac-scratch         online from scratch, no offline data (the premise: it must fail in the budget)
#include "trainers/build_info.h"
#include "trainers/methods/method.h"
#include "trainers/wsrl/control/study.h"

namespace trainers {
namespace {

const char* kWsrlPaper =
    "WSRL: Efficient Online Reinforcement Learning Fine-Tuning Need Not Retain Offline Data (Zhou et al., "
    "arXiv:2412.07762, ICLR 2025)";

// Shared parts: the "wsrl" section, no text task, no text evaluation.
class WsrlControlMethod : public Method {
 public:
  std::string paper() const override { return kWsrlPaper; }
  std::string options_section() const override { return "wsrl"; }
  nlohmann::json DescribeOptions() const override { return wsrl::WsrlOptionsFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(wsrl::WsrlOptionsFields(), section, source, "wsrl");
  }
  bool TrainsOn(const std::string&, const nlohmann::json&) const override { return false; }
  bool TrainsTextModel() const override { return false; }
  // Every rank runs the maze alike and takes its rows of every update's batch (CriticUpdate).
  bool DataParallel() const override { return true; }
};

class WsrlOfflineMethod : public WsrlControlMethod {
 public:
  std::string name() const override { return "wsrl-offline"; }
  std::string summary() const override {
    return "WSRL's offline stage: Cal-QL (CQL lower-bounded by MC returns) on the point maze's mixed-quality data";
  }
  std::string starts_from() const override { return ""; }
  nlohmann::json TrainingOptions(const nlohmann::json& options) const override {
    return wsrl::OfflineTrainingOptions(options);
  }
  TrainOutput Train(const TrainRequest& request) const override {
    const auto o = wsrl::WsrlOptionsFields().Read(request.options, "wsrl options");
    SetTorchThreads(request.settings.threads);
    nlohmann::json study = wsrl::RunOffline(o, request.settings.seed, request.out_dir);
    study["arm"] = name();
    return {request.out_dir, {{"steps", o.offline_steps}, {"train_seconds", study["scalars"]["seconds"]}, {"study", study}}};
  }
};

// One online arm: the section's options with the arm's own fixed on top.
class WsrlArm : public WsrlControlMethod {
 public:
  WsrlArm(std::string name, std::string parent, std::string summary, nlohmann::json fixed)
      : name_(std::move(name)), parent_(std::move(parent)), summary_(std::move(summary)), fixed_(std::move(fixed)) {}
  std::string name() const override { return name_; }
  std::string trainer() const override { return "wsrl-online"; }
  std::string summary() const override { return summary_; }
  std::string starts_from() const override { return parent_; }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    nlohmann::json merged = section.is_object() ? section : nlohmann::json::object();
    merged.update(fixed_);
    return ResolveFieldOptions(wsrl::WsrlOptionsFields(), merged, source, "wsrl");
  }
  TrainOutput Train(const TrainRequest& request) const override {
    const auto o = wsrl::WsrlOptionsFields().Read(request.options, "wsrl options");
    SetTorchThreads(request.settings.threads);
    const std::string init = parent_.empty() ? "" : request.settings.init_checkpoint + "/agent.pt";
    const nlohmann::json study = wsrl::RunOnline(o, request.settings.seed, init, request.out_dir, name_);
    return {request.out_dir, {{"steps", o.online_steps}, {"train_seconds", study["scalars"]["seconds"]}, {"study", study}}};
  }

 private:
  std::string name_, parent_, summary_;
  nlohmann::json fixed_;
};

}  // namespace

std::vector<const Method*> WsrlControlMethods() {
  using nlohmann::json;
  static const WsrlOfflineMethod offline;
  static const std::vector<WsrlArm> arms = {
      {"wsrl", "wsrl-offline", "WSRL: warm-up rollouts of the pre-trained policy, then SAC without offline data",
       json{{"init", "pretrained"}, {"warmup_policy", "pretrained"}, {"offline_ratio", 0.0}, {"append_offline", false}}},
      {"wsrl-no-warmup", "wsrl-offline", "WSRL without the warm-up: updates from the first batch, no offline data",
       json{{"init", "pretrained"}, {"warmup_steps", 0}, {"offline_ratio", 0.0}, {"append_offline", false}}},
      {"wsrl-random-warmup", "wsrl-offline", "WSRL with a warm-up of uniform random actions instead of the policy",
       json{{"init", "pretrained"}, {"warmup_policy", "random"}, {"offline_ratio", 0.0}, {"append_offline", false}}},
      {"wsrl-retention", "wsrl-offline", "WSRL retaining the offline data: half of every batch from it",
       json{{"init", "pretrained"}, {"offline_ratio", 0.5}, {"append_offline", false}}},
      {"wsrl-append", "wsrl-offline", "WSRL retaining the offline data: copied into the online buffer",
       json{{"init", "pretrained"}, {"offline_ratio", 0.0}, {"append_offline", true}}},
      {"wsrl-warmup-small", "wsrl-offline", "WSRL with a warm-up 0.2 times as long (WSRL Fig 17: 1K of 5K)",
       json{{"init", "pretrained"}, {"warmup_scale", 0.2}, {"offline_ratio", 0.0}, {"append_offline", false}}},
      {"wsrl-warmup-large", "wsrl-offline", "WSRL with a warm-up 4 times as long (WSRL Fig 17: 20K of 5K)",
       json{{"init", "pretrained"}, {"warmup_scale", 4.0}, {"offline_ratio", 0.0}, {"append_offline", false}}},
      {"rlpd", "", "online from scratch with half of every batch from the offline data (RLPD-style)",
       json{{"init", "scratch"}, {"warmup_steps", 0}, {"offline_ratio", 0.5}, {"append_offline", false}}},
      {"sac-scratch", "", "online SAC from scratch without offline data (the premise: fails within the budget)",
       json{{"init", "scratch"}, {"warmup_steps", 0}, {"offline_ratio", 0.0}, {"append_offline", false}}},
  };
  std::vector<const Method*> all = {&offline};
  for (const auto& arm : arms) all.push_back(&arm);
  return all;
}

}  // namespace trainers
