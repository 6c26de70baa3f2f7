// Builds the seccomp filter described in seccomp_filter.h with libseccomp and exports it as raw BPF.
#include "harness/sandbox/seccomp_filter.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace sandbox {

namespace {

struct Built {
  std::vector<sock_filter> program;
  std::string error;
};

Built Build() {
  Built built;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) {
    built.error = "seccomp_init failed";
    return built;
  }
  auto fail = [&](const std::string& what, int rc) {
    built.error = what + ": " + std::strerror(-rc);
    seccomp_release(ctx);
    return built;
  };
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  int rc = seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
  if (rc < 0) return fail("seccomp rule socket", rc);
  rc = seccomp_rule_add(ctx, deny, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
  if (rc < 0) return fail("seccomp rule socketpair", rc);
  static const char* const kDenied[] = {
      "ptrace", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "bpf",
      "perf_event_open", "keyctl", "add_key", "request_key", "init_module", "finit_module",
      "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff",
      "userfaultfd", "process_vm_readv", "process_vm_writev", "io_uring_setup", "open_tree",
      "move_mount", "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr", "acct",
      "settimeofday", "clock_settime", "sethostname", "setdomainname", "quotactl",
      "lookup_dcookie", "name_to_handle_at", "open_by_handle_at"};
  for (const char* name : kDenied) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture / libseccomp version
    rc = seccomp_rule_add(ctx, deny, nr, 0);
    if (rc < 0) return fail(std::string("seccomp rule ") + name, rc);
  }
  // clone3 passes flags in a struct the filter cannot read: make glibc fall back to clone().
  const int clone3 = seccomp_syscall_resolve_name("clone3");
  if (clone3 != __NR_SCMP_ERROR) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), clone3, 0);
    if (rc < 0) return fail("seccomp rule clone3", rc);
  }
  for (unsigned long flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                             CLONE_NEWNET, CLONE_NEWCGROUP}) {
    rc = seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    if (rc < 0) return fail("seccomp rule clone", rc);
  }
  // Export through a memfd: libseccomp writes BPF to a file descriptor.
  const int fd = ::memfd_create("harness-seccomp", MFD_CLOEXEC);
  if (fd < 0) return fail("memfd_create", -errno);
  rc = seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  if (rc < 0) {
    ::close(fd);
    built.error = std::string("seccomp_export_bpf: ") + std::strerror(-rc);
    return built;
  }
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) {
    ::close(fd);
    built.error = "seccomp_export_bpf produced " + std::to_string(size) + " bytes";
    return built;
  }
  built.program.resize(size / sizeof(sock_filter));
  const ssize_t got = ::pread(fd, built.program.data(), size, 0);
  ::close(fd);
  if (got != size) {
    built.program.clear();
    built.error = "short read of the exported seccomp program";
  }
  return built;
}

}  // namespace

const std::vector<sock_filter>* NoNetworkSeccompProgram(std::string* error) {
  static const Built built = Build();
  if (built.program.empty()) {
    *error = built.error;
    return nullptr;
  }
  return &built.program;
}

}  // namespace sandbox
