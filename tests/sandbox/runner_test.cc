// RunPython verdicts for ordinary programs, the layer report, the degraded paths (layers disabled
// by option), tool calls, and the `harness sandbox` command.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/sandbox/sandbox.h"
#include "tests/sandbox/test_helpers.h"

namespace {

using sandbox::RunPython;
using sandbox::Status;
using sandbox_test::ShortLimits;

struct VerdictCase {
  const char* name;
  const char* code;
  const char* stdin_text;
  Status status;
  int exit_code;
  const char* stdout_text;
};

// Names instead of gtest's byte dump in test listings.
void PrintTo(const VerdictCase& c, std::ostream* os) { *os << c.name; }

class Verdicts : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(Verdicts, Match) {
  const VerdictCase& c = GetParam();
  const auto r = RunPython(c.code, c.stdin_text, ShortLimits());
  EXPECT_EQ(sandbox::StatusName(r.status), std::string(sandbox::StatusName(c.status))) << r.detail << r.stderr_text;
  EXPECT_EQ(r.exit_code, c.exit_code);
  EXPECT_EQ(r.stdout_text, c.stdout_text);
}

INSTANTIATE_TEST_SUITE_P(
    RunPython, Verdicts,
    ::testing::Values(
        VerdictCase{"hello", "print('hello')", "", Status::kPassed, 0, "hello\n"},
        VerdictCase{"stdin", "import sys\nprint(sys.stdin.read().upper(), end='')", "abc\ndef\n",
                    Status::kPassed, 0, "ABC\nDEF\n"},
        VerdictCase{"exit_code", "import sys\nprint('x')\nsys.exit(3)", "", Status::kRuntimeError, 3, "x\n"},
        VerdictCase{"exception", "raise KeyError('k')", "", Status::kRuntimeError, 1, ""},
        VerdictCase{"syntax", "def f(:\n  pass", "", Status::kCompileError, 1, ""},
        VerdictCase{"memory_error", "x = bytearray(10**10)", "", Status::kMemoryLimit, 1, ""},
        VerdictCase{"abort", "import os\nos.abort()", "", Status::kRuntimeError, -1, ""},
        VerdictCase{"file_size", "open('big', 'wb').write(b'x' * (64 << 20))", "", Status::kRuntimeError, 1,
                    ""},
        VerdictCase{"hash_seed", "print(hash('abc') == hash('abc'))", "", Status::kPassed, 0, "True\n"}),
    [](const ::testing::TestParamInfo<VerdictCase>& info) { return std::string(info.param.name); });

TEST(RunPython, ReportsResourcesAndSignal) {
  const auto r = RunPython("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", "", ShortLimits());
  EXPECT_EQ(r.status, Status::kRuntimeError);
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_EQ(r.exit_code, -1);
  const auto ok = RunPython("x = bytearray(50 * 1024 * 1024)\nprint(len(x))", "", ShortLimits());
  EXPECT_EQ(ok.status, Status::kPassed);
  EXPECT_GT(ok.peak_rss_bytes, size_t{50} << 20);
  EXPECT_GT(ok.wall_seconds, 0);
}

TEST(RunPython, FractionalCpuLimitIsEnforced) {
  auto limits = ShortLimits();
  limits.cpu_seconds = 0.3;
  const auto r = RunPython("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6:\n    pass\n",
                           "", limits);
  EXPECT_EQ(r.status, Status::kTimeLimitCpu) << r.detail;
}

TEST(RunPython, StderrIsCappedNotFatal) {
  auto limits = ShortLimits();
  limits.stderr_bytes = 1000;
  const auto r = RunPython("import sys\nsys.stderr.write('e' * 100000)\nprint('ok')", "", limits);
  EXPECT_EQ(r.status, Status::kPassed);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_EQ(r.stderr_text.size(), 1000u);
  EXPECT_EQ(r.stdout_text, "ok\n");
}

TEST(RunPython, MissingInterpreterIsSandboxError) {
  auto limits = ShortLimits();
  limits.python = "/nonexistent/python3";
  const auto r = RunPython("print(1)", "", limits);
  EXPECT_EQ(r.status, Status::kSandboxError);
  EXPECT_NE(r.detail.find("/nonexistent/python3"), std::string::npos);
}

TEST(RunPython, EachRunHasAFreshEmptyDirectory) {
  const auto first = RunPython("import os\nopen('left.txt', 'w').write('x')\nprint(os.getcwd())", "", ShortLimits());
  const auto second = RunPython("import os\nprint(sorted(os.listdir('.')))", "", ShortLimits());
  EXPECT_EQ(second.stdout_text, "['main.py']\n");
  // And the first run's directory is gone.
  std::string dir = first.stdout_text;
  dir.erase(dir.find_last_not_of('\n') + 1);
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
}

TEST(Layers, AllLayersActiveAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "namespaces and uid leases need root";
  const sandbox::Layers layers = sandbox::ActiveLayers(sandbox::Limits{});
  EXPECT_TRUE(layers.rlimits);
  EXPECT_TRUE(layers.unprivileged_uid);
  EXPECT_TRUE(layers.pid_namespace);
  EXPECT_TRUE(layers.network_namespace);
  EXPECT_TRUE(layers.mount_namespace);
  EXPECT_TRUE(layers.seccomp);
  EXPECT_TRUE(layers.warnings.empty()) << layers.warnings.front();
}

bool AnyWarningContains(const sandbox::Layers& layers, const std::string& text) {
  return std::any_of(layers.warnings.begin(), layers.warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

// Degraded path: namespace layers off by option. Warnings say so; verdicts stay right; seccomp
// alone still stops the TCP connection; the uid sweep still kills a setsid'd child.
TEST(Degraded, NoNamespacesWarnsAndStillIsolates) {
  auto limits = ShortLimits();
  limits.network_namespace = false;
  limits.pid_namespace = false;
  limits.mount_namespace = false;
  const sandbox::Layers layers = sandbox::ActiveLayers(limits);
  EXPECT_FALSE(layers.network_namespace);
  EXPECT_FALSE(layers.pid_namespace);
  EXPECT_TRUE(AnyWarningContains(layers, "network namespace disabled by option"));
  EXPECT_TRUE(AnyWarningContains(layers, "PID namespace disabled by option"));
  EXPECT_FALSE(AnyWarningContains(layers, "no network isolation"));

  EXPECT_EQ(RunPython("print(6 * 7)", "", limits).stdout_text, "42\n");
  EXPECT_EQ(RunPython("while True: pass", "", limits).status, Status::kTimeLimitCpu);
  EXPECT_EQ(RunPython("raise SystemExit(4)", "", limits).status, Status::kRuntimeError);

  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto net = RunPython("import socket\ntry:\n    socket.create_connection(('127.0.0.1', " +
                                 std::to_string(ntohs(addr.sin_port)) +
                                 "), timeout=3)\n    print('connected')\nexcept OSError:\n    print('blocked')\n",
                             "", limits);
  EXPECT_EQ(net.stdout_text, "blocked\n");
  EXPECT_LT(accept(fd, nullptr, nullptr), 0);
  close(fd);

  const std::string marker = sandbox_test::UniqueMarker("degraded-setsid");
  const auto leak = RunPython(
      "import os, sys\nr, w = os.pipe()\nos.set_inheritable(w, True)\n"
      "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
      "        os.execv(sys.executable, [sys.executable, '-c', 'import os, time; os.write(%d, b\"x\"); "
      "time.sleep(60)' % w, '" + marker + "'])\n    os._exit(0)\nprint(os.read(r, 1))\n",
      "", limits);
  EXPECT_EQ(leak.stdout_text, "b'x'\n");
  EXPECT_TRUE(sandbox_test::SurvivorsAfterGrace(marker).empty());
  EXPECT_TRUE(sandbox_test::LeakedZombies().empty());
}

TEST(Degraded, NoNetworkLayersAtAllIsAWarning) {
  auto limits = ShortLimits();
  limits.network_namespace = false;
  limits.seccomp = false;
  const sandbox::Layers layers = sandbox::ActiveLayers(limits);
  EXPECT_TRUE(AnyWarningContains(layers, "no network isolation"));
  EXPECT_TRUE(AnyWarningContains(layers, "seccomp filter disabled by option"));
  EXPECT_EQ(RunPython("print('ok')", "", limits).status, Status::kPassed);
}

TEST(RunTool, ReturnsStdoutOrTheError) {
  const auto ok = sandbox::RunTool("print(sum(range(10)))", ShortLimits(), 1000);
  EXPECT_EQ(ok.status, Status::kPassed);
  EXPECT_EQ(ok.output, "45\n");
  EXPECT_FALSE(ok.truncated);

  const auto err = sandbox::RunTool("print('partial')\n1/0", ShortLimits(), 1000);
  EXPECT_EQ(err.status, Status::kRuntimeError);
  EXPECT_EQ(err.output.rfind("partial\n", 0), 0u);
  EXPECT_NE(err.output.find("ZeroDivisionError"), std::string::npos);

  const auto longer = sandbox::RunTool("print('z' * 5000)", ShortLimits(), 100);
  EXPECT_TRUE(longer.truncated);
  EXPECT_EQ(longer.output.size(), 100u);
  EXPECT_NE(longer.output.find("[output truncated]"), std::string::npos);

  const auto slow = sandbox::RunTool("while True: pass", ShortLimits(), 100);
  EXPECT_EQ(slow.status, Status::kTimeLimitCpu);
}

// Runs a shell command; returns exit code and stdout.
std::pair<int, std::string> Shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(SandboxCommand, PrintsJsonVerdictAndLayers) {
  const std::string dir = std::filesystem::temp_directory_path() / ("sandbox_cli_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/prog.py") << "import sys\nprint(sys.stdin.read().strip()[::-1])\n"; }
  { std::ofstream(dir + "/in.txt") << "abc\n"; }
  { std::ofstream(dir + "/slow.py") << "while True: pass\n"; }
  auto [rc, out] = Shell(std::string(HARNESS_BINARY) + " sandbox --code " + dir + "/prog.py --stdin " + dir +
                         "/in.txt --json");
  EXPECT_EQ(rc, 0) << out;
  const auto record = nlohmann::json::parse(out);
  EXPECT_EQ(record["status"], "passed");
  EXPECT_EQ(record["stdout"], "cba\n");
  EXPECT_TRUE(record["layers"].contains("warnings"));

  std::tie(rc, out) = Shell(std::string(HARNESS_BINARY) + " sandbox --code " + dir +
                            "/slow.py --timeout 1 --wall 60 --no-netns --json");
  EXPECT_EQ(rc, 1);
  const auto slow = nlohmann::json::parse(out);
  EXPECT_EQ(slow["status"], "time_limit_cpu");
  EXPECT_FALSE(slow["layers"]["network_namespace"].get<bool>());
  EXPECT_NE(slow["layers"]["warnings"].dump().find("network namespace disabled by option"), std::string::npos);

  std::tie(rc, out) = Shell(std::string(HARNESS_BINARY) + " sandbox --code " + dir + "/missing.py 2>&1");
  EXPECT_EQ(rc, 2) << out;
  std::filesystem::remove_all(dir);
}

}  // namespace
