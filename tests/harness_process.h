// Starting the harness binary (HARNESS_BINARY, defined per test target) from tests: one fork + execv.
#pragma once

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace testing_harness {

// Runs `harness args...` with stdout to `out_path` and stderr to `err_path` ("" = /dev/null). With `wait`
// returns the exit code (-1 when killed by a signal); otherwise returns 0 at once and sets *pid_out.
inline int SpawnHarness(const std::vector<std::string>& args, const std::string& out_path = "",
                        const std::string& err_path = "", pid_t* pid_out = nullptr, bool wait = true) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::string bin = HARNESS_BINARY;
    std::vector<std::string> copy = args;
    std::vector<char*> argv{bin.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int devnull = ::open("/dev/null", O_WRONLY);
    const int out = out_path.empty() ? devnull : ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = err_path.empty() ? devnull : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  if (pid_out != nullptr) *pid_out = pid;
  if (!wait) return 0;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace testing_harness
