// Leases of unprivileged uids, one per running program, exclusive across every harness process on
// the machine (flock on a lock file per uid). A uid of its own gives each run its own RLIMIT_NPROC
// budget and means a program can signal or read nothing but itself.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace sandbox {

class UidLease {
 public:
  // Base of the leased range; far above any uid a distribution hands out.
  static constexpr uid_t kFirstUid = 1500000;
  static constexpr int kSlots = 4096;

  // Takes a free uid, or returns nullopt (and fills `error`) when none can be locked.
  static std::optional<UidLease> Acquire(std::string* error);

  UidLease(UidLease&& other) noexcept;
  UidLease& operator=(UidLease&&) = delete;
  UidLease(const UidLease&) = delete;
  ~UidLease();

  uid_t uid() const { return uid_; }

 private:
  UidLease(uid_t uid, int fd) : uid_(uid), fd_(fd) {}
  uid_t uid_;
  int fd_;  // holds the flock; closing it releases the uid
};

}  // namespace sandbox
