// What LibTorch this build runs on and how many threads it uses; recorded in every profile and result.
#pragma once

#include <string>

namespace trainers {

struct TorchBuildInfo {
  std::string torch_version;   // e.g. "1.13.1"
  int intra_op_threads = 0;    // at::get_num_threads()
  int inter_op_threads = 0;    // at::get_num_interop_threads()
  bool cuda_available = false;
  int cuda_device_count = 0;
  std::string parallel_info;   // at::get_parallel_info(): OpenMP / MKL / BLAS threading details
  std::string malloc_tuning;   // glibc malloc settings applied by SetTorchThreads ("default" if none)
  // OpenBLAS's kernel for this CPU ("" when the BLAS is not OpenBLAS): two machines with the same instruction set
  // may get different ones, whose float sums differ.
  std::string blas_core;
};

TorchBuildInfo GetTorchBuildInfo();

// Sets torch's intra-op pool size; 0 = number of cores. Returns the count now in effect. The
// first call also tunes glibc malloc to keep freed memory (see build_info.cc).
int SetTorchThreads(int threads);

}  // namespace trainers
