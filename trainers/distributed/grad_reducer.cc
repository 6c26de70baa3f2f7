#include "trainers/distributed/grad_reducer.h"

#include <stdexcept>

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include "trainers/distributed/world.h"

namespace dist {

namespace {

// Runs after a parameter's AccumulateGrad node, i.e. once its gradient for this backward is in .grad.
class ReadyHook : public torch::autograd::FunctionPostHook {
 public:
  ReadyHook(std::function<void()> ready) : ready_(std::move(ready)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    ready_();
    return outputs;
  }

 private:
  std::function<void()> ready_;
};

}  // namespace

std::vector<std::vector<size_t>> GradientReducer::Plan(const std::vector<int64_t>& bytes, double first_mb, double mb) {
  std::vector<std::vector<size_t>> buckets;
  int64_t filled = 0;
  for (size_t k = bytes.size(); k-- > 0;) {
    const double cap = (buckets.size() <= 1 ? first_mb : mb) * (1 << 20);
    if (buckets.empty() || (filled > 0 && static_cast<double>(filled + bytes[k]) > cap)) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(k);
    filled += bytes[k];
  }
  return buckets;
}

GradientReducer::GradientReducer(std::vector<at::Tensor> params) : params_(std::move(params)) {
  std::vector<int64_t> bytes;
  for (const auto& p : params_) bytes.push_back(static_cast<int64_t>(p.numel()) * 4);
  buckets_ = Plan(bytes, Buckets().first_mb, Buckets().mb);
  bucket_of_.assign(params_.size(), 0);
  for (size_t b = 0; b < buckets_.size(); ++b) {
    for (size_t i : buckets_[b]) bucket_of_[i] = b;
  }
  had_gradient_.assign(params_.size(), false);
  Reset();
  for (size_t i = 0; i < params_.size(); ++i) {
    // The accumulator is held so that every graph of this step reaches the same node (and its hook).
    accumulators_.push_back(torch::autograd::impl::grad_accumulator(params_[i]));
    hook_keys_.push_back(accumulators_.back()->add_post_hook(std::make_unique<ReadyHook>([this, i] { MarkReady(i); })));
  }
}

GradientReducer::~GradientReducer() {
  for (size_t i = 0; i < accumulators_.size(); ++i) accumulators_[i]->del_post_hook(hook_keys_[i]);
  // A step abandoned by an exception may leave sums in flight: they finish (or fail) before the buffers go.
  for (auto& wait : waits_) {
    try {
      wait();
    } catch (...) {
    }
  }
}

void GradientReducer::Reset() {
  armed_ = false;
  ready_.assign(params_.size(), false);
  pending_.clear();
  for (const auto& bucket : buckets_) pending_.push_back(static_cast<int>(bucket.size()));
  next_ = 0;
  flat_.clear();
  waits_.clear();
}

void GradientReducer::Arm() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = true;
  started_during_backward_ = 0;
}

void GradientReducer::MarkReady(size_t param) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) return;
  if (ready_[param]) {
    throw std::logic_error("GradientReducer: a parameter's gradient was accumulated twice after Arm(); the "
                           "step's last micro-batch must run one backward pass");
  }
  ready_[param] = true;
  --pending_[bucket_of_[param]];
  while (next_ < buckets_.size() && pending_[next_] == 0) {
    Start(next_++);
    ++started_during_backward_;
  }
}

void GradientReducer::Start(size_t bucket) {
  std::vector<at::Tensor> pieces;
  for (size_t i : buckets_[bucket]) {
    const at::Tensor& grad = params_[i].grad();
    had_gradient_[i] = grad.defined();
    pieces.push_back(grad.defined() ? grad.detach().reshape({-1}) : torch::zeros({params_[i].numel()}, params_[i].options()));
  }
  flat_.push_back(torch::cat(pieces));
  waits_.push_back(AllReduceSumAsync(flat_.back()));
}

void GradientReducer::Finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  armed_ = false;
  while (next_ < buckets_.size()) Start(next_++);
  // One more sum counts the ranks that had each gradient.
  at::Tensor had = torch::zeros({static_cast<int64_t>(params_.size())}, torch::kFloat);
  for (size_t i = 0; i < params_.size(); ++i) had[static_cast<int64_t>(i)] = had_gradient_[i] ? 1.0f : 0.0f;
  had = had.to(params_.empty() ? torch::kCPU : params_[0].device());
  std::function<void()> had_wait = AllReduceSumAsync(had);
  auto waits = std::move(waits_);
  waits_.clear();
  lock.unlock();
  for (auto& wait : waits) wait();
  had_wait();
  const at::Tensor had_cpu = had.cpu();
  const float* any = had_cpu.data_ptr<float>();
  torch::NoGradGuard no_grad;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    int64_t offset = 0;
    for (size_t i : buckets_[b]) {
      at::Tensor& p = params_[i];
      const int64_t n = p.numel();
      if (any[i] == 0.0f) {
        p.mutable_grad() = at::Tensor();
      } else if (p.grad().defined()) {
        p.mutable_grad().copy_(flat_[b].narrow(0, offset, n).view(p.sizes()));
      } else {
        p.mutable_grad() = flat_[b].narrow(0, offset, n).view(p.sizes()).clone();
      }
      offset += n;
    }
  }
  lock.lock();
  Reset();
}

}  // namespace dist
