// How idle worker threads wait must be chosen before libgomp and OpenBLAS start, which is before
// main() runs.
#pragma once

namespace cli {

// Two thread pools share the cores: LibTorch's OpenMP workers (which also run the fused training
// ops) and OpenBLAS's own GEMM workers. By default both spin after their work is done, libgomp's
// workers for a while and OpenBLAS's for 2^28 cycles (about 0.1 s, calling sched_yield), so at 2
// threads on 2 cores each pool's idle workers steal the core the other pool's work needs.
// Measured on this 2-core machine:
// - `harness profile --checkpoint nano --threads 2`: training 5,149 tokens/s with spinning OpenMP
//   workers, 12,120 passive (1 thread: 9,856);
// - `torch_engine_bench --benchmark_filter=MicroTrainParts/2/2` (micro step, 2 threads, OpenMP
//   passive): 371-397 ms with OpenBLAS's default spin, 329-343 ms with OPENBLAS_THREAD_TIMEOUT=4
//   (2^4 cycles: its workers sleep as soon as a GEMM ends).
// Sets OMP_WAIT_POLICY=PASSIVE and OPENBLAS_THREAD_TIMEOUT=4 where unset and re-executes this
// program so that both libraries read them; a user's own setting is kept. Returns only if no
// re-exec happened. 1 thread is unaffected: neither pool has workers then.
void EnsurePassiveThreadWaits(char** argv);

}  // namespace cli
