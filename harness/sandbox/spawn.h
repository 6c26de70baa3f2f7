// The process layer of the sandbox: starts one interpreter inside its namespaces and limits, feeds
// stdin, collects capped stdout/stderr, enforces the wall clock, and returns what happened. Knows
// nothing about verdicts (run_python.cc classifies) or tests (grader.cc).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace sandbox {

struct SpawnPlan {
  std::string executable;                                 // absolute path
  std::vector<std::string> args;                          // without argv[0]
  std::vector<std::pair<std::string, std::string>> env;   // the whole environment
  std::string workdir;                                    // absolute, under /tmp; the program's cwd
  std::string script_name;                                // the script inside workdir (copied when
                                                          // the mount namespace privatises /tmp)
  size_t scratch_bytes = size_t{64} << 20;                // size of the private /tmp
  int stdin_fd = -1;                                      // read end given to the program as fd 0

  // Layers to apply (already checked against what the machine supports).
  bool pid_namespace = false;
  bool network_namespace = false;
  bool mount_namespace = false;
  const std::vector<sock_filter>* seccomp_program = nullptr;  // nullptr: no seccomp
  bool drop_privileges = false;
  uid_t uid = 0;                                          // when drop_privileges

  bool apply_rlimits = true;
  double cpu_seconds = 6;
  size_t memory_bytes = 0;
  size_t max_file_bytes = 0;
  int max_processes = 0;
  int max_open_files = 0;

  double wall_seconds = 30;
  size_t output_bytes = 0;
  size_t stderr_bytes = 0;

  // A long-lived program (the fork server, zygote.cc): `control_fd` is given to it as fd 5, and the
  // harness stops the whole tree when `cancel_fd` becomes readable. -1: none.
  int control_fd = -1;
  int cancel_fd = -1;
};

constexpr int kControlFd = 5;  // the program's end of SpawnPlan::control_fd

struct SpawnOutcome {
  std::string setup_error;      // non-empty: the harness failed, not the program
  bool have_status = false;     // the program's wait status arrived
  int wait_status = 0;
  double cpu_seconds = 0;
  size_t peak_rss_bytes = 0;
  double wall_seconds = 0;
  bool killed_wall = false;     // the harness stopped it at the wall-clock limit
  bool killed_output = false;   // the harness stopped it for exceeding the stdout cap
  bool cancelled = false;       // stopped because SpawnPlan::cancel_fd became readable
  std::string stdout_text, stderr_text;
  bool stdout_truncated = false, stderr_truncated = false;
};

SpawnOutcome SpawnAndCollect(const SpawnPlan& plan);

// Reads what is available on `fd` into `out`, keeping at most `cap` bytes (`truncated` set when more
// came); false at EOF or on an error other than EINTR/EAGAIN.
bool Drain(int fd, std::string* out, size_t cap, bool* truncated);

}  // namespace sandbox
