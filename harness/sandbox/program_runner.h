// The sandbox behind scoring::ProgramRunner: P-CoT programs (ReFT §3) run on a pool of fork servers, a
// batch at a time, in parallel; each program is a fresh child with the limits below and no stdin.
#pragma once

#include "harness/sandbox/sandbox.h"
#include "harness/scoring/scoring.h"

namespace sandbox {

// A P-CoT program is a few lines of arithmetic: 2 CPU seconds (an accidental infinite loop costs little),
// 512 MB of address space.
Limits ProgramLimits();

// A runner on its own pool of `workers` fork servers (<= 0: one per core), which start with the first batch
// and stop when the last copy of the runner goes. Calls take turns on the pool; results come back in input
// order and do not depend on the number of workers.
scoring::ProgramRunner MakeProgramRunner(int workers = 0, const Limits& limits = ProgramLimits());

}  // namespace sandbox
