// START (arXiv 2503.04625 v1; method_anchors.md §3) as registered methods, all from the run's `sft`
// (a model trained on plain chains of thought with a small share of tool-call solutions):
//   hint-infer      no training: the sft model decoded with the Python tool and R hints in place of EOS
//                   (hint-infer-r0 .. -r4: the sequential-scaling curve; r0 = the tool protocol, no hint)
//   start-0         Hint-RFT: hinted-right / greedy-wrong trajectories of sft, fine-tuned from sft
//   start           RFT: start-0's correct tool-using samples (16 per problem, T=0.6, top-p 0.95),
//                   fine-tuned from start-0
//   rft-no-tool     the control (the paper's QwQ-RFT): the same RFT on sft's samples without the tool
#include <algorithm>

#include "tasks/registry.h"
#include "trainers/methods/method.h"
#include "trainers/sft/sft_trainer.h"
#include "trainers/start/hint_infer.h"
#include "trainers/start/start.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {
namespace {

const char* kStartPaper =
    "START: Self-taught Reasoner with Tools (Li et al., arXiv:2503.04625 v1, Table 1; EMNLP 2025)";

bool TrainsOnStartTasks(const std::string& task, const std::vector<std::string>& tasks) {
  return tasks.empty() ? !tasks::GradedByTests(task) : std::find(tasks.begin(), tasks.end(), task) != tasks.end();
}

// Evaluation through the tool protocol with `hint` options; the options enter the evaluation's key.
EvalSpec ToolEvaluation(const start::HintInferOptions& hint) {
  EvalSpec spec;
  spec.generation = start::HintInferFields().ToJson(hint);
  spec.generation.erase("tasks");  // which families are evaluated is not how each one is generated
  spec.generation["protocol"] = "start-tools-v2";
  spec.generate = [hint](Engine& engine, const tokenizer::Tokenizer& tok, const std::vector<GenerateRequest>& requests) {
    start::ToolGeneration g = start::GenerateWithTools(engine, tok, requests, hint);
    GeneratedWithTools out;
    out.results = std::move(g.results);
    for (const auto& per_request : g.trajectories) {
      std::vector<nlohmann::json> row;
      for (const auto& t : per_request) row.push_back(t.ToJson());
      out.trajectories.push_back(std::move(row));
    }
    long long completions = 0;
    for (const auto& r : out.results) completions += static_cast<long long>(r.completions.size());
    out.stats = {{"tool_calls", g.tool_calls},
                 {"tool_calls_per_completion", completions ? static_cast<double>(g.tool_calls) / completions : 0.0},
                 {"tool_seconds", g.tool_seconds},
                 {"sandbox_checks_per_second", g.tool_seconds > 0 ? g.tool_calls / g.tool_seconds : 0.0},
                 {"tool_wait_seconds", g.wait_seconds},
                 {"tool_wait_share", g.wall_seconds > 0 ? g.wait_seconds / g.wall_seconds : 0.0}};
    return out;
  };
  return spec;
}

class HintInferMethod : public Method {
 public:
  std::string name() const override { return "hint-infer"; }
  std::string paper() const override { return kStartPaper; }
  std::string summary() const override {
    return "Hint-infer: the sft model with the Python tool and a hint in place of end-of-sequence (no training)";
  }
  std::string starts_from() const override { return "sft"; }
  std::string options_section() const override { return "hint_infer"; }
  nlohmann::json DescribeOptions() const override { return start::HintInferFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(start::HintInferFields(), section, source, "hint_infer");
  }
  // Inference only: every round count shares one (empty) training step.
  nlohmann::json TrainingOptions(const nlohmann::json&) const override { return nlohmann::json::object(); }
  bool TrainsOn(const std::string& task, const nlohmann::json& options) const override {
    return TrainsOnStartTasks(task, options.value("tasks", std::vector<std::string>{}));
  }
  TrainOutput Train(const TrainRequest& request) const override {
    return {request.settings.init_checkpoint, {{"steps", 0}, {"note", "inference only: the sft checkpoint"}}};
  }
  EvalSpec Evaluation(const nlohmann::json& options) const override {
    return ToolEvaluation(start::HintInferFields().Read(options, "hint_infer options"));
  }
};

// The sandbox's test grader when the stage's tasks include code (built once per stage), else none.
scoring::CodeGrader CodeGraderFor(const TrainRequest& request, const start::StartOptions& o) {
  const std::vector<std::string> tasks = start::StartTasks(request.settings, o.tasks);
  const bool code = std::any_of(tasks.begin(), tasks.end(), tasks::GradedByTests);
  if (!code) return {};
  if (!request.code_grader) throw std::logic_error("START on code tasks needs the sandbox's code grader");
  return request.code_grader();
}

// The START stages share one options section ("start").
class StartStage : public Method {
 public:
  std::string paper() const override { return kStartPaper; }
  std::string options_section() const override { return "start"; }
  nlohmann::json DescribeOptions() const override { return start::StartOptionsFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(start::StartOptionsFields(), section, source, "start");
  }
  nlohmann::json TrainingOptions(const nlohmann::json& options) const override {
    nlohmann::json training = options;
    training.erase("eval_rounds");
    return training;
  }
  bool TrainsOn(const std::string& task, const nlohmann::json& options) const override {
    return TrainsOnStartTasks(task, options.value("tasks", std::vector<std::string>{}));
  }
  EvalSpec Evaluation(const nlohmann::json& options) const override {
    start::HintInferOptions hint;
    hint.rounds = start::StartOptionsFields().Read(options, "start options").eval_rounds;
    return ToolEvaluation(hint);
  }

