// Stored entity images and journal pages (see entity_peek.hpp).
#include "runtime/entity_peek.hpp"

#include "runtime/entity_ref.hpp"
#include "runtime/entity_report.hpp"
#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/record_codec.hpp"
#include "runtime/recovery.hpp"

namespace sagaforge {

namespace {

caf::expected<uint64_t> newest_record(runtime_context& ctx, const std::string& ref) {
  if (auto err = validate_ref(ref))
    return err;
  auto row = ctx.dir().find(ref);
  if (!row)
    return make_runtime_error(runtime_errc::not_found, "no stored record of " + ref);
  return row->last_log_seq;
}

}  // namespace

caf::expected<EntityReport> peek_entity(runtime_context& ctx, const std::string& ref) {
  auto last = newest_record(ctx, ref);
  if (!last)
    return last.error();
  auto* logic = ctx.logic_for(ref_type(ref));
  if (!logic)
    return make_runtime_error(runtime_errc::unknown_type,
                              "no entity type '" + std::string{ref_type(ref)} + "'");
  auto shard = shard_of(ref, ctx.shard_count());
  entity_image img;
  caf::error err;
  try {
    err = recover_entity(ctx.backing_store(), *logic, ref, shard, *last,
                         ctx.unattributable_until(shard), img);
  } catch (const std::exception& e) {  // apply is domain code: it may throw
    err = make_runtime_error(runtime_errc::corrupt_record,
                             std::string{"apply threw while folding the journal: "} + e.what());
  }
  if (err)
    return err;
  EntityReport r;
  r.set_ref(ref);
  r.set_state_type(img.state->GetTypeName());
  r.set_state(img.state->SerializeAsString());
  r.set_event_seq(img.event_seq);
  r.set_last_log_seq(img.last_log_seq);
  r.set_mode("stored");
  r.set_stored(true);
  add_mailbox_details(img.mailbox, r);
  return r;
}

caf::expected<std::vector<journal_entry>> journal_page(runtime_context& ctx, const std::string& ref,
                                                       uint64_t from_log_seq, size_t limit) {
  auto last = newest_record(ctx, ref);
  if (!last)
    return last.error();
  auto shard = shard_of(ref, ctx.shard_count());
  std::vector<journal_entry> out;
  caf::error failure;
  auto err = ctx.backing_store().scan(
    table::log, log_key(shard, std::max<uint64_t>(from_log_seq, 1)),
    [&](std::string_view key, std::string_view value) {
      if (!is_log_key(key) || log_key_shard(key) != shard || log_key_seq(key) > *last)
        return false;
      auto hdr = decode_log_header(value);
      if (!hdr) {
        failure = hdr.error();
        return false;
      }
      if (hdr->ref != ref)
        return true;
      auto where = "log record " + std::to_string(shard) + ":" + std::to_string(log_key_seq(key));
      auto rec = decode_step_record(*hdr, where);
      if (!rec) {
        failure = rec.error();
        return false;
      }
      out.push_back(journal_entry{log_key_seq(key), std::move(*rec)});
      return out.size() < limit;
    });
  if (err)
    return err;
  if (failure)
    return failure;
  return out;
}

}  // namespace sagaforge
