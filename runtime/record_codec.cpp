// Encoding and checked decoding of stored log records and snapshots.
#include "runtime/record_codec.hpp"

#include <zlib.h>

#include "runtime/durable_mailbox.hpp"
#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge {

namespace {

uint32_t crc_of(std::string_view a, std::string_view b = {}) {
  auto c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(a.data()), static_cast<uInt>(a.size()));
  c = crc32(c, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size()));
  return static_cast<uint32_t>(c);
}

/// Appends the work fields and returns the flags byte they need.
uint8_t work_flags(const record_work& work) {
  uint8_t flags = record_flag_checksum;
  if (work.deliver)
    flags |= record_flag_pending;
  else if (work.wake_ms > 0)
    flags |= record_flag_wake;
  return flags;
}

/// Writes the CRC of everything but its own 4 bytes at `crc_at` (its placeholder).
void seal(std::string& out, size_t crc_at) {
  auto v = std::string_view{out};
  auto crc = crc_of(v.substr(0, crc_at), v.substr(crc_at + 4));
  for (int i = 0; i < 4; ++i)
    out[crc_at + static_cast<size_t>(i)] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
}

bool crc_matches(std::string_view value, size_t crc_at) {
  auto stored = static_cast<uint32_t>(get_be(value, crc_at, 4));
  return crc_of(value.substr(0, crc_at), value.substr(crc_at + 4)) == stored;
}

caf::error corrupt(std::string what) {
  return make_runtime_error(runtime_errc::corrupt_record, std::move(what));
}

/// Reads the optional CRC and wake fields at `pos`; false when the value is too short.
bool read_tail_fields(std::string_view value, uint8_t flags, size_t& pos, size_t& crc_at,
                      int64_t& wake_ms) {
  crc_at = std::string_view::npos;
  if (flags & record_flag_checksum) {
    if (value.size() < pos + 4)
      return false;
    crc_at = pos;
    pos += 4;
  }
  if (flags & record_flag_wake) {
    if (value.size() < pos + 8)
      return false;
    wake_ms = static_cast<int64_t>(get_be(value, pos, 8));
    pos += 8;
  }
  return true;
}

} // namespace

std::string encode_log_value(const record_work& work, std::string_view ref,
                             const StepRecord& rec) {
  SAGAFORGE_ASSERT(!ref.empty() && ref.size() <= 0xffff, "a ref fits the 16-bit length field");
  auto flags = work_flags(work);
  std::string out;
  out.reserve(3 + ref.size() + 12 + rec.ByteSizeLong());
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>((ref.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(ref.size() & 0xff));
  out.append(ref);
  auto crc_at = out.size();
  out.append(4, '\0');
  if (flags & record_flag_wake)
    put_be64(out, static_cast<uint64_t>(work.wake_ms));
  SAGAFORGE_ASSERT(rec.AppendToString(&out), "Protobuf encodes a step record");
  seal(out, crc_at);
  return out;
}

caf::expected<log_header> decode_log_header(std::string_view value, bool verify) {
  if (value.size() < 3)
    return corrupt("log record truncated: " + std::to_string(value.size())
                   + " bytes, header needs 3");
  log_header h;
  h.flags = static_cast<uint8_t>(value[0]);
  auto len = get_be(value, 1, 2);
  if (value.size() < 3 + len || len == 0)
    return corrupt("log record truncated: ref length " + std::to_string(len) + " exceeds the "
                   + std::to_string(value.size()) + "-byte record");
  h.ref = value.substr(3, len);
  size_t pos = 3 + len, crc_at;
  if (!read_tail_fields(value, h.flags, pos, crc_at, h.wake_ms))
    return corrupt("log record truncated inside its header");
  if (verify && crc_at != std::string_view::npos && !crc_matches(value, crc_at))
    return corrupt("log record fails its checksum (" + std::to_string(value.size())
                   + " bytes): damaged on disk");
  h.body = value.substr(pos);
  return h;
}

bool verify_log_checksum(std::string_view value) {
  auto h = decode_log_header(value, true);
  return static_cast<bool>(h);
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

std::string encode_snapshot_value(const record_work& work, const EntitySnapshot& snap) {
  auto flags = work_flags(work);
  std::string out;
  out.push_back(static_cast<char>(flags));
  put_be64(out, snap.covered_log_seq());
  auto crc_at = out.size();
  out.append(4, '\0');
  if (flags & record_flag_wake)
    put_be64(out, static_cast<uint64_t>(work.wake_ms));
  SAGAFORGE_ASSERT(snap.AppendToString(&out), "Protobuf encodes a snapshot");
  seal(out, crc_at);
  return out;
}

caf::expected<snapshot_header> decode_snapshot_header(std::string_view value) {
  if (value.size() < 9)
    return corrupt("snapshot truncated: " + std::to_string(value.size())
                   + " bytes, header needs 9");
  snapshot_header h;
  h.flags = static_cast<uint8_t>(value[0]);
  h.covered_log_seq = get_be(value, 1, 8);
  size_t pos = 9, crc_at;
  if (!read_tail_fields(value, h.flags, pos, crc_at, h.wake_ms))
    return corrupt("snapshot truncated inside its header");
  if (crc_at != std::string_view::npos && !crc_matches(value, crc_at))
    return corrupt("snapshot fails its checksum (" + std::to_string(value.size())
                   + " bytes): damaged on disk");
  h.body = value.substr(pos);
  return h;
}

std::string encode_dead_letter(const DeadLetter& dl) {
  std::string out(5, '\0');  // a 0 byte is no Protobuf tag: format 2 values never start so
  SAGAFORGE_ASSERT(dl.AppendToString(&out), "Protobuf encodes a dead letter");
  seal(out, 1);
  return out;
}

caf::expected<DeadLetter> decode_dead_letter(std::string_view value) {
  DeadLetter dl;
  auto body = value;
  if (!value.empty() && value[0] == '\0') {
    if (value.size() < 5 || !crc_matches(value, 1))
      return corrupt("dead letter fails its checksum (" + std::to_string(value.size())
                     + " bytes): damaged on disk");
    body = value.substr(5);
  }
  if (!dl.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return corrupt("a dead letter does not parse (" + std::to_string(value.size()) + " bytes)");
  return dl;
}

} // namespace sagaforge
