// Cross-process uid leases: a lock file per uid under /tmp, flock(LOCK_EX|LOCK_NB) held while the
// program runs. Slots are tried round-robin from a per-process start so that concurrent harness
// processes rarely probe the same files.
#include "harness/sandbox/uid_lease.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace sandbox {

namespace {

constexpr const char* kLockDir = "/tmp/harness-sandbox-uids";

std::atomic<unsigned> next_slot{0};

}  // namespace

std::optional<UidLease> UidLease::Acquire(std::string* error) {
  if (::mkdir(kLockDir, 0700) != 0 && errno != EEXIST) {
    *error = std::string("cannot create ") + kLockDir + ": " + std::strerror(errno);
    return std::nullopt;
  }
  static const unsigned start = static_cast<unsigned>(::getpid()) * 2654435761u;
  for (int attempt = 0; attempt < kSlots; ++attempt) {
    const unsigned slot = (start + next_slot.fetch_add(1)) % kSlots;
    const std::string path = std::string(kLockDir) + "/" + std::to_string(kFirstUid + slot);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      *error = "cannot open " + path + ": " + std::strerror(errno);
      return std::nullopt;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return UidLease(kFirstUid + slot, fd);
    ::close(fd);
  }
  *error = "all " + std::to_string(kSlots) + " sandbox uids are in use";
  return std::nullopt;
}

UidLease::UidLease(UidLease&& other) noexcept : uid_(other.uid_), fd_(other.fd_) { other.fd_ = -1; }

UidLease::~UidLease() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace sandbox
