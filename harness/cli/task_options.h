// Flags shared by commands that load a task's data (prompts, score): task, data, variant, seed, filters,
// template. Keeps their spelling and meaning identical across commands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tasks/task.h"

namespace cli {

struct TaskDataFlags {
  std::string task;
  std::string data;
  std::string variant;
  uint64_t seed = 0;                   // option-shuffle seed (GPQA); must match between prompts and score
  std::vector<std::string> filters;    // key=value, e.g. release=release_v1, platform=leetcode
  std::string template_name;
  std::string few_shot_file;
  bool include_broken = false;         // also use records the dataset marks broken (prompts and score alike)
};

void AddTaskDataFlags(CLI::App* cmd, TaskDataFlags* flags);

// Builds LoadOptions from the flags (filters parsed as key=value; "exclude" takes comma-separated ids).
tasks::LoadOptions MakeLoadOptions(const TaskDataFlags& flags);
tasks::PromptOptions MakePromptOptions(const tasks::Task& task, const TaskDataFlags& flags);

// Tells the user, on stderr, which records the dataset marks broken were left out, by id.
void ReportExcludedBroken(const std::vector<std::string>& ids);

}  // namespace cli
