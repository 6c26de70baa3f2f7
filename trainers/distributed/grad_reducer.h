// Gradient sums that overlap the backward pass (the bucketed scheme of torch's DistributedDataParallel,
// Li et al., "PyTorch Distributed", VLDB 2020): the parameters are split into buckets in reverse order of
// registration, the order in which backward produces their gradients; a hook on each parameter's gradient
// accumulator marks it ready during the backward of the step's last micro-batch, and a bucket whose
// parameters are all ready is flattened and its all-reduce started while backward goes on. Buckets start
// in bucket order on every rank (Gloo and NCCL match collectives by order), so a bucket that is ready
// early waits for the ones before it. Finish() starts what backward did not reach (a parameter outside
// this micro-batch's graph, or a rank whose share was empty), waits, and writes the sums back.
//
// The sums equal the after-backward ones (dist::AllReduceSum over all gradients) exactly: each element
// is the same sum over ranks, only its bucket differs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <torch/torch.h>

namespace torch::autograd {
struct Node;
}

namespace dist {

class GradientReducer {
 public:
  // `params`: the ones that learn (requires_grad), in registration order. Bucket sizes from Buckets().
  explicit GradientReducer(std::vector<at::Tensor> params);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // The next backward pass completes the step's gradients: start buckets as they become ready. (Without
  // Arm() the hooks do nothing: earlier micro-batches only accumulate.)
  void Arm();
  // After that backward: starts the remaining buckets, waits for all, and leaves every parameter with the
  // sum of its gradient over the ranks; a parameter no rank has a gradient for keeps none (as with one
  // rank, the optimizer skips it).
  void Finish();

  // Buckets of parameter indices, for tests: the first about first_mb, the others about mb, each holding
  // consecutive parameters from the last.
  static std::vector<std::vector<size_t>> Plan(const std::vector<int64_t>& bytes, double first_mb, double mb);

  // Buckets started during backward by the last Finish()ed step (the rest started after it).
  int started_during_backward() const { return started_during_backward_; }
  int buckets() const { return static_cast<int>(buckets_.size()); }

 private:
  void Reset();  // between steps: nothing ready, nothing started
  void MarkReady(size_t param);
  void Start(size_t bucket);

  std::vector<at::Tensor> params_;
  std::vector<std::vector<size_t>> buckets_;
  std::vector<size_t> bucket_of_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::vector<uintptr_t> hook_keys_;

  std::mutex mutex_;
  bool armed_ = false;
  std::vector<bool> ready_;
  std::vector<int> pending_;      // per bucket: parameters not ready yet
  size_t next_ = 0;               // the next bucket to start
  int started_during_backward_ = 0;
  std::vector<bool> had_gradient_;       // per parameter, on this rank, when its bucket started
  std::vector<at::Tensor> flat_;         // per started bucket
  std::vector<std::function<void()>> waits_;
};

}  // namespace dist
