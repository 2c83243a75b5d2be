// The runtime half of an entity's durable state: inbound channels (de-duplication
// watermarks), outbound channels (next seqs), the outbox of unacked envelopes, and timers.
// Pure data plus the rules that change it; the same `apply(StepRecord)` serves the live
// step and recovery, so replay rebuilds exactly what the live entity had.
// Runs inside one entity actor; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime_records.pb.h"

namespace sagaforge {

/// "<sender>-><receiver>#<seq>": deterministic from the sender's step.
std::string envelope_id(const std::string& sender, const std::string& receiver, uint64_t seq);

/// Whether `id` is exactly envelope_id(sender, receiver, seq) (checked without building it).
bool is_envelope_id(std::string_view id, std::string_view sender, std::string_view receiver,
                    uint64_t seq);

/// Splits an id made by envelope_id into receiver and seq; false if it is not of that form.
bool parse_envelope_id(const std::string& id, std::string& receiver, uint64_t& seq);

struct outbox_entry {
  std::shared_ptr<Envelope> env;  // never null; handed to the receiver as it is
  bool shared = false;      // a receiver may hold env: copy it before changing it
  bool committed = false;   // durable: may be sent
  bool in_flight = false;   // sent, not acked yet
  uint32_t attempts = 0;    // sends so far in this incarnation plus stored attempts
  int64_t next_attempt_ms = 0;
};

enum class inbound_verdict {
  process,           // the next seq of its channel
  duplicate,         // already processed: ack again, no effect
  duplicate_failed,  // already dead-lettered here: failed ack again
  hold,              // ahead of a gap: keep until the gap fills
};

class durable_mailbox {
public:
  static constexpr size_t max_failed_seqs = 16;

  // -- inbound ---------------------------------------------------------------

  /// `floor`: the sender's lowest unsettled seq on the channel (0 = unknown); seqs below
  /// it were dead-lettered by the sender and are not waited for.
  inbound_verdict classify(const std::string& sender, uint64_t seq, uint64_t floor = 0) const;

  /// Advances the channel's watermark to `seq` (which must be watermark + 1).
  void consume(const std::string& sender, uint64_t seq, bool failed, int64_t now_ms);

  /// Drops the de-dup records of channels idle since before now - retention_ms.
  std::vector<std::string> expire_channels(int64_t now_ms, int64_t retention_ms);

  size_t channel_count() const { return in_.size(); }

  // -- outbound --------------------------------------------------------------

  /// Assigns the next seq on the channel to `receiver`.
  uint64_t next_seq(const std::string& receiver);

  /// Returns the outbox's envelope (the existing one when that seq is already there).
  const std::shared_ptr<Envelope>& add(Envelope env, int64_t now_ms, bool committed);

  /// Removes an outbox entry; returns it when it was there.
  std::optional<outbox_entry> remove(const std::string& receiver, uint64_t seq);

  outbox_entry* find(const std::string& receiver, uint64_t seq);

  /// Entries of one receiver, in seq order (the window is the first N of them).
  std::map<uint64_t, outbox_entry>* channel(const std::string& receiver);

  std::map<std::string, std::map<uint64_t, outbox_entry>>& outbox() { return outbox_; }
  const std::map<std::string, std::map<uint64_t, outbox_entry>>& outbox() const {
    return outbox_;
  }

  size_t outbox_size() const { return outbox_count_; }

  // -- timers ----------------------------------------------------------------

  std::map<std::string, TimerEntry>& timers() { return timers_; }
  const std::map<std::string, TimerEntry>& timers() const { return timers_; }

  // -- replay and snapshots --------------------------------------------------

  /// Applies the runtime part of a step record (events are the entity's business).
  void apply(const StepRecord& rec);

  /// The live step's apply in two halves, so the record is encoded before its outgoing
  /// envelopes are moved (not copied) into the outbox: everything but the outbox first...
  /// (`live`: the acked entries were removed when their acks arrived; replay removes them.)
  void apply_except_outbox(const StepRecord& rec, bool live = false);
  /// ...then the outbox, as uncommitted entries; leaves rec's outbox empty and appends the
  /// outbox's envelopes to `added`, in order.
  void take_outbox(StepRecord& rec, std::vector<std::shared_ptr<const Envelope>>& added);

  void load(const EntitySnapshot& snap);

  void save(EntitySnapshot& snap) const;

private:
  std::unordered_map<std::string, InChannel> in_;
  std::unordered_map<std::string, uint64_t> out_seq_;
  std::map<std::string, std::map<uint64_t, outbox_entry>> outbox_;
  size_t outbox_count_ = 0;
  std::map<std::string, TimerEntry> timers_;
};

} // namespace sagaforge
