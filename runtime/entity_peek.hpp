// Reading an entity from the store without activating it (admin API, console `show
// --stored`, `history`): its durable image folded by the recovery code (recovery.hpp), and
// pages of its log records. Callable from any thread: reads only, through the store's read
// transactions, alongside the live entity (which may be ahead by the steps not yet durable).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/expected.hpp"

#include "runtime/runtime_context.hpp"
#include "runtime_records.pb.h"

namespace sagaforge {

/// The entity's durable state as recovery would rebuild it; `stored` is set, `mode` is
/// "stored". runtime.not_found when the node knows no record of it, runtime.unknown_type
/// when its type is not registered, runtime.corrupt_record when a record does not parse.
caf::expected<EntityReport> peek_entity(runtime_context& ctx, const std::string& ref);

/// One log record of an entity: a whole step (events, sends, timers, the consumed input).
struct journal_entry {
  uint64_t log_seq = 0;
  StepRecord record;
};

/// The entity's log records with log seq >= `from_log_seq`, oldest first, at most `limit`.
/// Scans the entity's shard from there up to its newest record: O(shard records) per page.
caf::expected<std::vector<journal_entry>> journal_page(runtime_context& ctx, const std::string& ref,
                                                       uint64_t from_log_seq, size_t limit);

}  // namespace sagaforge
