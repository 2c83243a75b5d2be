// Recovery phase 1: load the newest snapshot (next: recovery_replay_journal.cpp).
#include "runtime/recovery.hpp"

#include "runtime/errors.hpp"
#include "runtime/record_codec.hpp"

namespace sagaforge {

caf::error load_snapshot(store& st, const entity_logic& logic, const std::string& ref,
                         entity_image& img) {
  img = entity_image{};
  img.state = logic.new_state();
  auto raw = st.get(table::snapshots, ref);
  if (!raw)
    return raw.error();
  if (!*raw)
    return {};
  auto hdr = decode_snapshot_header(**raw);
  if (!hdr)
    return make_runtime_error(runtime_errc::corrupt_record,
                              "snapshot of " + ref + ": " + describe(hdr.error()));
  EntitySnapshot snap;
  if (!snap.ParseFromArray(hdr->body.data(), static_cast<int>(hdr->body.size())))
    return make_runtime_error(runtime_errc::corrupt_record,
                              "snapshot of " + ref + " does not parse");
  if (snap.entity() != ref || snap.covered_log_seq() != hdr->covered_log_seq)
    return make_runtime_error(runtime_errc::corrupt_record,
                              "snapshot stored under " + ref + " names '" + snap.entity()
                                + "' or disagrees with its header");
  if (!img.state->ParseFromString(snap.state()))
    return make_runtime_error(runtime_errc::corrupt_record,
                              "state in the snapshot of " + ref + " does not parse as "
                                + img.state->GetTypeName());
  img.event_seq = snap.event_seq();
  img.snapshot_bytes = (**raw).size();
  img.covered_log_seq = snap.covered_log_seq();
  img.last_log_seq = snap.covered_log_seq();
  img.mailbox.load(snap);
  return {};
}

} // namespace sagaforge
