// Entity recovery in named phases (the next phase is named in each):
//   1. load_snapshot   (recovery_load_snapshot.cpp) — newest snapshot, if any -> 2
//   2. replay_journal  (recovery_replay_journal.cpp) — the entity's log records after the
//      snapshot, in order, through the same apply() the live step uses -> running
// A record that fails to parse stops recovery with runtime.corrupt_record: the entity
// refuses to run rather than silently starting from a reset state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "caf/error.hpp"

#include "runtime/durable_mailbox.hpp"
#include "runtime/entity_logic.hpp"
#include "runtime/store.hpp"

namespace sagaforge {

/// Everything recovery rebuilds for one entity.
struct entity_image {
  std::unique_ptr<pb_message> state;
  uint64_t event_seq = 0;        // journal seq of the last applied event
  uint64_t covered_log_seq = 0;  // last log record folded into the snapshot
  uint64_t last_log_seq = 0;     // newest log record of this entity
  uint32_t records_since_snapshot = 0;
  uint64_t log_bytes_since_snapshot = 0;  // stored size of those records
  uint64_t snapshot_bytes = 0;            // stored size of the newest snapshot
  durable_mailbox mailbox;
};

/// How many times its own size in log records a snapshot waits for (see snapshot_due).
constexpr uint64_t snapshot_log_ratio = 4;

/// Whether a step's commit also writes a snapshot: every `every` records (0: never), but not
/// before the records written since the last snapshot are snapshot_log_ratio times as large
/// as it. An entity whose snapshot is large (a hot entity with many de-dup channels) then
/// snapshots less often, so its snapshots cost at most a quarter of the bytes its log does,
/// and recovery replays at most `every` records or four snapshots' size of log.
inline bool snapshot_due(const entity_image& img, uint32_t every) {
  return every > 0 && img.records_since_snapshot >= every
         && img.log_bytes_since_snapshot >= snapshot_log_ratio * img.snapshot_bytes;
}

/// Phase 1. Leaves a fresh state when there is no snapshot.
caf::error load_snapshot(store& st, const entity_logic& logic, const std::string& ref,
                         entity_image& img);

/// Phase 2. Replays the records of `ref` in shard `shard` after img.covered_log_seq up to
/// `last_log_seq` (inclusive). `scan_until` extends the scan over records the start-up scan
/// could not attribute, so an unreadable record that might be this entity's stops recovery
/// instead of being skipped.
caf::error replay_journal(store& st, const entity_logic& logic, const std::string& ref,
                          uint32_t shard, uint64_t last_log_seq, uint64_t scan_until,
                          entity_image& img);

/// Applies one decoded step record to an image (used live and by replay).
caf::error apply_record(const entity_logic& logic, const StepRecord& rec, entity_image& img,
                        std::string_view where);

/// Both phases.
inline caf::error recover_entity(store& st, const entity_logic& logic, const std::string& ref,
                                 uint32_t shard, uint64_t last_log_seq, uint64_t scan_until,
                                 entity_image& img) {
  if (auto err = load_snapshot(st, logic, ref, img))
    return err;
  return replay_journal(st, logic, ref, shard, last_log_seq, scan_until, img);
}

} // namespace sagaforge
