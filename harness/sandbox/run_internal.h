// What RunPython (one interpreter per run) and the fork server (zygote.cc) share: preparing a run's
// work directory, uid lease and spawn plan, and turning what happened into a verdict.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "harness/sandbox/sandbox.h"
#include "harness/sandbox/spawn.h"
#include "harness/sandbox/uid_lease.h"

namespace sandbox {

// A prepared run: the leased uid, a fresh work directory holding main.py, the stdin descriptor and
// the plan for SpawnAndCollect. The destructor removes the directory and releases the uid.
struct PreparedRun {
  std::optional<UidLease> lease;
  std::string workdir;
  int stdin_fd = -1;
  SpawnPlan plan;

  PreparedRun() = default;
  PreparedRun(const PreparedRun&) = delete;
  PreparedRun& operator=(const PreparedRun&) = delete;
  ~PreparedRun();
};

// Prepares `code` to run under `limits` with the layers this machine grants. nullptr (and `error`)
// when the harness cannot.
std::unique_ptr<PreparedRun> PrepareRun(const std::string& code, const std::string& stdin_text,
                                        const Limits& limits, std::string* error);

// Writes all of `data` to `fd`; false on an error.
bool WriteAll(int fd, const std::string& data);

// The verdict for what happened to a program run under `limits`.
RunResult ResultFromOutcome(const Limits& limits, SpawnOutcome outcome);

}  // namespace sandbox
