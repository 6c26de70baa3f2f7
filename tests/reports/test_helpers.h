// Helpers shared by the reports tests: fixture paths, running the harness binary, output folders.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace reports_test {

inline std::string Fixture(const std::string& relative) {
  return std::string(HARNESS_TEST_FIXTURES) + "/reports/" + relative;
}

// A folder in the build tree (ctest runs tests in the test's binary dir) that survives the test, so
// screenshots and HTML files can be looked at afterwards.
inline std::string OutputDir(const std::string& name) {
  auto dir = std::filesystem::current_path() / "reports_test_output" / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line; returns its exit code and combined output.
inline CommandResult RunCommand(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), got);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

inline std::string Quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace reports_test
