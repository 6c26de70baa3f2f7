#include "tasks/registry.h"

#include "harness/util/error.h"
#include "harness/util/text.h"
#include "tasks/loaders/families.h"

namespace tasks {

// Each task family defines a factory in its own loaders/<family>.cc; this is the one list.

const std::vector<const Task*>& AllTasks() {
  static const std::vector<const Task*> kTasks = {
      &loaders::Gsm8kTask(),         &loaders::MathqaTask(), &loaders::SvampTask(),
      &loaders::AgievalTask(),       &loaders::GpqaTask(),   &loaders::AimeTask(),
      &loaders::LivecodebenchTask(),
  };
  return kTasks;
}

std::vector<std::string> TaskNames() {
  std::vector<std::string> names;
  for (const Task* t : AllTasks()) names.push_back(t->name());
  return names;
}

const Task& FindTask(const std::string& name) {
  for (const Task* t : AllTasks()) {
    if (t->name() == name) return *t;
  }
  std::string message = "unknown task '" + name + "'";
  std::string suggestion = util::ClosestMatch(name, TaskNames());
  if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
  std::string known;
  for (const auto& n : TaskNames()) known += (known.empty() ? "" : ", ") + n;
  message += "; known tasks: " + known;
  throw util::InputError(util::Location{"", 0, "task"}, message);
}

}  // namespace tasks
