#include "trainers/build_info.h"

#include <dlfcn.h>

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
  // Debian's LibTorch calls OpenBLAS, whose pthread pool is sized separately (by default to all
  // cores) and oversubscribes the CPU next to torch's own threads: on 2 busy cores, 1 torch thread
  // with OpenBLAS at its default ran prefill 1.7x slower than with OpenBLAS at 1. Keep them equal.
  // Looked up at run time because the symbol exists only when OpenBLAS is the BLAS in use.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
  return at::get_num_threads();
}

}  // namespace trainers
