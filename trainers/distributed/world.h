// Data parallelism on torch's own distributed engine (c10d): this process's place in a world of ranks,
// set up from the launcher's environment (torchrun, Slurm, or `harness run/train --nproc N`), with a
// TCPStore rendezvous and a Gloo process group on CPU (NCCL where a CUDA LibTorch provides it).
//
// The model is SPMD: every rank runs the same program on the same config. What differs:
//  - training: each rank takes its share of every batch (ShareOf); the trainer normalises its loss by
//    the whole batch's weight and GradientReducer sums the gradients, so every rank holds the same
//    weights after each step (1 rank with the same global batch gives the same step up to float
//    summation order);
//  - evaluation: records are sharded across ranks, the completions gathered on rank 0, which scores;
//  - files: rank 0 alone writes results, reports and checkpoints (IsWriter); the others read what it
//    wrote after a Barrier, so a multi-node run needs its output directory on a shared filesystem;
//  - a method that is not data-parallel runs on rank 0 inside a SoloScope while the others wait.
// With one rank (no launcher environment) nothing here does any work and every path is the
// single-process one, bit for bit.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace dist {

struct WorldInfo {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;            // ranks on this machine (threads are shared among them)
  std::string master_addr;       // where rank 0's TCPStore listens
  int master_port = 0;
  std::string launcher = "none"; // "torchrun", "slurm" or "none"
};

// The world described by a launcher's environment variables: torchrun's (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or, when those are absent, Slurm's (SLURM_PROCID,
// SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE; MASTER_ADDR/MASTER_PORT still given by the job
// script). No variables = one rank. Inconsistent or partial values throw util::InputError naming the
// variable.
WorldInfo WorldFromEnvironment(const std::map<std::string, std::string>& env);
std::map<std::string, std::string> ProcessEnvironment();

// How gradients are summed (trainers/distributed/grad_reducer.h): with `overlap`, during the backward
// pass of a step's last micro-batch, in buckets launched as soon as all their gradients exist (the first
// bucket small so that the first all-reduce starts early, as in torch's DDP); without, in one pass after
// backward.
struct BucketOptions {
  bool overlap = true;
  double first_mb = 1.0;
  double mb = 25.0;
};

// Joins the world (no-op for one rank): rank 0 starts the TCPStore, every rank connects and builds the
// process group: "gloo" (CPU tensors), or "nccl" in a CUDA build (one GPU per local rank; set
// "device": "cuda" in the config). `timeout` bounds every collective, the rendezvous
// and a wait for rank 0: a rank that died or hung fails the others within it.
void Init(const WorldInfo& world, std::chrono::seconds timeout, const std::string& backend = "gloo",
          const BucketOptions& buckets = {});
const WorldInfo& World();
const BucketOptions& Buckets();
// More than one rank, and not inside a SoloScope.
bool Active();
int Rank();
int Size();
// Whether this process writes shared outputs (rank 0, or any process of a one-rank world).
bool IsWriter();
// Torch threads for this rank: the requested count for the machine (0 = all cores) split evenly among
// the ranks on it, at least 1.
int ThreadsPerRank(int requested);

// The rows of a global batch this rank trains on: every Size()-th row from Rank() (the batches are
// length-bucketed, so striding keeps the ranks' token counts close). All of them when not Active().
std::vector<int> ShareOf(const std::vector<int>& rows);

// Sums the tensors across ranks in place (float32, any shapes), in buckets of about 25 MB launched
// together; undefined tensors are not allowed (use zeros). No-op when not Active().
void AllReduceSum(std::vector<at::Tensor>& tensors);
double AllReduceSum(double value);
// Starts summing one contiguous float tensor across ranks in place and returns at once; the returned
// function waits for the sum (throwing like every collective when a rank fails). Every rank must start
// the same sequence of sums. Only while Active().
std::function<void()> AllReduceSumAsync(at::Tensor tensor);

// Every rank arrives before any leaves; `what` names the point in the error when a rank does not.
void Barrier(const std::string& what);

// Rank 0 gets every rank's payload, in rank order (its own first); the others get {}. All ranks call
// it in the same order.
std::vector<std::string> GatherToRoot(const std::string& payload);

// Every rank gets every rank's payload, in rank order. All ranks call it in the same order.
std::vector<std::string> AllGather(const std::string& payload);

// While it lives, this process acts as a world of one (Active() false): rank 0 runs a method that is
// not data-parallel inside it; the other ranks call WaitForRoot() meanwhile.
class SoloScope {
 public:
  SoloScope();
  ~SoloScope();
  SoloScope(const SoloScope&) = delete;
  SoloScope& operator=(const SoloScope&) = delete;
};
// The other ranks' side of rank 0's solo work: returns when rank 0 calls RootDone() (no timeout: rank
// 0 may train for hours; if it dies, its store goes with it and this throws).
void WaitForRoot(const std::string& what);
void RootDone();

// Test hook for the fault tests: with HARNESS_TEST_KILL_RANK_AT_STEP="R:S" in the environment, rank R
// kills itself (SIGKILL) when a training run finishes optimizer step S. Nothing happens otherwise.
void MaybeInjectFault(int step);

}  // namespace dist
