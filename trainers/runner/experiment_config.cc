#include "trainers/runner/experiment_config.h"

#include <algorithm>
#include <set>

#include "harness/util/config_fields.h"
#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/text.h"
#include "tasks/loaders/task_base.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"
#include "trainers/methods/registry.h"

namespace trainers {

namespace {

using nlohmann::json;
using util::AtLeast;
using util::RuleFailure;

// Task-level rules: a known task, a test set, an existing file, a known template, the generator's knobs (its
// own checks, e.g. tool_share only with ncot or ncot-check).
RuleFailure CheckTask(const ExperimentTask& t) {
  try {
    tasks::FindTask(t.task);
  } catch (const util::InputError& e) {
    return {"task", e.detail()};
  }
  if (t.test_file.empty() && t.test_n == 0) return {"test_n", "give test_n > 0 or a test_file"};
  if (!t.test_file.empty() && !util::FileExists(t.test_file)) return {"test_file", "file not found: " + t.test_file};
  if (!t.template_name.empty()) {
    try {
      tasks::loaders::ResolveTemplate(t.template_name, tasks::FindTask(t.task).templates(), t.task);
    } catch (const util::InputError& e) {
      return {"template", e.detail()};
    }
  }
  if (t.steps != 0 || t.max_value != 0 || t.tool_share > 0) {
    tasks::synth::SynthOptions knobs;
    knobs.task = t.task;
    knobs.steps = t.steps;
    knobs.max_value = t.max_value;
    knobs.tool_share = t.tool_share;
    if (!tasks::GradedByTests(t.task)) knobs.style = t.style;  // it learns its reference program: the runner gives it no style
    try {
      tasks::synth::ValidateOptions(knobs);
    } catch (const util::InputError& e) {
      return {e.where().field, e.detail()};
    }
  }
  return util::Ok();
}

// Section names of the registered methods' options (each method's name, shared by its variants).
std::vector<std::string> SectionNames() {
  std::vector<std::string> names;
  for (const Method* m : AllMethods()) {
    const std::string s = m->options_section();
    if (!s.empty() && std::find(names.begin(), names.end(), s) == names.end()) names.push_back(s);
  }
  return names;
}

}  // namespace

const util::Fields<ExperimentTask>& ExperimentTaskFields() {
  using T = ExperimentTask;
  static const auto* fields = [] {
    auto* f = new util::Fields<T>();
    f->Add("task", &T::task, "task registry name", util::NonEmpty())
        .Add("train_n", &T::train_n, "synthetic training problems (0 = not trained on)", AtLeast(0))
        .Add("test_n", &T::test_n, "synthetic test problems (ignored when test_file is given)", AtLeast(0))
        .Add("test_file", &T::test_file, "evaluate on this file in the benchmark's format instead")
        .Add("test_limit", &T::test_limit, "evaluate only the first N test records (0 = all)", AtLeast(0))
        .Add("steps", &T::steps, "synthetic difficulty: reasoning steps (0 = task default)", AtLeast(0))
        .Add("max_value", &T::max_value, "synthetic number scale (0 = task default)", AtLeast(0))
        .Add("template", &T::template_name, "prompt template for training and evaluation (\"\" = task default)")
        .Add("style", &T::style,
             "generator solution style trained on: ncot, ncot-check (multiple choice checks the options in "
             "turn), or pcot (ReFT's P-CoT: a Python program whose printed value is the answer; evaluation and "
             "rewards run it in the sandbox); livecodebench always learns its reference program",
             util::OneOf({"ncot", "ncot-check", "pcot"}))
        .Add("tool_share", &T::tool_share,
             "share of training problems (drawn per problem) whose solution then recomputes the answer with the "
             "Python tool after the hint 'Wait, maybe using Python here is a good idea.' (START: a few percent); "
             "livecodebench: the program run on sample 1 with the tool after the debug hint, half of them "
             "repairing a slipped program",
             util::InRange(0.0, 1.0))
        .Add("lookup_share", &T::lookup_share,
             "mathqa/agieval/gpqa: share of training problems (drawn per problem) asked as option-lookup drills "
             "('Which option is 36?', the same options, no reasoning steps); test problems are never drills",
             util::InRange(0.0, 1.0));
    f->Rule([](const T& t) {
      const std::string refusal = t.lookup_share > 0 ? tasks::synth::LookupShareRefusal(t.task, t.style) : "";
      return refusal.empty() ? util::Ok() : RuleFailure{"lookup_share", refusal};
    });
    f->Rule([](const T& t) {
      if (!tasks::synth::AnswersByProgram(t.style)) return util::Ok();
      if (tasks::GradedByTests(t.task)) {
        return RuleFailure{"style", t.task + " always learns its reference program; pcot is for the other families"};
      }
      return util::Ok();
    });
    f->Rule(CheckTask);
    return f;
  }();
  return *fields;
}

const util::Fields<ExperimentEval>& ExperimentEvalFields() {
  using E = ExperimentEval;
  static const auto* fields = [] {
    auto* f = new util::Fields<E>();
    f->Add("greedy", &E::greedy, "one greedy sample per problem (accuracy)")
        .Add("k", &E::k, "sampled completions per problem: maj@k, pass@k, avg@k (0 = none)", AtLeast(0))
        .Add("sampled_methods", &E::sampled_methods, "methods that get the k samples ([] = every method)")
        .Add("sampled_tasks", &E::sampled_tasks, "tasks that get the k samples ([] = every task)")
        .Add("reranker", &E::reranker, "method of the run whose model scores the k samples for rerank@k (\"\" = none)")
        .Add("temperature", &E::temperature, "sampling temperature of the k samples", AtLeast(0.0))
        .Add("top_p", &E::top_p, "nucleus sampling of the k samples", util::InRange(0.0, 1.0))
        .Add("max_new_tokens", &E::max_new_tokens, "generation budget per completion", AtLeast(1))
        .Add("sandbox_timeout", &E::sandbox_timeout, "CPU seconds per LiveCodeBench test", AtLeast(0.01));
    f->Rule([](const E& e) {
      return e.k > 1 && e.temperature <= 0 ? RuleFailure{"temperature", "k > 1 needs a temperature > 0"} : util::Ok();
    });
    f->Rule([](const E& e) {
      return !e.greedy && e.k == 0 ? RuleFailure{"k", "nothing to evaluate: greedy is false and k is 0"} : util::Ok();
    });
    return f;
  }();
  return *fields;
}

const util::Fields<ExperimentDifficulty>& ExperimentDifficultyFields() {
  using D = ExperimentDifficulty;
  static const auto* fields = [] {
    auto* f = new util::Fields<D>();
    f->Add("tasks", &D::tasks, "families to evaluate over the grid (each one of the run's tasks; [] = no grid)")
        .Add("methods", &D::methods, "methods whose final model is gridded ([] = every method of the run)")
        .Add("steps", &D::steps, "reasoning steps per problem, one grid row each")
        .Add("max_values", &D::max_values, "number scales, one grid column each")
        .Add("n", &D::n, "synthetic test problems per cell", AtLeast(1));
    f->Rule([](const D& d) {
      if (d.tasks.empty()) return util::Ok();
      if (d.steps.empty()) return RuleFailure{"steps", "expected a non-empty array of step counts"};
      if (d.max_values.empty()) return RuleFailure{"max_values", "expected a non-empty array of number scales"};
      for (const auto& task : d.tasks) {
        for (int steps : d.steps) {
          for (int max_value : d.max_values) {
            tasks::synth::SynthOptions knobs;
            knobs.task = task;
            knobs.steps = steps;
            knobs.max_value = max_value;
            try {
              tasks::synth::ValidateOptions(knobs);
            } catch (const util::InputError& e) {
              return RuleFailure{e.where().field == "max_value" ? "max_values" : e.where().field == "steps" ? "steps" : "tasks",
                                 task + ": " + e.detail()};
            }
          }
        }
      }
      return util::Ok();
    });
    return f;
  }();
  return *fields;
}

const util::Fields<ExperimentConfig>& ExperimentConfigFields() {
  using C = ExperimentConfig;
  static const auto* fields = [] {
    auto* f = new util::Fields<C>();
    f->Add("name", &C::name, "results go to results/<name> unless --out is given", util::NonEmpty())
        .Add("seeds", &C::seeds, "one full run per seed", util::Check<std::vector<uint64_t>>([](const auto& v) {
               return v.empty() ? std::string("expected a non-empty array of integers") : std::string();
             }))
        .Add("threads", &C::threads, "torch intra-op threads (0 = number of cores)", AtLeast(0))
        .Add("methods", &C::methods, "methods to evaluate (harness methods lists them)",
             util::Check<std::vector<std::string>>([](const std::vector<std::string>& v) {
               if (v.empty()) return std::string("expected a non-empty array");
               for (const auto& name : v) {
                 try {
                   FindMethod(name);
                 } catch (const util::InputError& e) {
                   return e.detail();
                 }
               }
               return std::string();
             }))
        .AddList("tasks", &C::tasks, &ExperimentTaskFields(), "task families, their data and test sets")
        .AddStruct("training", &C::training, &SftSettingsFields(),
                   "the training scaffold's settings, shared by every trainer (model, optimizer, schedule)")
        .AddStruct("eval", &C::eval, &ExperimentEvalFields(), "evaluation of every method on every task")
        .Add("method_training", &C::method_training,
             "per-method overrides of the training section, {\"<method>\": {\"max_steps\": 300}}",
             util::Check<json>([](const json& v) {
               for (const auto& [name, value] : v.items()) {
                 try {
                   FindMethod(name);
                 } catch (const util::InputError& e) {
                   return e.detail();
                 }
                 if (!value.is_object()) return "'" + name + "': expected an object of training fields";
                 if (!FindMethod(name).HasCheckpoint()) return "'" + name + "' trains nothing (a served model)";
               }
               return std::string();
             }))
        .AddStruct("difficulty", &C::difficulty, &ExperimentDifficultyFields(),
                   "held-out difficulty grid: accuracy against steps and number scale (off unless tasks are given)");
    f->Rule([](const C& c) { return c.tasks.empty() ? RuleFailure{"tasks", "expected a non-empty array of tasks"} : util::Ok(); });
    f->Rule([](const C& c) {
      // An override for a method this run does not train would be silently ignored.
      for (const auto& [name, value] : c.method_training.items()) {
        bool trained = false;
        for (const auto& requested : c.methods) {
          for (const Method* m = &FindMethod(requested); m != nullptr && !trained;
               m = m->starts_from().empty() ? nullptr : &FindMethod(m->starts_from())) {
            trained = m->name() == name;
          }
        }
        if (!trained) {
          return RuleFailure{"method_training", "'" + name + "' is not trained by this run (its methods and what they "
                                                "start from)"};
        }
      }
      return util::Ok();
    });
    f->Rule([](const C& c) {
      for (const auto& task : c.difficulty.tasks) {
        const bool run = std::any_of(c.tasks.begin(), c.tasks.end(), [&](const auto& t) { return t.task == task; });
        if (!run) return RuleFailure{"difficulty.tasks", "'" + task + "' is not one of the run's tasks"};
      }
      for (const auto& method : c.difficulty.methods) {
        if (std::find(c.methods.begin(), c.methods.end(), method) == c.methods.end()) {
          return RuleFailure{"difficulty.methods", "'" + method + "' is not one of the run's methods"};
        }
      }
      if (!c.eval.reranker.empty() && std::find(c.methods.begin(), c.methods.end(), c.eval.reranker) == c.methods.end()) {
        return RuleFailure{"eval.reranker", "'" + c.eval.reranker + "' is not one of the run's methods"};
      }
      if (!c.eval.reranker.empty() && !FindMethod(c.eval.reranker).HasCheckpoint()) {
        return RuleFailure{"eval.reranker", "'" + c.eval.reranker + "' has no checkpoint to score samples with"};
      }
      for (const auto& task : c.eval.sampled_tasks) {
        const bool run = std::any_of(c.tasks.begin(), c.tasks.end(), [&](const auto& t) { return t.task == task; });
        if (!run) return RuleFailure{"eval.sampled_tasks", "'" + task + "' is not one of the run's tasks"};
      }
      for (const auto& method : c.eval.sampled_methods) {
        if (std::find(c.methods.begin(), c.methods.end(), method) == c.methods.end()) {
          return RuleFailure{"eval.sampled_methods", "'" + method + "' is not one of the run's methods"};
        }
      }
      return util::Ok();
    });
    f->Rule([](const C& c) {
      // The base model's tokenizer is trained on the training texts, and every trainer needs them.
      const bool trains = std::any_of(c.tasks.begin(), c.tasks.end(), [](const auto& t) { return t.train_n > 0; });
      // Only a root method (one that starts from nothing) can do without them, and only when its tokenizer
      // comes from elsewhere.
      const auto is_root = [](const std::string& name) {
        const auto& all = AllMethods();
        return std::any_of(all.begin(), all.end(), [&](const Method* m) { return m->name() == name && m->starts_from().empty(); });
      };
      const bool only_roots = std::all_of(c.methods.begin(), c.methods.end(), is_root);
      const bool needs_no_texts = !c.training.init_checkpoint.empty() || c.training.tokenizer_vocab == 0;
      // Methods without a checkpoint (served models) make and train no model.
      const bool makes_models = std::any_of(c.methods.begin(), c.methods.end(),
                                            [](const std::string& name) { return FindMethod(name).HasCheckpoint(); });
      if (trains || !makes_models || (only_roots && needs_no_texts)) return util::Ok();
      return RuleFailure{"tasks", "no task has train_n > 0: the untrained model's tokenizer and every trainer need "
                                  "training data (or give training.init_checkpoint and only methods that start "
                                  "from nothing)"};
    });
    return f;
  }();
  return *fields;
}

ExperimentConfig ExperimentConfigFromJson(const json& j, const std::string& source) {
  // Method sections (a method's options under its name) sit beside the declared fields; unknown keys are
  // checked over both.
  std::vector<std::string> known = ExperimentConfigFields().Names();
  const std::vector<std::string> sections = SectionNames();
  known.insert(known.end(), sections.begin(), sections.end());
  util::RejectUnknownKeys(j, known, source, "");
  json own = j;
  ExperimentConfig c;
  for (const auto& s : sections) {
    if (!j.contains(s)) continue;
    if (!j[s].is_object()) util::ConfigError(source, s, "expected an object");
    c.sections[s] = j[s];
    own.erase(s);
  }
  if (!own.contains("tasks")) util::ConfigError(source, "tasks", "expected a non-empty array of tasks");
  ExperimentConfigFields().ReadInto(own, &c, source);
  // Each method's training overrides must make valid settings, checked now with their dotted path.
  for (const auto& [name, value] : c.method_training.items()) MethodTrainingSettings(c, c.training, name, source);
  // Each method's own options, validated now so their errors come before any work; a requested method
  // without its section must accept the defaults (the endpoint method has required options).
  for (const auto& [section, value] : c.sections) {
    for (const Method* m : AllMethods()) {
      if (m->options_section() == section) {
        m->ResolveOptions(value, source);
        break;
      }
    }
  }
  for (const auto& name : c.methods) {
    const Method& m = FindMethod(name);
    if (!m.options_section().empty() && c.sections.count(m.options_section()) == 0) {
      m.ResolveOptions(json::object(), source);
    }
  }
  return c;
}

json ExperimentConfigToJson(const ExperimentConfig& c) {
  json out = ExperimentConfigFields().ToJson(c);
  for (const auto& [section, value] : c.sections) out[section] = value;
  return out;
}

SftConfig MethodTrainingSettings(const ExperimentConfig& c, const SftConfig& settings, const std::string& method,
                                 const std::string& source) {
  SftConfig out = settings;
  const auto it = c.method_training.find(method);
  if (it != c.method_training.end()) SftSettingsFields().ReadInto(*it, &out, source, "method_training." + method + ".");
  return out;
}

json MethodOptions(const ExperimentConfig& c, const Method& method) {
  const std::string section = method.options_section();
  const auto it = c.sections.find(section);
  return method.ResolveOptions(it == c.sections.end() ? json::object() : it->second, "config");
}

}  // namespace trainers
