// What the machine supports, probed once (layers.cc); run_python.cc uses it to build a SpawnPlan.
#pragma once

#include <string>

namespace sandbox {

struct Support {
  bool root = false;
  bool pid_namespace = false;
  bool network_namespace = false;
  bool mount_namespace = false;
  bool seccomp = false;
  std::string seccomp_error;
  std::string probe_error;
};

const Support& MachineSupport();

}  // namespace sandbox
