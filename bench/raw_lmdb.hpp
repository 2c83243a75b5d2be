// raw_lmdb: the baseline the runtime is measured against — LMDB alone, on the same disk,
// with the same environment flags as runtime/lmdb_store (MDB_NOTLS, plus MDB_NOSYNC for
// nosync), writing the same mix the runtime wrote: per commit, `batch` log records of the
// observed mean size under (shard u32 BE, seq u64 BE) keys spread over the same shard count,
// plus the observed share of snapshot puts under entity-ref keys (random order).
// Runs on the calling thread; no actor system involved.
#pragma once

#include <cstdint>
#include <string>

#include "caf/expected.hpp"

#include "runtime/store.hpp"

namespace sagaforge::bench {

struct raw_spec {
  std::string dir;                  // a fresh folder (created, not removed)
  durability mode = durability::fsync;  // fsync or nosync
  size_t map_size_mb = 16384;
  size_t batch = 1;                 // log puts per commit
  size_t log_value_bytes = 350;
  double snapshots_per_log = 0;     // snapshot puts per log put
  size_t snapshot_value_bytes = 300;
  uint32_t shards = 64;
  uint64_t entities = 10000;        // snapshot keys are refs of this many entities
  double seconds = 3;
  uint64_t max_log_puts = 50'000'000;
};

struct raw_result {
  uint64_t log_puts = 0;
  uint64_t snapshot_puts = 0;
  uint64_t commits = 0;
  double seconds = 0;
  double puts_ns = 0;    // total time in mdb_put
  double commit_ns = 0;  // total time in mdb_txn_commit (includes the flushes)
  double log_puts_per_s() const { return seconds > 0 ? static_cast<double>(log_puts) / seconds : 0; }
};

caf::expected<raw_result> run_raw_lmdb(const raw_spec& spec);

} // namespace sagaforge::bench
