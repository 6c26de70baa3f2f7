// Factories of the task families; each lives in its own loaders/<family>.cc and is listed once in
// tasks/registry.cc.
#pragma once

#include "tasks/task.h"

namespace tasks::loaders {

const Task& Gsm8kTask();
const Task& SvampTask();
const Task& MathqaTask();
const Task& AgievalTask();
const Task& GpqaTask();
const Task& AimeTask();
const Task& LivecodebenchTask();

}  // namespace tasks::loaders
