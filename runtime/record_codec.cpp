// Encoding and checked decoding of stored log records and snapshots.
#include "runtime/record_codec.hpp"

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

caf::expected<StepRecord> decode_step_record(std::string_view body, std::string_view where) {
  StepRecord rec;
  if (!rec.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return make_runtime_error(runtime_errc::corrupt_record,
                              "step record " + std::string{where} + " does not parse ("
                                + std::to_string(body.size()) + " bytes)");
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
