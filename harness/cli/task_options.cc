#include "harness/cli/task_options.h"

#include <iostream>

#include "harness/util/error.h"
#include "harness/util/text.h"

namespace cli {

void AddTaskDataFlags(CLI::App* cmd, TaskDataFlags* flags) {
  cmd->add_option("--task", flags->task, "Task family (see `harness tasks`)")->required();
  cmd->add_option("--data", flags->data, "Data file in the benchmark's published format")->required();
  cmd->add_option("--variant", flags->variant, "Variant (default: inferred from the file name)");
  cmd->add_option("--seed", flags->seed, "Seed of content-hashed option shuffles (GPQA)")->capture_default_str();
  cmd->add_option("--filter", flags->filters,
                  "Task filter key=value (LiveCodeBench: release, start_date, end_date, platform, difficulty, "
                  "exclude=id1,id2)");
  cmd->add_option("--template", flags->template_name, "Prompt template (default: the task's first)");
  cmd->add_option("--few-shot-file", flags->few_shot_file, "AGIEval few_shot_prompts.csv for few-shot templates");
  cmd->add_flag("--include-broken", flags->include_broken,
                "Also use records the dataset marks broken (left out by both prompts and score by default)");
}

tasks::LoadOptions MakeLoadOptions(const TaskDataFlags& flags) {
  tasks::LoadOptions options;
  options.path = flags.data;
  options.variant = flags.variant;
  options.shuffle_seed = flags.seed;
  for (const auto& f : flags.filters) {
    auto eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw util::InputError(util::Location{"", 0, "--filter"}, "expected key=value, got '" + f + "'");
    }
    std::string key = f.substr(0, eq), value = f.substr(eq + 1);
    if (key == "exclude") {
      auto& list = options.filters["exclude"];
      if (!list.is_array()) list = nlohmann::json::array();
      for (const auto& id : util::Split(value, ',')) {
        if (!util::Trim(id).empty()) list.push_back(util::Trim(id));
      }
    } else {
      options.filters[key] = value;
    }
  }
  return options;
}

tasks::PromptOptions MakePromptOptions(const tasks::Task& task, const TaskDataFlags& flags) {
  tasks::PromptOptions options;
  options.template_name = flags.template_name.empty() ? task.templates().front() : flags.template_name;
  options.few_shot_file = flags.few_shot_file;
  return options;
}

void ReportExcludedBroken(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::cerr << "note: " << ids.size() << " records the dataset marks broken were left out (ids: " << util::Join(ids)
            << "); --include-broken uses them\n";
}

}  // namespace cli
