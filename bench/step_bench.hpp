// step_bench: `sagaforge-bench runtime` — durable steps/s, steps per commit and hop latency
// of ping-pong pairs (--entities 2 is workload (a), --entities 10000 workload (b): all pairs
// started at once), then the raw LMDB rate of the same write mix in the same run.
// Main thread; the entities run on CAF's workers, the writer on its own thread.
#pragma once

#include "bench/bench_options.hpp"

namespace sagaforge::bench {

/// Runs the benchmark and prints its report; returns the process exit code.
int run_step_bench(const bench_options& o);

} // namespace sagaforge::bench
