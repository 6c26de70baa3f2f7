#include "trainers/build_info.h"

#include <dlfcn.h>
#include <malloc.h>

#include <mutex>
#include <string>
#include <thread>

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace trainers {
namespace {

// A training step frees and re-allocates the same tens of MB of activations every step. With
// glibc's defaults, freed memory at the top of the heap goes back to the kernel (trim threshold)
// and blocks over the (dynamic) mmap threshold get fresh mappings, so every step page-faults and
// zeroes the same pages again (perf: exc_page_fault, clear_page_erms). Keeping them: micro training
// step 502 -> 491 ms CPU (bench/torch_engine_bench BM_MicroTrainParts/2, 4 runs each), page faults
// 144K -> 98K. 32 MiB is the largest mmap threshold glibc accepts on 64-bit; larger blocks (a big
// checkpoint's tensors) still map and unmap as before.
std::string& MallocTuning() {
  static std::string applied = "default";
  return applied;
}

void TuneMalloc() {
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef __GLIBC__
    constexpr int kMmapThreshold = 32 << 20, kTrimThreshold = 1 << 30;
    if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1) {
      MallocTuning() = "mmap_threshold=" + std::to_string(kMmapThreshold) + " trim_threshold=" + std::to_string(kTrimThreshold);
    }
#endif
  });
}

}  // namespace

TorchBuildInfo GetTorchBuildInfo() {
  TorchBuildInfo info;
  info.torch_version = TORCH_VERSION;
  info.intra_op_threads = at::get_num_threads();
  info.inter_op_threads = at::get_num_interop_threads();
  info.cuda_available = torch::cuda::is_available();
  info.cuda_device_count = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  info.parallel_info = at::get_parallel_info();
  info.malloc_tuning = MallocTuning();
  using CoreName = char* (*)();
  if (auto core = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"))) info.blas_core = core();
  return info;
}

int SetTorchThreads(int threads) {
  TuneMalloc();
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
