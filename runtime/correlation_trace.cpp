// Correlation traces over the log table (see correlation_trace.hpp).
#include "runtime/correlation_trace.hpp"

#include <algorithm>
#include <map>
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

/// Orders the steps by time, but never a step before the one that sent what it consumed,
/// nor before an earlier step of the same entity: clocks tie within a millisecond, and a
/// person reads a trace as cause then effect. Kahn's algorithm, ties by (at_ms, shard, seq).
void causal_order(std::vector<trace_step>& steps) {
  using key = std::tuple<int64_t, uint32_t, uint64_t>;
  auto key_of = [&](size_t i) {
    return key{steps[i].record.at_ms(), steps[i].shard, steps[i].log_seq};
  };
  std::map<std::tuple<std::string, std::string, uint64_t>, size_t> sent_by;  // channel -> step
  std::map<std::string, std::vector<size_t>> by_ref;
  for (size_t i = 0; i < steps.size(); ++i) {
    for (auto& env : steps[i].record.outbox())
      sent_by.emplace(std::make_tuple(env.receiver(), env.sender(), env.channel_seq()), i);
    by_ref[steps[i].ref].push_back(i);
  }
  std::vector<std::vector<size_t>> next(steps.size());
  std::vector<size_t> indegree(steps.size(), 0);
  auto edge = [&](size_t from, size_t to) {
    next[from].push_back(to);
    ++indegree[to];
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    auto& rec = steps[i].record;
    auto it = sent_by.find(std::make_tuple(steps[i].ref, rec.inbound_sender(), rec.inbound_seq()));
    if (it != sent_by.end() && it->second != i)
      edge(it->second, i);
  }
  for (auto& [ref, idx] : by_ref) {  // one entity's steps in log order
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return steps[a].log_seq < steps[b].log_seq; });
    for (size_t k = 1; k < idx.size(); ++k)
      edge(idx[k - 1], idx[k]);
  }
  std::set<std::pair<key, size_t>> ready;
  for (size_t i = 0; i < steps.size(); ++i)
    if (indegree[i] == 0)
      ready.emplace(key_of(i), i);
  std::vector<trace_step> sorted;
  std::vector<bool> taken(steps.size(), false);
  while (!ready.empty()) {
    auto i = ready.begin()->second;
    ready.erase(ready.begin());
    taken[i] = true;
    sorted.push_back(std::move(steps[i]));
    for (auto j : next[i])
      if (--indegree[j] == 0)
        ready.emplace(key_of(j), j);
  }
  // A cycle cannot come from a log, but a damaged one must not lose steps: append by time.
  std::vector<size_t> rest;
  for (size_t i = 0; i < steps.size(); ++i)
    if (!taken[i])
      rest.push_back(i);
  std::sort(rest.begin(), rest.end(), [&](size_t a, size_t b) { return key_of(a) < key_of(b); });
  for (auto i : rest)
    sorted.push_back(std::move(steps[i]));
  steps = std::move(sorted);
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
  causal_order(out.steps);
  return out;
}

}  // namespace sagaforge
