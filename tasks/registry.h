// The one explicit list of task families.
#pragma once

#include <string>
#include <vector>

#include "tasks/task.h"

namespace tasks {

// All registered tasks, in display order.
const std::vector<const Task*>& AllTasks();
std::vector<std::string> TaskNames();
// Throws util::InputError("unknown task 'gsm9k' (did you mean 'gsm8k'?)") for unknown names.
const Task& FindTask(const std::string& name);
// Task::graded_by_tests() of the task with this name (false for an unknown name): whether its answers are
// programs graded by tests (LiveCodeBench).
bool GradedByTests(const std::string& name);

}  // namespace tasks
