// Data-parallel launch for the engine's commands (`harness run`, `harness train`): `--nproc N` starts N
// local ranks of this same command line, or the process joins the world its launcher's environment
// describes (torchrun, Slurm; trainers/distributed/world.h).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace cli {

struct DistributedFlags {
  int nproc = 1;              // local ranks to start (1 = this process alone, or as the environment says)
  int timeout_seconds = 300;  // rendezvous and every collective: a dead or hung rank fails the others within it
  std::string backend = "gloo";  // gloo (CPU) | nccl (a CUDA build, one GPU per local rank)
  double bucket_mb = 25.0;       // gradient buckets (the first is 1 MB or this, whichever is smaller)
  bool no_overlap = false;       // sum gradients after backward instead of during it
};

void AddDistributedFlags(CLI::App* cmd, DistributedFlags* flags);

// With --nproc N > 1 and no launcher environment: starts N ranks of this command line on this machine
// (rank 0's output here, rank r's in <log_dir>/rank<r>.log), waits for them and returns the exit status:
// 0 when every rank succeeded; otherwise the first failure is reported naming its rank, the other ranks
// are stopped, and 1 is returned. Otherwise joins the world of the environment (one rank without one)
// and returns -1: the caller goes on with the command.
int LaunchOrJoin(const DistributedFlags& flags, const std::string& log_dir);

}  // namespace cli
