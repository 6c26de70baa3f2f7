// `harness prompts`: renders a task's prompts for generation elsewhere, for the same records `harness score`
// scores (scoring::SelectRecords). One jsonl line per record:
// {"id", "prompt", "gold", "choices"?: [...], "choice_order"?: [...]} with choices in the shown order, so
// `gold` is the letter to expect.
#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/task_options.h"
#include "harness/scoring/scoring.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "tasks/registry.h"

namespace cli {

namespace {

struct PromptsFlags {
  TaskDataFlags data;
  std::string out;
};

int RunPrompts(const PromptsFlags& flags) {
  const tasks::Task& task = tasks::FindTask(flags.data.task);
  std::vector<tasks::Record> records = task.Load(MakeLoadOptions(flags.data));
  tasks::PromptOptions prompt_options = MakePromptOptions(task, flags.data);
  scoring::RecordSelection selection = scoring::SelectRecords(records, flags.data.include_broken);
  std::vector<nlohmann::json> rows;
  rows.reserve(selection.kept.size());
  for (const tasks::Record* r : selection.kept) {
    nlohmann::json row = tasks::RecordSummaryJson(*r);
    row["prompt"] = task.RenderPrompt(*r, prompt_options);
    rows.push_back(std::move(row));
  }
  util::WriteJsonLinesAtomic(flags.out, rows);
  ReportExcludedBroken(selection.excluded_broken);
  std::cerr << "wrote " << rows.size() << " prompts (" << task.name() << ", template "
            << prompt_options.template_name << ") to " << flags.out << "\n";
  return kOk;
}

}  // namespace

void RegisterPromptsCommand(CLI::App& app, Action* selected) {
  auto flags = std::make_shared<PromptsFlags>();
  auto* cmd = app.add_subcommand("prompts", "Render a task's prompts to jsonl for generation elsewhere");
  AddTaskDataFlags(cmd, &flags->data);
  cmd->add_option("--out", flags->out, "Output prompts.jsonl")->required();
  cmd->callback([selected, flags] { *selected = [flags] { return RunPrompts(*flags); }; });
}

}  // namespace cli
