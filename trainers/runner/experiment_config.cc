#include "trainers/runner/experiment_config.h"

#include <algorithm>
#include <set>

#include "harness/util/config_json.h"
#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"
#include "trainers/sft/sft_config.h"

namespace trainers {

namespace {

using nlohmann::json;

void Fail(const std::string& source, const std::string& key, const std::string& message) {
  util::ConfigError(source, key, message);
}

}  // namespace

const std::vector<std::string>& KnownMethods() {
  static const std::vector<std::string> kMethods = {"base", "sft",   "crlft",
                                                    "reft", "start", "wsrl"};
  return kMethods;
}

const std::vector<std::string>& ImplementedMethods() {
  static const std::vector<std::string> kMethods = {"base", "sft"};
  return kMethods;
}

ExperimentConfig ExperimentConfigFromJson(const json& j, const std::string& source) {
  util::RejectUnknownKeys(j, {"name", "seeds", "threads", "methods", "tasks", "sft", "eval"},
                          source, "");
  ExperimentConfig c;
  util::ReadOptional(j, "name", &c.name, source, "");
  util::ReadOptional(j, "threads", &c.threads, source, "");
  if (j.contains("seeds")) {
    if (!j["seeds"].is_array() || j["seeds"].empty())
      Fail(source, "seeds", "expected a non-empty array of integers");
    c.seeds.clear();
    for (const auto& s : j["seeds"]) {
      if (!s.is_number_unsigned() && !(s.is_number_integer() && s.get<long long>() >= 0)) {
        Fail(source, "seeds", "seeds must be non-negative integers, got " + s.dump());
      }
      c.seeds.push_back(s.get<uint64_t>());
    }
  }
  if (j.contains("methods")) {
    if (!j["methods"].is_array() || j["methods"].empty())
      Fail(source, "methods", "expected a non-empty array");
    c.methods.clear();
    for (const auto& m : j["methods"]) {
      if (!m.is_string()) Fail(source, "methods", "expected strings, got " + m.dump());
      std::string name = m.get<std::string>();
      const auto& known = KnownMethods();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string hint = util::ClosestMatch(name, known);
        Fail(source, "methods",
             "unknown method '" + name + "'" +
                 (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"));
      }
      const auto& done = ImplementedMethods();
      if (std::find(done.begin(), done.end(), name) == done.end()) {
        Fail(source, "methods",
             "method '" + name +
                 "' is not implemented in this version of the harness "
                 "(available: base, sft)");
      }
      c.methods.push_back(name);
    }
  }
  if (!j.contains("tasks") || !j["tasks"].is_array() || j["tasks"].empty()) {
    Fail(source, "tasks", "expected a non-empty array of tasks");
  }
  for (size_t i = 0; i < j["tasks"].size(); ++i) {
    const std::string path = "tasks[" + std::to_string(i) + "].";
    const json& t = j["tasks"][i];
    util::RejectUnknownKeys(
        t,
        {"task", "train_n", "test_n", "test_file", "test_limit", "steps", "max_value", "template"},
        source, path);
    ExperimentTask task;
    util::ReadOptional(t, "task", &task.task, source, path);
    util::ReadOptional(t, "train_n", &task.train_n, source, path);
    util::ReadOptional(t, "test_n", &task.test_n, source, path);
    util::ReadOptional(t, "test_file", &task.test_file, source, path);
    util::ReadOptional(t, "test_limit", &task.test_limit, source, path);
    util::ReadOptional(t, "steps", &task.steps, source, path);
    util::ReadOptional(t, "max_value", &task.max_value, source, path);
    util::ReadOptional(t, "template", &task.template_name, source, path);
    if (task.task.empty()) Fail(source, path + "task", "missing required key");
    try {
      tasks::FindTask(task.task);
    } catch (const util::InputError& e) {
      Fail(source, path + "task", e.detail());
    }
    if (task.train_n < 0 || task.test_n < 0 || task.test_limit < 0)
      Fail(source, path + "test_n", "counts must be >= 0");
    if (task.test_file.empty() && task.test_n == 0)
      Fail(source, path + "test_n", "give test_n > 0 or a test_file");
    if (!task.test_file.empty() && !util::FileExists(task.test_file)) {
      Fail(source, path + "test_file", "file not found: " + task.test_file);
    }
    if (!task.template_name.empty()) {
      const auto known = tasks::FindTask(task.task).templates();
      if (std::find(known.begin(), known.end(), task.template_name) == known.end()) {
        std::string list;
        for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
        Fail(source, path + "template",
             "unknown template '" + task.template_name + "' for " + task.task + " (known: " + list +
                 ")");
      }
    }
    if ((task.steps != 0 || task.max_value != 0)) {
      // The generator's own knob checks, run now so that a bad knob fails before any work starts.
      tasks::synth::SynthOptions knobs;
      knobs.task = task.task;
      knobs.steps = task.steps;
      knobs.max_value = task.max_value;
      try {
        tasks::synth::ValidateOptions(knobs);
      } catch (const util::InputError& e) {
        Fail(source, path + e.where().field, e.detail());
      }
    }
    c.tasks.push_back(task);
  }
  if (j.contains("sft")) {
    if (!j["sft"].is_object()) Fail(source, "sft", "expected an object");
    for (const char* reserved : {"train", "eval", "seed", "threads"}) {
      if (j["sft"].contains(reserved))
        Fail(source, std::string("sft.") + reserved, "set by the runner; remove it");
    }
    c.sft = j["sft"];
  }
  if (j.contains("eval")) {
    const json& e = j["eval"];
    util::RejectUnknownKeys(
        e, {"greedy", "k", "temperature", "top_p", "max_new_tokens", "sandbox_timeout"}, source,
        "eval.");
    util::ReadOptional(e, "greedy", &c.eval.greedy, source, "eval.");
    util::ReadOptional(e, "k", &c.eval.k, source, "eval.");
    util::ReadOptional(e, "temperature", &c.eval.temperature, source, "eval.");
    util::ReadOptional(e, "top_p", &c.eval.top_p, source, "eval.");
    util::ReadOptional(e, "max_new_tokens", &c.eval.max_new_tokens, source, "eval.");
    util::ReadOptional(e, "sandbox_timeout", &c.eval.sandbox_timeout, source, "eval.");
    if (c.eval.k < 0) Fail(source, "eval.k", "must be >= 0");
    if (c.eval.k > 1 && c.eval.temperature <= 0)
      Fail(source, "eval.temperature", "k > 1 needs a temperature > 0");
    if (!c.eval.greedy && c.eval.k == 0)
      Fail(source, "eval.k", "nothing to evaluate: greedy is false and k is 0");
    if (c.eval.max_new_tokens < 1) Fail(source, "eval.max_new_tokens", "must be >= 1");
  }
  // Validate the SFT part now, with a placeholder training source, so its errors surface before any
  // work.
  json sft = c.sft;
  sft["train"] = json::array({{{"task", c.tasks[0].task}, {"synthetic_n", 1}}});
  SftConfigFromJson(sft, source + " (sft)");
  const bool trains =
      std::any_of(c.tasks.begin(), c.tasks.end(), [](const auto& t) { return t.train_n > 0; });
  if (!trains && std::find(c.methods.begin(), c.methods.end(), "sft") != c.methods.end()) {
    Fail(source, "tasks", "method sft needs at least one task with train_n > 0");
  }
  return c;
}

json ExperimentConfigToJson(const ExperimentConfig& c) {
  json tasks = json::array();
  for (const auto& t : c.tasks) {
    tasks.push_back({{"task", t.task},
                     {"train_n", t.train_n},
                     {"test_n", t.test_n},
                     {"test_file", t.test_file},
                     {"test_limit", t.test_limit},
                     {"steps", t.steps},
                     {"max_value", t.max_value},
                     {"template", t.template_name}});
  }
  return {{"name", c.name},
          {"seeds", c.seeds},
          {"threads", c.threads},
          {"methods", c.methods},
          {"tasks", tasks},
          {"sft", c.sft},
          {"eval",
           {{"greedy", c.eval.greedy},
            {"k", c.eval.k},
            {"temperature", c.eval.temperature},
            {"top_p", c.eval.top_p},
            {"max_new_tokens", c.eval.max_new_tokens},
            {"sandbox_timeout", c.eval.sandbox_timeout}}}};
}

}  // namespace trainers
