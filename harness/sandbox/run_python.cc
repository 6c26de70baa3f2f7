// RunPython: private work directory, scrubbed environment, the spawn, and the verdict from what
// happened. Also RunTool (START's interpreter calls) and the status names.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <memory>
#include <optional>

#include "harness/sandbox/sandbox.h"
#include "harness/sandbox/seccomp_filter.h"
#include "harness/sandbox/run_internal.h"

namespace sandbox {

namespace {

// Under /tmp so that the mount namespace can rebind it inside the private /tmp (spawn.cc).
constexpr const char* kWorkRoot = "/tmp/harness-sandbox-runs";

bool WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  const bool ok = WriteAll(fd, data);
  return ::close(fd) == 0 && ok;
}

// Removes the work directory however the program left it (root ignores permissions; as non-root,
// restore owner permissions first).
void RemoveTree(const std::string& path) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           path, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
  }
  std::filesystem::remove_all(path, ec);
}

std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  const size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end - (start == std::string::npos ? 0 : start + 1) + 1);
}

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

void Classify(const Limits& limits, const SpawnOutcome& o, RunResult* r) {
  if (!o.setup_error.empty()) {
    r->status = Status::kSandboxError;
    r->detail = o.setup_error;
    return;
  }
  if (o.killed_output) {
    r->status = Status::kOutputLimit;
    r->detail = "stdout exceeded " + std::to_string(limits.output_bytes) + " bytes";
    return;
  }
  if (o.killed_wall) {
    r->status = Status::kTimeLimitWall;
    r->detail = "wall-clock limit of " + std::to_string(limits.wall_seconds) + " s";
    return;
  }
  if (!o.have_status) {
    r->status = Status::kSandboxError;
    r->detail = "no status from the supervisor";
    return;
  }
  const std::string last = LastLine(o.stderr_text);
  const bool memory_error = StartsWith(last, "MemoryError");
  // RLIMIT_CPU sends SIGXCPU at the soft limit and SIGKILL one second later; a program that
  // finishes just past a fractional limit is over it too.
  if (r->signal == SIGXCPU || o.cpu_seconds > limits.cpu_seconds) {
    r->status = Status::kTimeLimitCpu;
    r->detail = "CPU limit of " + std::to_string(limits.cpu_seconds) + " s";
  } else if (r->exit_code == 0) {
    r->status = Status::kPassed;
  } else if (memory_error || (r->signal != 0 && o.peak_rss_bytes * 10 >= limits.memory_bytes * 9)) {
    r->status = Status::kMemoryLimit;
    r->detail = "memory limit of " + std::to_string(limits.memory_bytes) + " bytes";
  } else if (StartsWith(last, "SyntaxError") || StartsWith(last, "IndentationError") ||
             StartsWith(last, "TabError")) {
    r->status = Status::kCompileError;
    r->detail = last;
  } else {
    r->status = Status::kRuntimeError;
    r->detail = r->signal != 0 ? std::string("killed by signal ") + ::strsignal(r->signal) : last;
  }
}

// Each concurrent run holds about six descriptors in the harness; 200 concurrent checks would
// exhaust a default soft limit of 1024. Raise the soft limit to the hard one, once.
void RaiseDescriptorLimit() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &rl);
    }
  });
}

}  // namespace

const char* StatusName(Status status) {
  switch (status) {
    case Status::kPassed: return "passed";
    case Status::kWrongAnswer: return "wrong_answer";
    case Status::kCompileError: return "compile_error";
    case Status::kRuntimeError: return "runtime_error";
    case Status::kTimeLimitCpu: return "time_limit_cpu";
    case Status::kTimeLimitWall: return "time_limit_wall";
    case Status::kMemoryLimit: return "memory_limit";
    case Status::kOutputLimit: return "output_limit";
    case Status::kSandboxError: return "sandbox_error";
  }
  return "unknown";
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += n;
  }
  return true;
}

PreparedRun::~PreparedRun() {
  if (stdin_fd >= 0) ::close(stdin_fd);
  if (!workdir.empty()) RemoveTree(workdir);
}

