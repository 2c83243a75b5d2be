// Recovery phase 2: replay the journal tail after the snapshot (previous phase:
// recovery_load_snapshot.cpp; next: the entity runs). The shard's log is scanned from the
// snapshot's position; other entities' records are skipped by their header, unparsed.
#include "runtime/recovery.hpp"

#include <google/protobuf/descriptor.h>

#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/record_codec.hpp"

namespace sagaforge {

namespace {

/// The first oneof of `msg` with no member set. Events are a oneof of kinds (docs/cookbook.md),
/// and an apply has nothing to do with none: it asserts. A stored event without one is either
/// damaged past its checksum or holds a kind this build does not know (an unknown field), and
/// must stop this entity's recovery, not the node.
const google::protobuf::OneofDescriptor* unset_oneof(const pb_message& msg) {
  auto* d = msg.GetDescriptor();
  auto* r = msg.GetReflection();
  for (int i = 0; i < d->real_oneof_decl_count(); ++i)
    if (!r->HasOneof(msg, d->oneof_decl(i)))
      return d->oneof_decl(i);
  return nullptr;
}

} // namespace

caf::error apply_record(const entity_logic& logic, const StepRecord& rec, entity_image& img,
                        std::string_view where) {
  if (rec.events_size() > 0 && rec.first_event_seq() != img.event_seq + 1)
    return make_runtime_error(runtime_errc::corrupt_record,
                              std::string{where} + ": events start at seq "
                                + std::to_string(rec.first_event_seq()) + ", expected "
                                + std::to_string(img.event_seq + 1));
  auto ev = logic.new_event();
  for (auto& bytes : rec.events()) {
    if (!ev->ParseFromString(bytes))
      return make_runtime_error(runtime_errc::corrupt_record,
                                std::string{where} + ": event " + std::to_string(img.event_seq + 1)
                                  + " does not parse as " + ev->GetTypeName());
    if (auto* unset = unset_oneof(*ev))
      return make_runtime_error(runtime_errc::corrupt_record,
                                std::string{where} + ": event " + std::to_string(img.event_seq + 1)
                                  + " (" + ev->GetTypeName() + ") has no " + unset->name()
                                  + ": damaged, or written by a newer build");
    logic.apply(*img.state, *ev);
    ++img.event_seq;
  }
  img.mailbox.apply(rec);
  return {};
}

caf::error replay_journal(store& st, const entity_logic& logic, const std::string& ref,
                          uint32_t shard, uint64_t last_log_seq, uint64_t scan_until,
                          entity_image& img) {
  // Only an entity with a known history can own an unreadable record; a new one cannot
  // tell, and refusing every new entity of the shard would stop the shard.
  bool known = last_log_seq > 0 || img.covered_log_seq > 0;
  auto end = known ? std::max(last_log_seq, scan_until) : last_log_seq;
  if (end <= img.covered_log_seq)
    return {};
  caf::error failure;
  auto from = log_key(shard, img.covered_log_seq + 1);
  auto scan_err = st.scan(table::log, from, [&](std::string_view key, std::string_view value) {
    if (!is_log_key(key) || log_key_shard(key) != shard || log_key_seq(key) > end)
      return false;
    // Other entities' records are only attributed here, unless the start-up scan found a
    // record of this shard it could not read at or above this one; this one's own are
    // verified always.
    auto hdr = decode_log_header(value, log_key_seq(key) <= scan_until);
    auto where = "log record " + std::to_string(shard) + ":" + std::to_string(log_key_seq(key));
    if (!hdr) {
      // A record we cannot attribute might be ours: refuse rather than skip it.
      failure = make_runtime_error(runtime_errc::corrupt_record,
                                   where + " while recovering " + ref + ": "
                                     + describe(hdr.error()));
      return false;
    }
    if (hdr->ref != ref)
      return true;
    if (!verify_log_checksum(value)) {
      failure = make_runtime_error(runtime_errc::corrupt_record,
                                   where + " of " + ref + " fails its checksum: damaged on disk");
      return false;
    }
    auto rec = decode_step_record(*hdr, where);
    if (!rec) {
      failure = rec.error();
      return false;
    }
    if (auto err = apply_record(logic, *rec, img, where)) {
      failure = std::move(err);
      return false;
    }
    img.last_log_seq = log_key_seq(key);
    ++img.records_since_snapshot;
    img.log_bytes_since_snapshot += value.size();
    return true;
  });
  if (scan_err)
    return scan_err;
  if (failure)
    return failure;
  if (img.last_log_seq < last_log_seq)
    return make_runtime_error(runtime_errc::corrupt_record,
                              "journal of " + ref + " ends at log seq "
                                + std::to_string(img.last_log_seq) + " but the index says "
                                + std::to_string(last_log_seq) + ": records are missing");
  return {};
}

} // namespace sagaforge
