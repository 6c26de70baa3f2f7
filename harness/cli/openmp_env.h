// How idle worker threads wait must be chosen before libgomp and OpenBLAS start, which is before
// main() runs: `harness` itself never loads LibTorch; it sets the environment and then starts the
// engine binary (harness-torch, beside it) for the commands that need the model engine.
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
// Sets OMP_WAIT_POLICY=PASSIVE and OPENBLAS_THREAD_TIMEOUT=4 where unset; a user's own setting is
// kept. 1 thread is unaffected: neither pool has workers then.
void SetPassiveThreadWaits();

// Sets the thread waits above, then replaces this process with the engine binary
// (<directory of this executable>/harness-torch) and the same arguments. Returns only on failure,
// with a message on stderr and exit code kRunFailed.
int ExecEngineBinary(char** argv);

}  // namespace cli
