// Probes, once per process, which isolation layers this machine grants (a forked child tries each
// one), and combines that with what a Limits asks for into the Layers report with its warnings.
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "harness/sandbox/layers_internal.h"
#include "harness/sandbox/sandbox.h"
#include "harness/sandbox/seccomp_filter.h"
#include "harness/sandbox/uid_lease.h"

namespace sandbox {

namespace {

enum ProbeBit { kPid = 1, kNet = 2, kMount = 4, kSeccomp = 8 };

Support Probe() {
  Support support;
  support.root = ::geteuid() == 0;
  std::string error;
  const std::vector<sock_filter>* program = NoNetworkSeccompProgram(&error);
  if (program == nullptr) support.seccomp_error = error;
  sock_fprog fprog{};
  if (program != nullptr) {
    fprog.len = static_cast<unsigned short>(program->size());
    fprog.filter = const_cast<sock_filter*>(program->data());
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    int bits = 0;
    if (::unshare(CLONE_NEWPID) == 0) bits |= kPid;
    if (::unshare(CLONE_NEWNET) == 0) bits |= kNet;
    if (::unshare(CLONE_NEWNS) == 0 &&
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
        ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") == 0) {
      bits |= kMount;
    }
    if (program != nullptr && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == 0) {
      bits |= kSeccomp;
    }
    ::_exit(bits);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    support.probe_error = "could not run the layer probe";
    return support;
  }
  const int bits = WEXITSTATUS(status);
  support.pid_namespace = bits & kPid;
  support.network_namespace = bits & kNet;
  support.mount_namespace = bits & kMount;
  support.seccomp = bits & kSeccomp;
  if (program != nullptr && !support.seccomp) support.seccomp_error = "the kernel refused the filter";
  return support;
}

}  // namespace

const Support& MachineSupport() {
  static const Support support = Probe();
  return support;
}

Layers ActiveLayers(const Limits& limits) {
  const Support& s = MachineSupport();
  Layers layers;
  layers.rlimits = true;
  layers.process_group_kill = true;
  layers.scrubbed_environment = true;
  auto want = [&](bool requested, bool supported, bool* active, const std::string& name,
                  const std::string& consequence) {
    *active = requested && supported;
    if (!requested) {
      layers.warnings.push_back(name + " disabled by option: " + consequence);
    } else if (!supported) {
      layers.warnings.push_back(name + " unavailable on this machine: " + consequence);
    }
  };
  want(limits.drop_privileges, s.root, &layers.unprivileged_uid, "unprivileged uid",
       "the program runs as the harness's own user (RLIMIT_NPROC is not enforced for root; it can "
       "signal the harness and write where the harness can)");
  want(limits.pid_namespace, s.pid_namespace, &layers.pid_namespace, "PID namespace",
       layers.unprivileged_uid
           ? std::string("leftover processes are killed by uid sweep instead")
           : std::string("leftover processes are killed by process group only; a setsid'd child "
                         "can survive"));
  want(limits.network_namespace, s.network_namespace, &layers.network_namespace,
       "network namespace", "the program shares the host network unless seccomp blocks sockets");
  want(limits.mount_namespace, s.mount_namespace, &layers.mount_namespace, "mount namespace",
       "the program can write to world-writable host directories such as /tmp");
  want(limits.seccomp, s.seccomp, &layers.seccomp, "seccomp filter",
       "IP sockets, ptrace and namespace syscalls are not filtered" +
           (s.seccomp_error.empty() ? std::string() : " (" + s.seccomp_error + ")"));
  if (!layers.network_namespace && !layers.seccomp) {
    layers.warnings.push_back("no network isolation: the program can open network connections");
  }
  if (!s.probe_error.empty()) layers.warnings.push_back(s.probe_error);
  return layers;
}

}  // namespace sandbox
