// recovery_bench: `sagaforge-bench runtime --recovery ...` — how long a node takes to come
// back: recovery of one entity with a long journal (snapshots disabled), start-up scan and
// activation with many small entities stored (with and without snapshots), and resident
// memory per idle active entity. A child process (this executable with --phase) generates
// each dataset through the runtime itself; this process then starts a node on it fresh,
// like a restarted node (warm page cache). Main thread.
#pragma once

#include <string>

#include "bench/bench_options.hpp"

namespace sagaforge::bench {

/// Dataset names (sub-folders of the scratch folder).
std::string dataset_name(const bench_options& o, const std::string& kind);

/// The child's job (--phase journal | entities | entities-nosnap): write the dataset into
/// <data-dir>/<dataset_name>, then a DONE marker. Returns the exit code.
int generate_dataset(const bench_options& o);

/// Runs the sub-benchmarks of --recovery and prints one report.
int run_recovery_bench(const bench_options& o);

} // namespace sagaforge::bench
