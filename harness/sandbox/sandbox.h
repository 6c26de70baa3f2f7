// Isolated execution of untrusted Python: one program per fresh process tree, with limits, and the
// verdict returned as a value. Used for LiveCodeBench grading (grader.h) and START's tool calls.
//
// Layers, each reported by ActiveLayers() (a missing one is a warning, never a silent downgrade):
//   - rlimits: CPU seconds, address space, file size, processes, open files, no core dumps;
//   - an unprivileged uid leased for this run alone (root's RLIMIT_NPROC is not enforced, and another
//     uid cannot signal the harness, read its /proc/<pid>/environ or write the project tree);
//   - a PID namespace whose init is ours: when the program ends, every process it started (setsid,
//     daemonised, forked) is killed and reaped by the kernel, so nothing outlives the run;
//   - a network namespace (no interfaces up: every connect fails) and a mount namespace with private,
//     empty, size-bounded tmpfs /tmp (holding the working directory), /var/tmp, /dev/shm and a fresh
//     /proc, so a program can neither see other runs nor fill the host's disk;
//   - a seccomp filter (libseccomp) refusing IP sockets, ptrace, mounts, namespaces, module loading;
//   - a scrubbed environment and a private temporary working directory, removed afterwards;
//   - a wall-clock limit enforced by the harness, which kills the whole tree.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sandbox {

struct Limits {
  double cpu_seconds = 6.0;              // RLIMIT_CPU; LiveCodeBench's default --timeout is 6 s
  double wall_seconds = 30.0;            // generous: verdicts must not depend on machine load
  size_t memory_bytes = size_t{2} << 30;  // RLIMIT_AS
  size_t output_bytes = size_t{8} << 20;  // stdout cap; exceeding it is an output-limit verdict
  size_t stderr_bytes = size_t{64} << 10; // stderr is kept up to this, silently truncated
  int max_processes = 32;                // RLIMIT_NPROC of the leased uid (processes + threads)
  int max_open_files = 64;               // RLIMIT_NOFILE
  size_t max_file_bytes = size_t{16} << 20;  // RLIMIT_FSIZE
  size_t scratch_bytes = size_t{64} << 20;   // private in-memory /tmp + working directory (mount ns)
  bool network_namespace = true;
  bool seccomp = true;
  bool pid_namespace = true;
  bool mount_namespace = true;
  bool drop_privileges = true;           // run as a leased unprivileged uid when we are root
  std::string python = "/usr/bin/python3";  // the system interpreter, not a shim on PATH
};

enum class Status {
  kPassed,        // exited 0 within limits (and, when graded, the output matched)
  kWrongAnswer,
  kCompileError,  // syntax error, or no code at all
  kRuntimeError,
  kTimeLimitCpu,
  kTimeLimitWall,
  kMemoryLimit,
  kOutputLimit,
  kSandboxError,  // the harness could not run the program; never the program's fault
};

const char* StatusName(Status status);  // "passed", "wrong_answer", ...

struct RunResult {
  Status status = Status::kSandboxError;
  int exit_code = -1;    // -1 when killed by a signal
  int signal = 0;        // terminating signal, 0 when it exited
  double cpu_seconds = 0;
  double wall_seconds = 0;
  size_t peak_rss_bytes = 0;
  std::string stdout_text, stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string detail;    // why, in words (sandbox errors, which limit)
  // Which path ran it: "fork-server" (a child of a pre-started interpreter, pool.h) or "one-shot" (a
  // fresh interpreter). runner_note says why a pool fell back to one-shot, "" otherwise.
  std::string runner = "one-shot";
  std::string runner_note;
};

// Runs `code` as a script with `stdin_text` on stdin. Never throws for the program's own failures.
RunResult RunPython(const std::string& code, const std::string& stdin_text, const Limits& limits);

struct Layers {
  bool rlimits = false;
  bool unprivileged_uid = false;
  bool pid_namespace = false;
  bool network_namespace = false;
  bool mount_namespace = false;
  bool seccomp = false;
  bool process_group_kill = false;
  bool scrubbed_environment = false;
  std::vector<std::string> warnings;  // one line per requested-but-missing or disabled layer
};

// What `limits` asks for and this machine grants (probed once per process, then cached).
Layers ActiveLayers(const Limits& limits);

// Tool calls (START's Python interpreter): stdout, followed by the error text when the snippet
// failed, truncated to `max_output_chars` bytes with a marker.
struct ToolResult {
  std::string output;
  Status status = Status::kSandboxError;
  bool truncated = false;
};
ToolResult RunTool(const std::string& code, const Limits& limits, size_t max_output_chars);
// The same formatting for a run made elsewhere (a Pool's fork server).
ToolResult ToolResultFrom(const RunResult& run, size_t max_output_chars);

}  // namespace sandbox
