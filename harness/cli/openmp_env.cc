#include "harness/cli/openmp_env.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "harness/cli/command.h"

namespace cli {
namespace {

// Sets name=value unless name is already set.
void SetIfUnset(const char* name, const char* value) {
  if (std::getenv(name) == nullptr) ::setenv(name, value, /*overwrite=*/0);
}

}  // namespace

void SetPassiveThreadWaits() {
  SetIfUnset("OMP_WAIT_POLICY", "PASSIVE");
  SetIfUnset("OPENBLAS_THREAD_TIMEOUT", "4");
}

int ExecEngineBinary(char** argv) {
  SetPassiveThreadWaits();
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    std::cerr << "error: cannot find this executable (/proc/self/exe) to locate harness-torch\n";
    return kRunFailed;
  }
  self[n] = '\0';
  std::string engine(self);
  engine = engine.substr(0, engine.rfind('/') + 1) + "harness-torch";
  ::execv(engine.c_str(), argv);
  std::cerr << "error: cannot start the engine binary " << engine << ": " << std::strerror(errno) << "\n";
  return kRunFailed;
}

}  // namespace cli
