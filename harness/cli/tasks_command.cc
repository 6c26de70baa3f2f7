// `harness tasks [--json]`: every task, its variants, version, templates, presets and data sources.
#include <iostream>

#include <nlohmann/json.hpp>

#include "harness/cli/command.h"
#include "harness/util/text.h"
#include "tasks/registry.h"

namespace cli {

namespace {

using util::Join;

int RunTasks(bool as_json) {
  nlohmann::json rows = nlohmann::json::array();
  for (const tasks::Task* task : tasks::AllTasks()) {
    rows.push_back({{"name", task->name()},
                    {"version", task->version()},
                    {"variants", task->variants()},
                    {"templates", task->templates()},
                    {"extraction_presets", task->extraction_presets()},
                    {"description", task->description()}});
  }
  if (as_json) {
    std::cout << rows.dump(2) << "\n";
    return kOk;
  }
  for (const auto& row : rows) {
    std::cout << row["name"].get<std::string>() << " (v" << row["version"].get<std::string>() << ")\n"
              << "  variants:  " << Join(row["variants"]) << "\n"
              << "  templates: " << Join(row["templates"]) << "\n"
              << "  presets:   " << Join(row["extraction_presets"]) << "\n"
              << "  data:      " << row["description"].get<std::string>() << "\n";
  }
  return kOk;
}

}  // namespace

void RegisterTasksCommand(CLI::App& app, Action* selected) {
  auto* cmd = app.add_subcommand("tasks", "List every task family, variant, version and data source");
  auto as_json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *as_json, "Print machine-readable JSON");
  cmd->callback([selected, as_json] { *selected = [as_json] { return RunTasks(*as_json); }; });
}

}  // namespace cli
