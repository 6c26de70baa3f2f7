// A training method as a registered part (see ../shared/design.md, "Methods"): its name, the paper it
// reproduces, what it starts from, its own typed options (fields declared once), `Train` (checkpoint +
// training log) and what evaluation needs from it. The runner and `harness train <method>` only talk to
// this interface; they never name a method. Methods are listed once, in registry.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/scoring/scoring.h"
#include "harness/util/config_fields.h"

#include "trainers/eval/evaluate.h"
#include "trainers/sft/sft_config.h"
#include "trainers/sft/sft_trainer.h"

namespace trainers {

// What a method's Train gets.
struct TrainRequest {
  std::string out_dir;             // this step's directory; rerunning into it resumes
  SftConfig settings;              // the scaffold settings, data sources (the experiment's training
                                   // splits, N-CoT), seed and threads; init_checkpoint = the parent's
  nlohmann::json options;          // the method's own options, resolved (ResolveOptions)
  std::vector<std::string> special_tokens;  // every special token any method of the run needs (base)
  EvalCallback eval;               // held-out evaluation during training (may be empty)
  // The sandbox's test grader for code tasks, built on first use (empty: none; a method that grades code
  // samples during training, START on livecodebench, then refuses such tasks).
  std::function<scoring::CodeGrader()> code_grader;
};

struct TrainOutput {
  std::string checkpoint_dir;      // HF layout, with tokenizer.json
  nlohmann::json summary;          // steps, final_loss, tokens_per_second, train_seconds, examples, ...
};

// Evaluation of a model the run does not hold (a served one): generates the completions of `records` itself
// and scores them like EvaluateModel. `step_dir` is the evaluation step's directory (for its own files, e.g.
// a response cache a rerun resumes from).
using EvaluateFn = std::function<EvalOutput(const tasks::Task& task, const std::vector<tasks::Record>& records,
                                            const EvalOptions& options, const std::string& step_dir)>;

// What evaluation of a trained method needs.
struct EvalSpec {
  std::string prompt_prefix;       // inference condition, prepended to every rendered prompt
  GenerateFn generate;             // generation beyond plain decoding (START's tools and hints); empty = plain
  nlohmann::json generation = nullptr;  // what `generate` does, for the evaluation's key (null = plain)
  EvaluateFn evaluate;             // set by a method without a checkpoint (HasCheckpoint() false): the runner
                                   // evaluates with it and loads no model
  std::string model;               // the model results rows name ("" = the run's model)
};

class Method {
 public:
  virtual ~Method() = default;
  virtual std::string name() const = 0;
  // Which trainer runs it: its own name; a variant's parent's (steps with equal trainer, training
  // options and inputs are trained once).
  virtual std::string trainer() const { return name(); }
  virtual std::string paper() const = 0;        // citation, "" when none
  virtual std::string summary() const = 0;      // one line for `harness methods`
  // The method whose checkpoint this one starts from ("" = none: it makes the initial model).
  virtual std::string starts_from() const = 0;
  // Config key of the experiment section holding this method's options ("" = it has none). Variants
  // of one method share their parent's section.
  virtual std::string options_section() const { return ""; }
  // [{name, type, default, doc}] of the options, for `harness methods`.
  virtual nlohmann::json DescribeOptions() const { return nlohmann::json::array(); }
  // Validates the user's section (absent: {}) and returns the complete options with defaults filled
  // in. Throws util::InputError naming `source` and the key.
  virtual nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const {
    return nlohmann::json::object();
  }
  // The part of the options that changes the trained model (the training step's key): options that only
  // change evaluation (an inference condition) are left out so that such variants share one training.
  virtual nlohmann::json TrainingOptions(const nlohmann::json& options) const { return options; }
  // Special tokens the method's data needs in the shared tokenizer (condition tokens).
  virtual std::vector<std::string> SpecialTokens(const nlohmann::json& options) const { return {}; }
  // False for a method that evaluates a model it does not hold (a served one): the runner makes no training
  // step and loads no model for it, and evaluates it with Evaluation(options).evaluate; TrainingOptions
  // is then the identity of what it evaluates (the evaluations' key). It cannot be trained with
  // `harness train`, be another method's parent, or be the reranker.
  virtual bool HasCheckpoint() const { return true; }
  // False for a method that trains no text model (it returns summary["study"], reports/study.h):
  // `harness train` then needs no training data in its config.
  virtual bool TrainsTextModel() const { return true; }
  // Whether the method trains on (and so is evaluated on) this task.
  virtual bool TrainsOn(const std::string& task, const nlohmann::json& options) const { return true; }
  virtual TrainOutput Train(const TrainRequest& request) const = 0;
  // Whether Train runs on every rank of a data-parallel world, its gradient steps summed across ranks
  // (trainers/distributed/world.h); false: rank 0 trains it alone while the other ranks wait.
  virtual bool DataParallel() const { return false; }
  virtual EvalSpec Evaluation(const nlohmann::json& options) const {
    return {};
  }
};

// ResolveOptions for a method whose options are a util::Fields struct: the user's section (null = {}) read
// and validated with errors under "<section>.", returned complete with defaults.
template <typename Options>
nlohmann::json ResolveFieldOptions(const util::Fields<Options>& fields, const nlohmann::json& section,
                                   const std::string& source, const std::string& section_name) {
  const nlohmann::json given = section.is_null() ? nlohmann::json::object() : section;
  return fields.ToJson(fields.Read(given, source, section_name + "."));
}

// A variant of a registered method with some options fixed (an ablation arm). It trains and evaluates
// exactly as its parent with those options; the user's section for the parent applies underneath.
std::unique_ptr<Method> MakeVariant(const Method& parent, std::string name, std::string summary,
                                    nlohmann::json fixed_options);

}  // namespace trainers
