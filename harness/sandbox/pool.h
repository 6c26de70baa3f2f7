// Many programs through the sandbox: submit jobs, collect verdicts as they finish, keep working
// meanwhile. Each worker keeps a fork server ("zygote"): one interpreter started inside the same
// isolation as a one-shot run (leased unprivileged uid, pid/net/mount namespaces, seccomp, scrubbed
// environment), with the modules checks need already imported, that forks one child per job. The
// child gets the job's rlimits, a fresh scratch directory in the private /tmp, HOME there, and the
// job's stdin/stdout/stderr; when it ends, every process of the leased uid but the zygote is killed
// and the private /tmp, /var/tmp and /dev/shm are emptied, so no run sees what another left (files,
// processes, module state, environment: a fork copies the zygote's untouched state).
//
// A zygote that dies or stops answering is replaced; the job it held gets a verdict (runtime error
// "fork server died", or the wall-clock verdict), never a hang. When a zygote cannot start, the job
// runs on the one-shot path (RunPython) and RunResult::runner / runner_note say so.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/sandbox/sandbox.h"

namespace sandbox {

// Names a job's code finds already bound, so that a fork server's child need not bind them again
// (binding hundreds of names writes the reference count of each object and copies the page it sits
// on: about 0.7 ms of a LiveCodeBench test's ~2 ms). `imports`: lines `import m` or `from m import *`
// only. A zygote executes them once, into a namespace it keeps for every later job naming the same
// prelude, when each module named is already loaded there (so that its own state stays as it was);
// the child then finds that namespace as the global kPreludeGlobal of `__main__`. The job's code takes
// it out (globals().pop) and, when it is absent (the one-shot path, or a prelude a zygote declined),
// builds the same namespace itself: the code's output is the same on either path. `module` empty: the
// namespace is a dict {'__name__': '__main__', '__builtins__': builtins}; otherwise a new module of that
// name with an empty docstring (LiveCodeBench's tmp_sol).
struct Prelude {
  std::string imports;
  std::string module;
};
inline constexpr const char* kPreludeGlobal = "_harness_prelude";

struct Job {
  std::string code;
  std::string stdin_text;
  Limits limits;
  Prelude prelude = {};  // none when imports is empty
};

struct Verdict {
  uint64_t id = 0;  // as returned by Submit
  RunResult result;
};

struct PoolOptions {
  int workers = 1;             // processes running jobs at once (each with its own zygote)
  bool fork_server = true;     // false: every job on the one-shot path
};

class Pool {
 public:
  explicit Pool(const PoolOptions& options);
  ~Pool();  // waits for running jobs, drops queued ones, stops the zygotes
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Queues a job and returns at once; ids count up from 0 in submission order.
  uint64_t Submit(Job job);
  // The next finished job's verdict, in completion order; blocks while jobs are outstanding.
  // nullopt when none is outstanding.
  std::optional<Verdict> Next();
  size_t Outstanding() const;

 private:
  void Work();

  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable queued_, finished_;
  std::deque<std::pair<uint64_t, Job>> queue_;
  std::deque<Verdict> done_;
  uint64_t next_id_ = 0;
  size_t outstanding_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Runs one job on a fresh fork server of its own (tests and one-off callers; a Pool reuses them).
RunResult RunOnForkServer(const std::string& code, const std::string& stdin_text, const Limits& limits);

}  // namespace sandbox
