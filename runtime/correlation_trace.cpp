// Correlation traces over the log table (see correlation_trace.hpp).
#include "runtime/correlation_trace.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "runtime/log_keys.hpp"
#include "runtime/record_codec.hpp"

namespace sagaforge {

namespace {

using visit_fn = std::function<bool(uint32_t shard, uint64_t seq, std::string_view ref,
                                    const StepRecord& rec)>;

/// Decodes every log record in key order (at most `max_records`) and hands it to `f`.
caf::error scan_records(store& st, uint64_t max_records, trace_result& out, const visit_fn& f) {
  caf::error failure;
  uint64_t seen = 0;
  auto err = st.scan(table::log, std::string{}, [&](std::string_view key, std::string_view value) {
    if (!is_log_key(key))
      return true;
    if (++seen > max_records) {
      out.truncated = true;
      return false;
    }
    auto hdr = decode_log_header(value);
    if (!hdr) {
      failure = hdr.error();
      return false;
    }
    auto where = "log record " + std::to_string(log_key_shard(key)) + ":"
                 + std::to_string(log_key_seq(key));
    auto rec = decode_step_record(*hdr, where);
    if (!rec) {
      failure = rec.error();
      return false;
    }
    return f(log_key_shard(key), log_key_seq(key), hdr->ref, *rec);
  });
  out.scanned = std::max(out.scanned, std::min(seen, max_records));
  return err ? err : failure;
}

}  // namespace

caf::expected<trace_result> trace_correlation(store& st, const std::string& correlation_id,
                                              size_t max_steps, uint64_t max_records) {
  trace_result out;
  // Pass 1: the steps that sent an envelope of the correlation, and the channels
  // (receiver, sender, seq) those envelopes travelled on.
  std::set<std::tuple<std::string, std::string, uint64_t>> channels;
  std::set<std::pair<uint32_t, uint64_t>> taken;
  auto err = scan_records(st, max_records, out, [&](uint32_t shard, uint64_t seq,
                                                    std::string_view ref, const StepRecord& rec) {
    bool sent = false;
    for (auto& env : rec.outbox())
      if (env.correlation_id() == correlation_id) {
        sent = true;
        channels.emplace(env.receiver(), env.sender(), env.channel_seq());
      }
    if (sent && out.steps.size() < max_steps) {
      out.steps.push_back(trace_step{std::string{ref}, shard, seq, rec, true, false});
      taken.emplace(shard, seq);
    }
    return true;
  });
  if (err)
    return err;
  // Pass 2: the steps that consumed one of those envelopes.
  err = scan_records(st, max_records, out, [&](uint32_t shard, uint64_t seq, std::string_view ref,
                                               const StepRecord& rec) {
    if (rec.inbound_sender().empty())
      return true;
    auto key = std::make_tuple(std::string{ref}, rec.inbound_sender(), rec.inbound_seq());
    if (channels.count(key) == 0)
      return true;
    if (taken.count({shard, seq}) != 0) {
      for (auto& s : out.steps)
        if (s.shard == shard && s.log_seq == seq)
          s.consumed = true;
      return true;
    }
    if (out.steps.size() < max_steps)
      out.steps.push_back(trace_step{std::string{ref}, shard, seq, rec, false, true});
    return true;
  });
  if (err)
    return err;
  std::sort(out.steps.begin(), out.steps.end(), [](const trace_step& a, const trace_step& b) {
    return std::make_tuple(a.record.at_ms(), a.shard, a.log_seq)
           < std::make_tuple(b.record.at_ms(), b.shard, b.log_seq);
  });
  return out;
}

}  // namespace sagaforge
