#include "harness/cli/code_grading.h"

#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "harness/sandbox/grader.h"
#include "harness/sandbox/pool.h"
#include "harness/sandbox/program_runner.h"
#include "harness/sandbox/sandbox.h"
#include "harness/util/error.h"

namespace cli {

void AddCodeGradingFlags(CLI::App* cmd, CodeGradingFlags* flags) {
  cmd->add_option("--code-block", flags->code_block, "Code block to grade: last (LiveCodeBench) or first")
      ->check(CLI::IsMember({"last", "first"}))
      ->capture_default_str();
  cmd->add_option("--workers", flags->workers, "Parallel sandbox workers (0 = number of cores)");
  cmd->add_option("--timeout", flags->timeout_seconds, "Per-test CPU limit, seconds")->capture_default_str();
  cmd->add_option("--memory", flags->memory_mb, "Per-program address-space limit, MB")->capture_default_str();
  cmd->add_flag("--no-netns", flags->no_network_namespace, "Do not isolate the network (reported as a warning)");
}

scoring::CodeGrader MakeCodeGrader(const CodeGradingFlags& flags, nlohmann::json* environment) {
  sandbox::Limits limits;
  limits.cpu_seconds = flags.timeout_seconds;
  // Wall limit well above the CPU limit: verdicts must not depend on how loaded the machine is.
  limits.wall_seconds = std::max(limits.wall_seconds, 4 * flags.timeout_seconds);
  limits.memory_bytes = static_cast<size_t>(flags.memory_mb) << 20;
  limits.network_namespace = !flags.no_network_namespace;
  sandbox::Layers layers = sandbox::ActiveLayers(limits);
  *environment = sandbox::LayersToJson(layers);
  (*environment)["cpu_seconds_limit"] = limits.cpu_seconds;
  (*environment)["wall_seconds_limit"] = limits.wall_seconds;
  (*environment)["memory_bytes_limit"] = limits.memory_bytes;
  for (const auto& w : layers.warnings) std::cerr << "sandbox warning: " << w << "\n";
  int workers = flags.workers > 0 ? flags.workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // One pool for the grader's lifetime: a trainer grades every step's rollouts through it, and its
  // zygotes start once instead of once per step. Calls take turns on it.
  struct Shared {
    explicit Shared(int workers) : pool(sandbox::PoolOptions{workers, true}) {}
    std::mutex mutex;
    sandbox::Pool pool;
  };
  auto shared = std::make_shared<Shared>(workers);
  return [limits, shared](const std::vector<std::pair<const tasks::Record*, std::string>>& jobs) {
    std::lock_guard<std::mutex> lock(shared->mutex);
    std::vector<sandbox::GradeResult> graded = sandbox::GradeMany(jobs, limits, shared->pool);
    std::vector<nlohmann::json> out;
    out.reserve(graded.size());
    for (const auto& g : graded) {
      out.push_back({{"passed", g.passed},
                     {"status", sandbox::StatusName(g.status)},
                     {"tests_run", g.tests_run},
                     {"tests_total", g.tests_total},
                     {"first_failed_test", g.first_failed_test},
                     {"cpu_seconds", g.cpu_seconds},
                     {"runner", g.runner}});
    }
    return out;
  };
}

scoring::ProgramRunner MakeProgramAnswerRunner(const CodeGradingFlags& flags, const tasks::Task& task,
                                               tasks::AnswerKind kind, const std::string& data_file,
                                               nlohmann::json* environment) {
  if (kind == tasks::AnswerKind::kCode) {
    throw util::InputError(util::Location{data_file, 0, "--program-answers"},
                           task.name() + " grades programs by their tests; --program-answers is for value answers");
  }
  const sandbox::Limits limits = sandbox::ProgramLimits();
  *environment = sandbox::LayersToJson(sandbox::ActiveLayers(limits));
  (*environment)["cpu_seconds_limit"] = limits.cpu_seconds;
  return sandbox::MakeProgramRunner(flags.workers, limits);
}

}  // namespace cli
