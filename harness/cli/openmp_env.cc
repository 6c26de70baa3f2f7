#include "harness/cli/openmp_env.h"

#include <limits.h>
#include <unistd.h>

#include <cstdlib>

namespace cli {
namespace {

// Sets name=value unless name is already set; true if it set it.
bool SetIfUnset(const char* name, const char* value) {
  return std::getenv(name) == nullptr && ::setenv(name, value, /*overwrite=*/0) == 0;
}

}  // namespace

void EnsurePassiveThreadWaits(char** argv) {
  const bool set_omp = SetIfUnset("OMP_WAIT_POLICY", "PASSIVE");
  const bool set_openblas = SetIfUnset("OPENBLAS_THREAD_TIMEOUT", "4");
  if (!set_omp && !set_openblas) return;
  // Through the resolved path rather than /proc/self/exe itself, so that the process keeps its
  // name ("harness", not "exe") in ps and top.
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return;  // no /proc: carry on; only speed with more than one thread is affected
  self[n] = '\0';
  ::execv(self, argv);
  // execv failed: carry on, as above.
}

}  // namespace cli
