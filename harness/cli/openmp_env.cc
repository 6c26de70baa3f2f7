#include "harness/cli/openmp_env.h"

#include <unistd.h>

#include <cstdlib>

namespace cli {

void EnsurePassiveOpenMpWait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (::setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0) != 0) return;
  ::execv("/proc/self/exe", argv);
  // execv failed (no /proc, say): carry on; only speed with more than one thread is affected.
}

}  // namespace cli
