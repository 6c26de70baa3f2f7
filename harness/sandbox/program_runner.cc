#include "harness/sandbox/program_runner.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "harness/sandbox/pool.h"

namespace sandbox {

Limits ProgramLimits() {
  Limits limits;
  limits.cpu_seconds = 2.0;
  limits.wall_seconds = 10.0;
  limits.memory_bytes = size_t{512} << 20;
  limits.output_bytes = size_t{64} << 10;
  return limits;
}

scoring::ProgramRunner MakeProgramRunner(int workers, const Limits& limits) {
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  struct Shared {
    explicit Shared(int workers) : pool(PoolOptions{workers, true}) {}
    std::mutex mutex;
    Pool pool;
  };
  auto shared = std::make_shared<Shared>(workers);
  return [shared, limits](const std::vector<std::string>& programs) {
    std::lock_guard<std::mutex> lock(shared->mutex);
    std::unordered_map<uint64_t, size_t> row_of;
    for (size_t i = 0; i < programs.size(); ++i) row_of[shared->pool.Submit(Job{programs[i], "", limits})] = i;
    std::vector<scoring::ProgramRun> runs(programs.size());
    while (std::optional<Verdict> verdict = shared->pool.Next()) {
      scoring::ProgramRun& run = runs[row_of.at(verdict->id)];
      run.ran = verdict->result.status == Status::kPassed;
      run.status = StatusName(verdict->result.status);
      run.output = std::move(verdict->result.stdout_text);
    }
    return runs;
  };
}

}  // namespace sandbox
