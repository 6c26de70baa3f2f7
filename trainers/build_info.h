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
};

TorchBuildInfo GetTorchBuildInfo();

// Sets torch's intra-op pool size; 0 = number of cores. Returns the count now in effect.
int SetTorchThreads(int threads);

}  // namespace trainers
