// host_probe: how fast this shared VM runs right now. The machine's speed moves by up to 2x
// within minutes (../shared/limits.md), so a saga figure alone cannot say whether the code
// or the host changed. The probe repeats limits.md §5's "new message + fill 8 fields +
// serialize + parse into new message" (553 ns per op when limits.md was measured) on one
// thread and on both vCPUs at once; a run's figures are then read together with
// host_speed = 553 ns / the one-thread figure.
#pragma once

#include <chrono>

namespace sagaforge::bench {

/// ns per op in limits.md §5 (median of its runs, 2026-11-22).
constexpr double limits_probe_ns = 553.0;

/// Median ns per op over batches run for about `budget` on `threads` threads at once (2:
/// both vCPUs busy, as in a saga run, so contention between them shows too).
double host_probe_ns(std::chrono::milliseconds budget = std::chrono::milliseconds{300},
                     int threads = 1);

struct host_probe_sample {
  double one_thread_ns = 0;
  double two_threads_ns = 0;
};

/// Both probes, 0.3 s each.
host_probe_sample probe_host();

/// The mean of two samples (before and after a run).
host_probe_sample mean(const host_probe_sample& a, const host_probe_sample& b);

} // namespace sagaforge::bench
