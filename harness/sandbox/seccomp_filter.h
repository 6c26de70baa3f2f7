// The seccomp layer: a BPF program built once with libseccomp in the parent, so that the forked child
// only has to hand it to prctl() (no allocation between fork and exec).
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

namespace sandbox {

// Default allow; EPERM for: sockets other than AF_UNIX, ptrace, mount/umount/pivot_root/chroot,
// unshare/setns and clone() with namespace flags, bpf, perf_event_open, keyrings, module loading,
// kexec, reboot, swap, userfaultfd, process_vm_{read,write}v, io_uring; ENOSYS for clone3 (its
// flags are behind a pointer, so glibc falls back to the filtered clone). Foreign architectures are
// killed. Returns nullptr and fills `error` when libseccomp cannot build it.
const std::vector<sock_filter>* NoNetworkSeccompProgram(std::string* error);

}  // namespace sandbox
