#include "harness/cli/code_grading.h"

#include <stdexcept>

namespace cli {

void AddCodeGradingFlags(CLI::App* cmd, CodeGradingFlags* flags) {
  cmd->add_option("--code-block", flags->code_block, "Code block to grade: last (LiveCodeBench) or first")
      ->check(CLI::IsMember({"last", "first"}))
      ->capture_default_str();
  cmd->add_option("--workers", flags->workers, "Parallel sandbox workers (0 = number of cores)");
  cmd->add_option("--timeout", flags->timeout_seconds, "Per-test CPU and wall limit, seconds")->capture_default_str();
  cmd->add_option("--memory", flags->memory_mb, "Per-program address-space limit, MB")->capture_default_str();
  cmd->add_flag("--no-netns", flags->no_network_namespace, "Do not isolate the network (reported as a warning)");
}

scoring::CodeGrader MakeCodeGrader(const CodeGradingFlags& flags, nlohmann::json* environment) {
  throw std::runtime_error("code grading needs the sandbox, which this build does not have yet");
}

}  // namespace cli
