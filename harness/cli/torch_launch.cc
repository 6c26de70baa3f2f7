#include "harness/cli/torch_launch.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "trainers/distributed/world.h"

namespace cli {

namespace {

// This process's own command line, as the kernel holds it.
std::vector<std::string> OwnCommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == '\0') {
      args.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  }
  return args;
}

// A loopback port free right now, for rank 0's store (the kernel picks it).
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string Describe(int status) {
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                                  strsignal(WTERMSIG(status)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

bool Failed(int status) { return WIFSIGNALED(status) || WEXITSTATUS(status) != 0; }

int LaunchLocalRanks(int nproc, const std::string& log_dir) {
  const std::vector<std::string> args = OwnCommandLine();
  const int port = FreeLoopbackPort();
  util::MakeDirs(log_dir);
  std::cerr << "[launch] " << nproc << " local ranks, store at 127.0.0.1:" << port << "; ranks 1.." << nproc - 1
            << " log to " << log_dir << "/rank<r>.log\n";
  std::map<pid_t, int> rank_of;
  for (int rank = 0; rank < nproc; ++rank) {
    const std::string log = log_dir + "/rank" + std::to_string(rank) + ".log";
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      if (rank > 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
          ::dup2(fd, STDOUT_FILENO);
          ::dup2(fd, STDERR_FILENO);
        }
      }
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::perror("execv /proc/self/exe");
      ::_exit(127);
    }
    rank_of[pid] = rank;
  }
  // Wait for every rank; the first failure stops the others (SIGTERM, then SIGKILL after 5 s).
  int result = 0;
  while (!rank_of.empty()) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto it = rank_of.find(pid);
    if (it == rank_of.end()) continue;
    const int rank = it->second;
    rank_of.erase(it);
    if (!Failed(status) || result != 0) continue;
    result = 1;
    std::cerr << "[launch] rank " << rank << " " << Describe(status)
              << (rank > 0 ? "; its log: " + log_dir + "/rank" + std::to_string(rank) + ".log" : std::string())
              << "; stopping the other " << rank_of.size() << " rank(s)\n";
    for (const auto& [other, r] : rank_of) ::kill(other, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!rank_of.empty() && std::chrono::steady_clock::now() < deadline) {
      const pid_t done = ::waitpid(-1, &status, WNOHANG);
      if (done > 0) {
        rank_of.erase(done);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    for (const auto& [other, r] : rank_of) ::kill(other, SIGKILL);
  }
  if (result == 0) std::cerr << "[launch] all " << nproc << " ranks finished\n";
  return result;
}

}  // namespace

void AddDistributedFlags(CLI::App* cmd, DistributedFlags* flags) {
  cmd->add_option("--nproc", flags->nproc,
                  "Data-parallel ranks to start on this machine (Gloo; the config's threads are shared among "
                  "them). Under torchrun or Slurm leave it out: the environment says")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--dist-timeout", flags->timeout_seconds,
                  "Seconds a rank waits for the others (rendezvous, each collective) before the run fails")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--dist-backend", flags->backend, "gloo (CPU) or nccl (a CUDA build; one GPU per local rank)")
      ->check(CLI::IsMember({"gloo", "nccl"}));
  cmd->add_option("--dist-bucket-mb", flags->bucket_mb,
                  "Size of the gradient buckets summed across ranks, in MB (the first is at most 1 MB, so that "
                  "its sum starts early in backward)")
      ->check(CLI::Range(0.001, 4096.0));
  cmd->add_flag("--no-dist-overlap", flags->no_overlap,
                "Sum gradients after the backward pass instead of overlapping the sums with it (for comparison)");
}

int LaunchOrJoin(const DistributedFlags& flags, const std::string& log_dir) {
  const dist::WorldInfo world = dist::WorldFromEnvironment(dist::ProcessEnvironment());
  if (flags.nproc > 1 && world.launcher == "none") return LaunchLocalRanks(flags.nproc, log_dir);
  if (flags.nproc > 1 && world.size != flags.nproc) {
    throw util::InputError(util::Location{"", 0, "--nproc"},
                           "--nproc " + std::to_string(flags.nproc) + " under a launcher whose world has " +
                               std::to_string(world.size) + " ranks; leave --nproc out under torchrun or Slurm");
  }
  dist::BucketOptions buckets;
  buckets.overlap = !flags.no_overlap;
  buckets.mb = flags.bucket_mb;
  buckets.first_mb = std::min(1.0, flags.bucket_mb);
  dist::Init(world, std::chrono::seconds(flags.timeout_seconds), flags.backend, buckets);
  if (world.size > 1) {
    std::cerr << "[dist] rank " << world.rank << " of " << world.size << " (" << world.launcher << ", local rank "
              << world.local_rank << " of " << world.local_size << ") joined\n";
  }
  return -1;
}

}  // namespace cli
