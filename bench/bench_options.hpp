// bench_options: the command line of `sagaforge-bench runtime` and the set-up every
// sub-benchmark shares — the CAF scheduler configuration, the scratch data folder (a fresh
// folder next to the executable, i.e. on the repository's disk, removed afterwards unless
// --keep-data), the runtime settings and the store (wrapped in a measuring_store).
// Main thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor_system_config.hpp"
#include "caf/expected.hpp"

#include "runtime/node_runtime.hpp"
#include "runtime/runtime_config.hpp"
#include "runtime/store.hpp"

namespace sagaforge::bench {

struct bench_options {
  // -- common --
  double seconds = 5;
  std::string durability = "fsync";
  uint64_t entities = 10000;
  bool json = false;
  std::string data_dir;  // "" = a fresh temporary folder
  bool keep_data = false;
  std::string scheduler = "sharing";  // sharing | stealing | single
  size_t threads = 0;                 // 0 = the policy's default (2 | 4 | 1)
  // -- step workload --
  double warmup_s = 1;
  size_t event_bytes = 100;
  size_t payload_bytes = 0;
  int64_t max_batch_steps = 4096;
  int64_t max_delay_us = 0;
  int64_t max_queue_steps = 65536;
  int64_t shards = 64;
  uint32_t snapshot_every = 100;
  int64_t retry_backoff_ms = 0;  // 0 = the runtime's default retry.initial-backoff-ms
  double raw_seconds = 3;
  bool no_raw = false;
  // -- recovery --
  std::string recovery;  // "" | journal | entities | entities-nosnap | all
  uint64_t events = 1'000'000;
  uint64_t stored_entities = 1'000'000;
  uint64_t activate = 100'000;
  uint64_t activate_nosnap = 2'000;
  std::string phase;  // internal: the dataset a child process generates
};

/// The scheduler as set: policy name and worker count.
struct scheduler_choice {
  std::string policy;  // CAF's scheduler.policy
  size_t threads;
};

scheduler_choice scheduler_of(const bench_options& o);

/// A CAF config with the scheduler set explicitly and CAF's logger silenced.
std::unique_ptr<caf::actor_system_config> make_caf_config(const bench_options& o);

/// Runtime settings for the benchmark: durability, shards and group-commit knobs from
/// the options, the rest the runtime's defaults.
runtime_settings make_settings(const bench_options& o, const std::string& dir);

/// Opens the store of `dir` in the given mode (memory: an in-memory store).
caf::expected<store_ptr> open_store(const std::string& dir, durability mode, int64_t map_mb);

/// The scratch folder: --data-dir, or a fresh folder next to the executable.
class scratch_dir {
public:
  explicit scratch_dir(const bench_options& o);
  ~scratch_dir();
  const std::string& path() const { return path_; }
  /// A sub-folder; removed at exit unless --keep-data (with --data-dir, only these go).
  std::string sub(const std::string& name);

private:
  std::string path_;
  bool created_ = false;  // we made path_ (not --data-dir)
  bool keep_ = false;
  std::vector<std::string> subs_;
};

void remove_tree(const std::string& path);

/// Stops a node and frees it only once its actors have terminated (bounded wait): the
/// runtime's shutdown() does not wait for entity actors, which still use the node's context
/// (docs/performance.md, "Runtime issues found").
void stop_node(caf::actor_system& sys, std::unique_ptr<node_runtime>& node);

/// Seconds since an arbitrary start (steady clock).
double now_s();

} // namespace sagaforge::bench
