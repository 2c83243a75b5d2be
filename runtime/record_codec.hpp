// Stored value layout of log records, snapshots and dead letters (docs/storage-format.md):
//   log value      = flags u8 | ref_len u16 BE | ref | [crc32 u32 BE] | [wake_ms u64 BE] | StepRecord
//   snapshot value = flags u8 | covered_log_seq u64 BE | [crc32 u32 BE] | [wake_ms u64 BE] | EntitySnapshot
//   dead letter    = 0x00 | crc32 u32 BE | DeadLetter    (format 2: the DeadLetter bytes alone)
// The header lets start-up and recovery filter by entity and find entities with work to do
// without parsing: `pending` (deliveries to resume at start), `wake` (only timers: wake the
// entity at wake_ms). The CRC-32 (zlib's) covers every other byte of the value, so a flipped
// byte that still parses is caught on read (format 3; records of format 1 and 2 have none).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "caf/expected.hpp"

#include "runtime_records.pb.h"

namespace sagaforge {

constexpr uint8_t record_flag_pending = 0x01;   // an outbox to deliver (or, before format 3,
                                                 // outbox or timers): re-activate at start
constexpr uint8_t record_flag_checksum = 0x02;  // a CRC-32 follows the header's fixed part
constexpr uint8_t record_flag_wake = 0x04;      // only timers: wake_ms follows the CRC

/// What an entity has to do after a step, as its stored records say it.
struct record_work {
  bool deliver = false;  // its outbox holds envelopes
  int64_t wake_ms = 0;   // its earliest timer (0: none)
};

std::string encode_log_value(const record_work& work, std::string_view ref,
                             const StepRecord& rec);

struct log_header {
  uint8_t flags = 0;
  int64_t wake_ms = 0;
  std::string_view ref;
  std::string_view body;

  bool deliver_pending() const { return (flags & record_flag_pending) != 0; }
  record_work work() const { return record_work{deliver_pending(), wake_ms}; }
};

/// Splits a stored log value; an error names what is wrong (truncated, bad length, a
/// checksum that does not match when `verify`). Recovery skips the checksum of other
/// entities' records (verify = false) and checks its own with verify_log_checksum.
caf::expected<log_header> decode_log_header(std::string_view value, bool verify = true);

/// The checksum of a whole log value (true for records written before format 3).
bool verify_log_checksum(std::string_view value);

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

std::string encode_snapshot_value(const record_work& work, const EntitySnapshot& snap);

struct snapshot_header {
  uint8_t flags = 0;
  uint64_t covered_log_seq = 0;
  int64_t wake_ms = 0;
  std::string_view body;

  bool deliver_pending() const { return (flags & record_flag_pending) != 0; }
  record_work work() const { return record_work{deliver_pending(), wake_ms}; }
};

caf::expected<snapshot_header> decode_snapshot_header(std::string_view value);

std::string encode_dead_letter(const DeadLetter& dl);

/// Parses a stored dead letter (with or without its checksum); corrupt_record when it
/// does not parse or its checksum does not match.
caf::expected<DeadLetter> decode_dead_letter(std::string_view value);

} // namespace sagaforge
