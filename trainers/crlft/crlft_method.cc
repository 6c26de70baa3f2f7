// crlft and its ablation arms (OpenChat Table 2 and Fig. 5; ../shared/research/method_anchors.md §1.4):
//   (a) crlft-sft-all        SFT on all data, no condition, every weight 1
//   (b) crlft-expert-only    SFT on the expert slice only
//   (c) crlft-weights-only   weights 1 / alpha, no condition  (paper: "w/o condition")
//   (d) crlft-condition-only condition, every weight 1        (paper: "w/o reward")
//   (e) crlft                condition + weights, inferred with the expert condition
//   (e') crlft-sub-condition (e)'s model inferred with the sub-optimal condition
#include <map>

#include "harness/util/error.h"
#include "tasks/registry.h"
#include "trainers/crlft/crlft.h"
#include "trainers/methods/method.h"
#include "trainers/sft/sft_trainer.h"

namespace trainers {

namespace {

class CrlftMethod : public Method {
 public:
  std::string name() const override { return "crlft"; }
  std::string paper() const override {
    return "OpenChat: Advancing Open-source Language Models with Mixed-Quality Data (Wang et al., "
           "arXiv:2309.11235, ICLR 2024)";
  }
  std::string summary() const override {
    return "C-RLFT: class-conditioned, source-weighted SFT on mixed-quality data, inferred with the expert condition";
  }
  std::string starts_from() const override { return "base"; }
  std::string options_section() const override { return "crlft"; }
  nlohmann::json DescribeOptions() const override { return CrlftOptionsFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(CrlftOptionsFields(), section, source, "crlft");
  }
  nlohmann::json TrainingOptions(const nlohmann::json& options) const override {
    nlohmann::json training = options;
    training.erase("inference_condition");  // (e) and (e') share one model
    return training;
  }
  std::vector<std::string> SpecialTokens(const nlohmann::json& options) const override {
    if (options.value("condition_form", "token") != "token") return {};
    return {ConditionPrefix("token", "expert"), ConditionPrefix("token", "suboptimal")};
  }
  bool TrainsOn(const std::string& task, const nlohmann::json& options) const override {
    return !tasks::GradedByTests(task);  // the generators' mixed-quality mode needs a derivation
  }
  TrainOutput Train(const TrainRequest& request) const override {
    const CrlftOptions options = CrlftOptionsFields().Read(request.options, "crlft options");
    // 1. Mixed-quality data with a coarse reward per source (OpenChat §3.1): expert solutions carry
    //    expert_weight and the expert condition, sub-optimal ones suboptimal_weight and theirs.
    std::vector<TextExample> texts;
    for (const DataSource& source : request.settings.train) {
      if (!TrainsOn(source.task, request.options)) continue;
      auto part = CrlftTexts(source, options, request.out_dir + "/data");
      texts.insert(texts.end(), part.begin(), part.end());
    }
    if (texts.empty()) {
      throw util::InputError(util::Location{"", 0, "tasks"}, "crlft has no task with mixed-quality data to train on");
    }
    // 2. Class-conditioned, reward-weighted SFT (OpenChat §3.2; the code's loss Σ w·CE / Σ w per step).
    SftRunResult r = TrainOnTexts(request.settings, texts, SpecialTokens(request.options), request.out_dir, request.eval,
                                   /*stop_after_steps=*/0, name());
    // 3. The log says how many texts each source gave.
    nlohmann::json summary = SummaryJson(r);
    std::map<std::string, int> by_source;
    for (const auto& t : texts) by_source[t.source]++;
    summary["texts_by_source"] = by_source;
    return {r.checkpoint_dir, summary};
  }
  bool DataParallel() const override { return true; }  // the scaffold's SFT loop
  EvalSpec Evaluation(const nlohmann::json& options) const override {
    if (!options.value("condition", true)) return {};
    EvalSpec spec;
    spec.prompt_prefix =
        ConditionPrefix(options.value("condition_form", "token"), options.value("inference_condition", "expert"));
    return spec;
  }
};

}  // namespace

std::vector<const Method*> CrlftMethods() {
  static const CrlftMethod crlft;
  static const std::vector<std::unique_ptr<Method>> arms = [] {
    std::vector<std::unique_ptr<Method>> v;
    v.push_back(MakeVariant(crlft, "crlft-sft-all", "arm (a): SFT on all data, no condition, weight 1",
                            {{"condition", false}, {"suboptimal_weight", 1.0}, {"expert_weight", 1.0}}));
    v.push_back(MakeVariant(crlft, "crlft-expert-only", "arm (b): SFT on the expert slice only",
                            {{"condition", false}, {"include_suboptimal", false}}));
    v.push_back(MakeVariant(crlft, "crlft-weights-only", "arm (c): source weights, no condition",
                            {{"condition", false}}));
    v.push_back(MakeVariant(crlft, "crlft-condition-only", "arm (d): condition, every weight 1",
                            {{"suboptimal_weight", 1.0}, {"expert_weight", 1.0}}));
    v.push_back(MakeVariant(crlft, "crlft-sub-condition", "arm (e'): C-RLFT inferred with the sub-optimal condition",
                            {{"inference_condition", "suboptimal"}}));
    return v;
  }();
  std::vector<const Method*> out = {&crlft};
  for (const auto& arm : arms) out.push_back(arm.get());
  return out;
}

}  // namespace trainers
