// Stored value layout of log records and snapshots (docs/storage-format.md):
//   log value      = flags u8 | ref_len u16 BE | ref | StepRecord bytes
//   snapshot value = flags u8 | covered_log_seq u64 BE | EntitySnapshot bytes
// The header lets start-up and recovery filter by entity and find entities with pending
// work (flag `pending`: non-empty outbox or timers after the step) without parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "caf/expected.hpp"

#include "runtime_records.pb.h"

namespace sagaforge {

constexpr uint8_t record_flag_pending = 0x01;

std::string encode_log_value(uint8_t flags, std::string_view ref, const StepRecord& rec);

struct log_header {
  uint8_t flags = 0;
  std::string_view ref;
  std::string_view body;
};

/// Splits a stored log value; an error names what is wrong (truncated, bad length).
caf::expected<log_header> decode_log_header(std::string_view value);

/// The writer's side of the derived fields (docs/storage-format.md): whether an outgoing
/// envelope's causation id `cause` is the inbound envelope's id (then it is not stored)...
bool derived_causation(const StepRecord& rec, const std::string& ref, std::string_view cause);
/// ...and an acked id shortened to "<receiver>#<seq>" when it is one of `ref`'s own.
void shorten_acked_id(std::string& id, const std::string& ref);

/// Fills each outgoing envelope's sender, id and (when empty and the step had an inbound
/// envelope) causation id from the record and its entity's ref: what the writer leaves out.
void restore_outbox_fields(StepRecord& rec, const std::string& ref);

/// Parses the record and restores the fields its writer left out because they follow from
/// the record (docs/storage-format.md, "Derived fields"): an outgoing envelope's sender and
/// id, its causation id when that is the inbound envelope, and the "<ref>->" of acked ids.
caf::expected<StepRecord> decode_step_record(const log_header& hdr, std::string_view where);

std::string encode_snapshot_value(uint8_t flags, const EntitySnapshot& snap);

struct snapshot_header {
  uint8_t flags = 0;
  uint64_t covered_log_seq = 0;
  std::string_view body;
};

caf::expected<snapshot_header> decode_snapshot_header(std::string_view value);

} // namespace sagaforge
