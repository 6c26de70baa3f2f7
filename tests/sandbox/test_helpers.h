// Shared helpers of the sandbox tests: short limits, fixture paths, and a /proc scan for processes a
// run may have left behind.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/sandbox/sandbox.h"
#include "harness/sandbox/uid_lease.h"

namespace sandbox_test {

// Short limits keep the suite fast; CPU limits decide time verdicts (load-independent), the wall
// limit is generous except in the test that is about the wall limit.
inline sandbox::Limits ShortLimits() {
  sandbox::Limits limits;
  limits.cpu_seconds = 1;
  limits.wall_seconds = 60;  // only a runaway harness would reach it, even on a loaded machine
  limits.memory_bytes = size_t{512} << 20;
  limits.output_bytes = size_t{1} << 20;
  return limits;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Pids of live processes whose command line contains `marker`.
inline std::vector<int> ProcessesWithMarker(const std::string& marker) {
  std::vector<int> pids;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return pids;
  while (dirent* e = readdir(dir)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) continue;
    std::string cmdline = ReadText("/proc/" + std::string(e->d_name) + "/cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(marker) != std::string::npos) pids.push_back(pid);
  }
  closedir(dir);
  return pids;
}

// Zombies owned by a sandbox uid whose parent is pid 1 or this test: nobody will reap them, i.e. a
// run leaked them. (Zombies inside a live run's namespace have that run's init as parent.)
inline std::vector<int> LeakedZombies() {
  std::vector<int> pids;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return pids;
  while (dirent* e = readdir(dir)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::istringstream status(ReadText("/proc/" + std::string(e->d_name) + "/status"));
    std::string line;
    char state = '?';
    long ppid = -1, uid = -1;
    while (std::getline(status, line)) {
      if (line.rfind("State:", 0) == 0) state = line.size() > 7 ? line[7] : '?';
      if (line.rfind("PPid:", 0) == 0) ppid = std::atol(line.c_str() + 5);
      if (line.rfind("Uid:", 0) == 0) uid = std::atol(line.c_str() + 4);
    }
    const bool sandbox_uid = uid >= static_cast<long>(sandbox::UidLease::kFirstUid) &&
                             uid < static_cast<long>(sandbox::UidLease::kFirstUid + sandbox::UidLease::kSlots);
    if (state == 'Z' && (ppid == 1 || ppid == getpid()) && (sandbox_uid || ppid == getpid())) {
      pids.push_back(pid);
    }
  }
  closedir(dir);
  return pids;
}

// Waits up to two seconds for processes carrying `marker` to disappear; returns the survivors.
inline std::vector<int> SurvivorsAfterGrace(const std::string& marker) {
  std::vector<int> left;
  for (int i = 0; i < 40; ++i) {
    left = ProcessesWithMarker(marker);
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return left;
}

inline std::string UniqueMarker(const std::string& what) {
  return "harness-sandbox-test-" + what + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace sandbox_test
