// OpenMP's wait policy must be chosen before libgomp starts, which is before main() runs.
#pragma once

namespace cli {

// LibTorch's OpenMP workers spin after each parallel region (libgomp's default), and OpenBLAS runs
// its GEMMs on a pool of its own: on 2 cores with 2 threads each, the spinning workers steal the
// cores OpenBLAS needs. Measured with `harness profile --checkpoint nano --threads 2` on this
// 2-core machine: training 5,149 tokens/s spinning vs 12,120 passive (1 thread: 9,856).
// When OMP_WAIT_POLICY is unset, sets it to PASSIVE and re-executes this program so that libgomp
// reads it; an explicit setting by the user is kept. Returns only if no re-exec happened.
void EnsurePassiveOpenMpWait(char** argv);

}  // namespace cli
