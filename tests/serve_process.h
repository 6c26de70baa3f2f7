// `harness serve` for tests: a tiny random checkpoint served on the loopback (port 0, the chosen port read
// from its stdout), its /health counters, and a SIGTERM at the end.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "tests/harness_process.h"

namespace testing_harness {

// Writes a random `nano` checkpoint to `dir`. A wide init gives peaked next-token distributions, so greedy
// choices do not hinge on the last bits of batched products (a 0.02 init is nearly uniform, and batch
// composition flips its argmaxes). Returns the exit code of `harness init`.
inline int InitTinyCheckpoint(const std::string& dir, int seed = 3) {
  return SpawnHarness({"init", "--preset", "nano", "--seed", std::to_string(seed), "--threads", "1", "--config",
                       R"({"initializer_range": 0.3})", "--out", dir});
}

class ServeProcess {
 public:
  // Starts `harness serve --checkpoint checkpoint --port 0 extra...`, its stdout in `log_path`, and waits up
  // to `start_timeout` for the address it prints. port() is 0 when it did not start.
  ServeProcess(const std::string& checkpoint, const std::string& log_path, const std::vector<std::string>& extra = {},
               std::chrono::seconds start_timeout = std::chrono::seconds(120)) {
    std::vector<std::string> args = {"serve", "--checkpoint", checkpoint, "--port", "0", "--threads", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    SpawnHarness(args, log_path, "", &pid_, false);
    const std::regex listening("http://127\\.0\\.0\\.1:([0-9]+)");
    const auto deadline = std::chrono::steady_clock::now() + start_timeout;
    while (std::chrono::steady_clock::now() < deadline && port_ == 0) {
      std::smatch m;
      const std::string text = std::filesystem::exists(log_path) ? util::ReadFile(log_path) : "";
      if (std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // exited early
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // SIGTERM, then SIGKILL after 30 s. Returns whether it stopped on SIGTERM.
  bool Stop() {
    if (pid_ <= 0) return true;
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool stopped = false;
    for (int i = 0; i < 600 && !stopped; ++i) {
      stopped = ::waitpid(pid_, &status, WNOHANG) == pid_;
      if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!stopped) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return stopped;
  }
  ~ServeProcess() { Stop(); }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Generation requests the server has taken so far (its /health "requests"); -1 when it does not answer.
  long long Requests() const {
    httplib::Client client(url());
    auto res = client.Get("/health");
    if (!res || res->status != 200) return -1;
    return nlohmann::json::parse(res->body).value("requests", -1LL);
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// A suite's tear-down: stops its server (which must honour SIGTERM), frees it and removes the suite's folder.
inline void StopServer(ServeProcess*& server, const std::filesystem::path& dir) {
  if (server != nullptr) {
    EXPECT_TRUE(server->Stop()) << "harness serve ignored SIGTERM";
  }
  delete server;
  server = nullptr;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace testing_harness