 protected:
  // 2. Fine-tune the parent on the stage's texts with the shared SFT scaffold.
  TrainOutput FineTune(const TrainRequest& request, const std::vector<TextExample>& texts,
                       const nlohmann::json& stats, const char* stats_key) const {
    SftRunResult r = TrainOnTexts(request.settings, texts, request.special_tokens, request.out_dir, request.eval, 0,
                                  name());
    nlohmann::json summary = SummaryJson(r);
    summary[stats_key] = stats;
    return {r.checkpoint_dir, summary};
  }
};

class Start0Method : public StartStage {
 public:
  std::string name() const override { return "start-0"; }
  std::string summary() const override {
    return "START-0 (Hint-RFT): sft's hinted trajectories that are right where greedy is wrong, fine-tuned from sft";
  }
  std::string starts_from() const override { return "sft"; }
  TrainOutput Train(const TrainRequest& request) const override {
    const start::StartOptions o = start::StartOptionsFields().Read(request.options, "start options");
    // 1. D_seed from the parent (START §3.1 phase 1).
    nlohmann::json stats;
    const auto texts = start::HintRftTexts(request.settings, request.settings.init_checkpoint, o,
                                           request.out_dir + "/data", CodeGraderFor(request, o), &stats);
    return FineTune(request, texts, stats, "hint_rft");
  }
  bool DataParallel() const override { return true; }  // its greedy and hinted passes sharded by problem
};

class RftMethod : public StartStage {
 public:
  RftMethod(std::string name, std::string parent, bool tools, std::string summary)
      : name_(std::move(name)), parent_(std::move(parent)), tools_(tools), summary_(std::move(summary)) {}
  std::string name() const override { return name_; }
  std::string summary() const override { return summary_; }
  std::string starts_from() const override { return parent_; }
  EvalSpec Evaluation(const nlohmann::json& options) const override {
    return tools_ ? StartStage::Evaluation(options) : EvalSpec{};
  }
  TrainOutput Train(const TrainRequest& request) const override {
    const start::StartOptions o = start::StartOptionsFields().Read(request.options, "start options");
    // 1. D_START: k samples per problem from the parent, the correct ones kept (START §3.1 phase 2).
    nlohmann::json stats;
    const auto texts = start::RftTexts(request.settings, request.settings.init_checkpoint, o, tools_,
                                       request.out_dir + "/data", CodeGraderFor(request, o), &stats);
    return FineTune(request, texts, stats, "rft");
  }
  bool DataParallel() const override { return true; }  // sampling sharded by question (rl::SampleAndGrade)

 private:
  std::string name_, parent_;
  bool tools_;
  std::string summary_;
};

}  // namespace

std::vector<const Method*> StartMethods() {
  static const HintInferMethod hint_infer;
  static const Start0Method start0;
  static const RftMethod start("start", "start-0", true,
                               "START (RFT): start-0's correct tool-using samples, fine-tuned from start-0");
  static const RftMethod rft_no_tool("rft-no-tool", "sft", false,
                                     "control (QwQ-RFT): the same RFT on sft's own samples, no tool");
  static const std::vector<std::unique_ptr<Method>> curve = [] {
    std::vector<std::unique_ptr<Method>> v;
    for (int r : {0, 2, 3, 4}) {
      v.push_back(MakeVariant(hint_infer, "hint-infer-r" + std::to_string(r),
                              "Hint-infer with " + std::to_string(r) + " hint rounds (sequential scaling)",
                              {{"rounds", r}}));
    }
    return v;
  }();
  std::vector<const Method*> out = {&hint_infer, &start0, &start, &rft_no_tool};
  for (const auto& m : curve) out.push_back(m.get());
  return out;
}

}  // namespace trainers
