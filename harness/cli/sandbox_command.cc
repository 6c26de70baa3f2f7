// `harness sandbox --code FILE [--stdin FILE] [--timeout S] [--memory MB] [--no-netns] [--json]`:
// runs one Python program in the sandbox and prints its verdict record and the active layers.
// Exit code 0 when the program passed (exited 0 within limits), 1 for any other verdict.
#include <algorithm>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "harness/cli/command.h"
#include "harness/sandbox/grader.h"
#include "harness/sandbox/sandbox.h"
#include "harness/util/error.h"
#include "harness/util/files.h"

namespace cli {

namespace {

struct SandboxOptions {
  std::string code_path;
  std::string stdin_path;
  double timeout = 6.0;
  double wall = 0;
  double memory_mb = 2048;
  bool no_netns = false;
  bool no_seccomp = false;
  bool as_json = false;
};

nlohmann::json LayersJson(const sandbox::Layers& layers) { return sandbox::LayersToJson(layers); }

int RunSandbox(const SandboxOptions& options) {
  if (options.timeout <= 0) throw util::InputError(util::Location{"", 0, "--timeout"}, "must be > 0");
  if (options.memory_mb < 16) throw util::InputError(util::Location{"", 0, "--memory"}, "must be >= 16 MB");
  const std::string code = util::ReadFile(options.code_path);
  const std::string stdin_text = options.stdin_path.empty() ? "" : util::ReadFile(options.stdin_path);
  sandbox::Limits limits;
  limits.cpu_seconds = options.timeout;
  // Generous by default: the CPU limit decides time verdicts, the wall limit only stops sleepers.
  limits.wall_seconds = options.wall > 0 ? options.wall : std::max(30.0, 5 * options.timeout);
  limits.memory_bytes = static_cast<size_t>(options.memory_mb * 1024 * 1024);
  limits.network_namespace = !options.no_netns;
  limits.seccomp = !options.no_seccomp;
  const sandbox::Layers layers = sandbox::ActiveLayers(limits);
  const sandbox::RunResult run = sandbox::RunPython(code, stdin_text, limits);
  if (options.as_json) {
    nlohmann::json record = {{"status", sandbox::StatusName(run.status)},
                             {"exit_code", run.exit_code},
                             {"signal", run.signal},
                             {"cpu_seconds", run.cpu_seconds},
                             {"wall_seconds", run.wall_seconds},
                             {"peak_rss_bytes", run.peak_rss_bytes},
                             {"stdout", run.stdout_text},
                             {"stderr", run.stderr_text},
                             {"stdout_truncated", run.stdout_truncated},
                             {"stderr_truncated", run.stderr_truncated},
                             {"detail", run.detail},
                             {"layers", LayersJson(layers)}};
    std::cout << record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "status:    " << sandbox::StatusName(run.status) << (run.detail.empty() ? "" : " (" + run.detail + ")")
              << "\nexit code: " << run.exit_code << "  signal: " << run.signal
              << "\ncpu:       " << run.cpu_seconds << " s  wall: " << run.wall_seconds
              << " s  peak rss: " << run.peak_rss_bytes / 1024 << " KiB\n";
    std::cout << "layers:    " << LayersJson(layers).dump() << "\n";
    for (const auto& w : layers.warnings) std::cout << "warning:   " << w << "\n";
    std::cout << "--- stdout" << (run.stdout_truncated ? " (truncated)" : "") << "\n" << run.stdout_text;
    if (!run.stdout_text.empty() && run.stdout_text.back() != '\n') std::cout << "\n";
    std::cout << "--- stderr" << (run.stderr_truncated ? " (truncated)" : "") << "\n" << run.stderr_text;
    if (!run.stderr_text.empty() && run.stderr_text.back() != '\n') std::cout << "\n";
  }
  return run.status == sandbox::Status::kPassed ? kOk : kRunFailed;
}

}  // namespace

void RegisterSandboxCommand(CLI::App& app, Action* selected) {
  auto* cmd = app.add_subcommand("sandbox", "Run one Python program in the sandbox and print its verdict");
  auto options = std::make_shared<SandboxOptions>();
  cmd->add_option("--code", options->code_path, "Python file to run")->required();
  cmd->add_option("--stdin", options->stdin_path, "File fed to the program's stdin");
  cmd->add_option("--timeout", options->timeout, "CPU-time limit in seconds (default 6)");
  cmd->add_option("--wall", options->wall, "Wall-clock limit in seconds (default max(30, 5*timeout))");
  cmd->add_option("--memory", options->memory_mb, "Address-space limit in MB (default 2048)");
  cmd->add_flag("--no-netns", options->no_netns, "Do not use a network namespace (reported as a warning)");
  cmd->add_flag("--no-seccomp", options->no_seccomp, "Do not install the seccomp filter (reported as a warning)");
  cmd->add_flag("--json", options->as_json, "Print the verdict record as JSON");
  cmd->callback([selected, options] { *selected = [options] { return RunSandbox(*options); }; });
}

}  // namespace cli
