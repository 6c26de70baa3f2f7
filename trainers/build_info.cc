#include "trainers/build_info.h"

#include <thread>

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace trainers {

TorchBuildInfo GetTorchBuildInfo() {
  TorchBuildInfo info;
  info.torch_version = TORCH_VERSION;
  info.intra_op_threads = at::get_num_threads();
  info.inter_op_threads = at::get_num_interop_threads();
  info.cuda_available = torch::cuda::is_available();
  info.cuda_device_count = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  info.parallel_info = at::get_parallel_info();
  return info;
}

int SetTorchThreads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace trainers
