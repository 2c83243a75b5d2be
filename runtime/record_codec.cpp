// Encoding and checked decoding of stored log records and snapshots.
#include "runtime/record_codec.hpp"

#include "runtime/durable_mailbox.hpp"
#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"

namespace sagaforge {

std::string encode_log_value(uint8_t flags, std::string_view ref, const StepRecord& rec) {
  std::string out;
  out.reserve(3 + ref.size() + rec.ByteSizeLong());
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>((ref.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(ref.size() & 0xff));
  out.append(ref);
  rec.AppendToString(&out);
  return out;
}

caf::expected<log_header> decode_log_header(std::string_view value) {
  if (value.size() < 3)
    return make_runtime_error(runtime_errc::corrupt_record,
                              "log record truncated: " + std::to_string(value.size())
                                + " bytes, header needs 3");
  log_header h;
  h.flags = static_cast<uint8_t>(value[0]);
  auto len = get_be(value, 1, 2);
  if (value.size() < 3 + len || len == 0)
    return make_runtime_error(runtime_errc::corrupt_record,
                              "log record truncated: ref length " + std::to_string(len)
                                + " exceeds the " + std::to_string(value.size())
                                + "-byte record");
  h.ref = value.substr(3, len);
  h.body = value.substr(3 + len);
  return h;
}

namespace {

void restore_acked_ids(StepRecord& rec, const std::string& ref) {
  for (auto& id : *rec.mutable_acked())
    if (id.find("->") == std::string::npos)
      id.insert(0, ref + "->");
}

} // namespace

bool derived_causation(const StepRecord& rec, const std::string& ref, std::string_view cause) {
  return !rec.inbound_sender().empty()
         && is_envelope_id(cause, rec.inbound_sender(), ref, rec.inbound_seq());
}

void shorten_acked_id(std::string& id, const std::string& ref) {
  if (id.size() > ref.size() + 2 && id.compare(0, ref.size(), ref) == 0
      && id.compare(ref.size(), 2, "->") == 0)
    id.erase(0, ref.size() + 2);
}

void restore_outbox_fields(StepRecord& rec, const std::string& ref) {
  std::string inbound_id;
  for (auto& env : *rec.mutable_outbox()) {
    if (env.sender().empty())
      env.set_sender(ref);
    if (env.id().empty())
      env.set_id(envelope_id(env.sender(), env.receiver(), env.channel_seq()));
    if (env.causation_id().empty() && !rec.inbound_sender().empty()) {
      if (inbound_id.empty())
        inbound_id = envelope_id(rec.inbound_sender(), ref, rec.inbound_seq());
      env.set_causation_id(inbound_id);
    }
  }
}

caf::expected<StepRecord> decode_step_record(const log_header& hdr, std::string_view where) {
  StepRecord rec;
  if (!rec.ParseFromArray(hdr.body.data(), static_cast<int>(hdr.body.size())))
    return make_runtime_error(runtime_errc::corrupt_record,
                              "step record " + std::string{where} + " does not parse ("
                                + std::to_string(hdr.body.size()) + " bytes)");
  std::string ref{hdr.ref};
  restore_outbox_fields(rec, ref);
  restore_acked_ids(rec, ref);
  return rec;
}

std::string encode_snapshot_value(uint8_t flags, const EntitySnapshot& snap) {
  std::string out;
  out.push_back(static_cast<char>(flags));
  put_be64(out, snap.covered_log_seq());
  snap.AppendToString(&out);
  return out;
}

caf::expected<snapshot_header> decode_snapshot_header(std::string_view value) {
  if (value.size() < 9)
    return make_runtime_error(runtime_errc::corrupt_record,
                              "snapshot truncated: " + std::to_string(value.size())
                                + " bytes, header needs 9");
  snapshot_header h;
  h.flags = static_cast<uint8_t>(value[0]);
  h.covered_log_seq = get_be(value, 1, 8);
  h.body = value.substr(9);
  return h;
}

} // namespace sagaforge