std::unique_ptr<PreparedRun> PrepareRun(const std::string& code, const std::string& stdin_text,
                                        const Limits& limits, std::string* error) {
  RaiseDescriptorLimit();
  const Layers layers = ActiveLayers(limits);
  auto fail = [&](const std::string& why) {
    *error = why;
    return nullptr;
  };
  if (::access(limits.python.c_str(), X_OK) != 0) {
    return fail("python interpreter " + limits.python + " is not executable");
  }
  auto run = std::make_unique<PreparedRun>();
  if (layers.unprivileged_uid) {
    std::optional<UidLease> lease = UidLease::Acquire(error);
    if (!lease) return nullptr;
    run->lease.emplace(std::move(*lease));
  }
  if (::mkdir(kWorkRoot, 0711) != 0 && errno != EEXIST) {
    return fail(std::string("mkdir ") + kWorkRoot + ": " + std::strerror(errno));
  }
  std::string workdir = std::string(kWorkRoot) + "/run-XXXXXX";
  if (::mkdtemp(workdir.data()) == nullptr) {
    return fail(std::string("mkdtemp: ") + std::strerror(errno));
  }
  run->workdir = workdir;

  const std::string script = workdir + "/main.py";
  const std::string stdin_path = workdir + "/.stdin";
  if (!WriteFile(script, code, 0644) || !WriteFile(stdin_path, stdin_text, 0600)) {
    return fail("cannot write the program into " + workdir);
  }
  // The program reads stdin from this descriptor; the file itself is gone before it starts.
  run->stdin_fd = ::open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
  ::unlink(stdin_path.c_str());
  if (run->stdin_fd < 0) return fail("cannot reopen stdin file");
  if (run->lease) {
    if (::chown(workdir.c_str(), run->lease->uid(), run->lease->uid()) != 0 || ::chmod(workdir.c_str(), 0700)) {
      return fail(std::string("chown workdir: ") + std::strerror(errno));
    }
  }

  SpawnPlan& plan = run->plan;
  plan.executable = limits.python;
  // -s: no user site-packages; -B: no .pyc writes. The script path is relative to the cwd.
  plan.args = {"-s", "-B", "main.py"};
  plan.env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"},
              {"HOME", workdir},
              {"LANG", "C.UTF-8"},
              {"LC_ALL", "C.UTF-8"},
              {"PYTHONHASHSEED", "0"},
              {"PYTHONDONTWRITEBYTECODE", "1"},
              {"PYTHONIOENCODING", "utf-8"},
              {"OMP_NUM_THREADS", "1"},
              {"OPENBLAS_NUM_THREADS", "1"},
              {"MKL_NUM_THREADS", "1"}};
  plan.workdir = workdir;
  plan.script_name = "main.py";
  plan.scratch_bytes = limits.scratch_bytes;
  plan.stdin_fd = run->stdin_fd;
  plan.pid_namespace = layers.pid_namespace;
  plan.network_namespace = layers.network_namespace;
  plan.mount_namespace = layers.mount_namespace;
  if (layers.seccomp) {
    std::string seccomp_error;
    plan.seccomp_program = NoNetworkSeccompProgram(&seccomp_error);
  }
  plan.drop_privileges = run->lease.has_value();
  plan.uid = run->lease ? run->lease->uid() : 0;
  plan.cpu_seconds = limits.cpu_seconds;
  plan.memory_bytes = limits.memory_bytes;
  plan.max_file_bytes = limits.max_file_bytes;
  plan.max_processes = limits.max_processes;
  plan.max_open_files = limits.max_open_files;
  plan.wall_seconds = limits.wall_seconds;
  plan.output_bytes = limits.output_bytes;
  plan.stderr_bytes = limits.stderr_bytes;
  return run;
}

RunResult ResultFromOutcome(const Limits& limits, SpawnOutcome outcome) {
  RunResult result;
  result.cpu_seconds = outcome.cpu_seconds;
  result.wall_seconds = outcome.wall_seconds;
  result.peak_rss_bytes = outcome.peak_rss_bytes;
  result.stdout_truncated = outcome.stdout_truncated;
  result.stderr_truncated = outcome.stderr_truncated;
  if (outcome.have_status) {
    if (WIFEXITED(outcome.wait_status)) {
      result.exit_code = WEXITSTATUS(outcome.wait_status);
    } else if (WIFSIGNALED(outcome.wait_status)) {
      result.signal = WTERMSIG(outcome.wait_status);
    }
  }
  Classify(limits, outcome, &result);
  result.stdout_text = std::move(outcome.stdout_text);
  result.stderr_text = std::move(outcome.stderr_text);
  return result;
}

RunResult RunPython(const std::string& code, const std::string& stdin_text, const Limits& limits) {
  std::string error;
  std::unique_ptr<PreparedRun> run = PrepareRun(code, stdin_text, limits, &error);
  if (!run) {
    RunResult result;
    result.status = Status::kSandboxError;
    result.detail = error;
    return result;
  }
  RunResult result = ResultFromOutcome(limits, SpawnAndCollect(run->plan));
  // Tracebacks name the script by its absolute path, under a run directory with a random name: written as
  // "main.py" (what the fork server prints), the text is the same from run to run (START's model reads it).
  const std::string prefix = run->workdir + "/";
  for (size_t at = result.stderr_text.find(prefix); at != std::string::npos; at = result.stderr_text.find(prefix, at)) {
    result.stderr_text.erase(at, prefix.size());
  }
  return result;
}

ToolResult RunTool(const std::string& code, const Limits& limits, size_t max_output_chars) {
  return ToolResultFrom(RunPython(code, "", limits), max_output_chars);
}

ToolResult ToolResultFrom(const RunResult& run, size_t max_output_chars) {
  ToolResult tool;
  tool.status = run.status;
  tool.output = run.stdout_text;
  tool.truncated = run.stdout_truncated;
  if (run.status != Status::kPassed) {
    // The model sees why its snippet failed, as an interpreter session would show it.
    std::string why = run.stderr_text.empty() ? std::string(StatusName(run.status)) + ": " + run.detail
                                              : run.stderr_text;
    if (!tool.output.empty() && tool.output.back() != '\n') tool.output += '\n';
    tool.output += why;
  }
  if (tool.output.size() > max_output_chars) {
    static const std::string kMarker = "\n...[output truncated]";
    const size_t keep = max_output_chars > kMarker.size() ? max_output_chars - kMarker.size() : 0;
    tool.output = tool.output.substr(0, keep) + kMarker.substr(0, max_output_chars - keep);
    tool.truncated = true;
  }
  return tool;
}

}  // namespace sandbox
