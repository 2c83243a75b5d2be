// entity_core: the logic of one entity actor, kept apart from CAF's behavior plumbing.
// See entity_actor.hpp for what it does; this header is internal to runtime/.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"
#include "caf/typed_response_promise.hpp"
#include "caf/stateful_actor.hpp"

#include "envelope.pb.h"
#include "runtime/entity_actor.hpp"
#include "runtime/local_envelope.hpp"
#include "runtime/record_codec.hpp"
#include "runtime/recovery.hpp"
#include "runtime/runtime_context.hpp"

namespace sagaforge {

/// What a step does once its commit is durable.
struct post_commit {
  uint64_t token = 0;
  uint64_t log_seq = 0;        // the step's log record (0 for a snapshot-only commit)
  std::string ack_to;          // inbound sender to ack ("" = none)
  uint64_t ack_seq = 0;        // ...its seq on the channel to us
  uint64_t ack_rides_on = 0;   // our seq of an envelope to ack_to that carries the ack
  /// The whole Ack, for a client sender (it carries the reply or rejection) or a failed
  /// input; an entity sender of a processed input gets just (our ref, ack_seq).
  std::unique_ptr<Ack> full_ack;
  /// The step's outgoing envelopes as the outbox holds them (sendable once committed; read
  /// for receiver and seq only: a resend may swap the outbox's copy).
  std::vector<std::shared_ptr<const Envelope>> sends;
  std::vector<std::string> timers;                      // names to arm
  std::vector<std::string> timers_dropped;              // names cancelled by the step
  std::vector<Ack> extra_acks;  // duplicate acks that had to wait for this commit
  bool passivate_after = false;  // decide asked for passivation (see passivate_requested_)
  bool final_snapshot = false;
  caf::typed_response_promise<bool> durable;  // a shutdown snapshot's requester, if any
};

/// The input of a step besides an envelope: timers and delivery failures.
struct internal_input {
  std::string key;  // crash-count key: "timer:<name>", "failed:<envelope id>"
  std::string type;
  std::string payload;
  std::vector<std::string> acked;  // outbox ids this input settles
  std::string timer_fired;         // timer name this input consumes
  std::string correlation_id;
};

enum class entity_mode : uint8_t { running, restarting, passivating, retired, broken };

class entity_core {
public:
  entity_core(caf::event_based_actor* self, runtime_context& rt, std::string ref,
              uint64_t last_log_seq, active_entry_ptr entry);

  ~entity_core();

  void start();

  // -- message handlers ---------------------------------------------------------
  void on_deliver(const std::string& bytes);  // from a client or a test: parsed here
  void on_deliver(envelope_ptr env);
  void on_ack(const std::string& bytes);
  void on_plain_ack(const std::string& receiver, uint64_t seq);
  void on_committed(uint64_t token);
  void finish_step(post_commit pc);
  void compact_pending();
  void on_commit_failed(uint64_t token);
  void on_resend_tick();
  void on_timer(const std::string& name, int64_t due_ms);
  void on_passivate();
  /// Start-up re-activation (settle_atom): passivate once the outbox is delivered.
  void on_settle();
  /// Clean shutdown (snapshot_atom): true once what no snapshot covers yet is durable.
  caf::result<bool> on_shutdown_snapshot();
  EntityReport report() const;
  /// Which activation of the directory this core is (active_entry::activation).
  uint64_t activation() const { return entry_->activation; }

private:
  // -- steps (entity_step.cpp) ---------------------------------------------------
  /// True when the envelope was consumed (its sender's holdback may now drain).
  bool handle_envelope(const envelope_ptr& env);
  /// Older than retry.dedup-retention-ms: counted, logged, to be dropped unprocessed.
  bool is_stale(const Envelope& env);
  void drain_holdback(const std::string& sender);
  void process_envelope(const envelope_ptr& env);
  bool run_step(const inbound& in, const Envelope* src, const internal_input* internal,
                const std::string& crash_key);
  void consume_as_poison(const Envelope* src, const internal_input* internal,
                         const std::string& error, const std::string& reason = "poison");
  void commit(StepRecord& rec, post_commit pc);
  void submit(std::vector<mutation> muts, post_commit pc);
  mutation snapshot_mutation();
  /// What the entity has to do after the step being recorded (the record header's work):
  /// `sends_pending`: the record being encoded adds envelopes not in the outbox yet.
  record_work work_after(bool sends_pending = false);
  bool outbox_full() const;
  /// A step still waiting for its commit asked for passivation (and so may carry a snapshot).
  bool passivation_snapshot_in_flight() const;
  void break_down(const std::string& why);
  void run_internal(const internal_input& in);
  void finish_passivation();
  void update_pinned();
  void report_waiting();
  void update_oldest_unacked();
  void maybe_passivate_on_request();
  void maybe_drain_parked();
  bool is_poison(const std::string& key);
  caf::error recover_in_place();
  void add_send(StepRecord& rec, post_commit& pc, const std::string& to, std::string type,
                std::string payload, const std::string& correlation, const std::string& cause,
                bool wants_reply);
  bool crashed(const std::string& key, const std::string& what, const std::string& correlation);
  void restart_now();
  void drain_parked();
  void park(envelope_ptr env);

  // -- delivery (entity_delivery.cpp) -----------------------------------------------
  void pump(const std::string& receiver);
  void send_entry(outbox_entry& e);
  void arm_resend(int64_t at_ms);
  void send_ack(const std::string& to, const Ack& ack);
  /// A successful ack to an entity: just (our ref, seq).
  void send_plain_ack(const std::string& to, uint64_t seq);
  void handle_ack(const std::string& receiver, uint64_t seq, bool failed,
                  const std::string& error, bool drain_parked = true);
  void ack_duplicate(const Envelope& env, bool failed);
  void dead_letter_at_sender(outbox_entry e, const std::string& reason);
  mutation dead_letter_mutation(const Envelope& env, const std::string& reason,
                                const std::string& error, uint32_t attempts,
                                const std::string& where);
  void arm_timers();
  /// Arms durable timer `name` on the timer service (replacing an earlier arming of it).
  void arm_timer(const std::string& name, int64_t due_ms);
  /// Cancels the armed message of timer `name`, if any.
  void drop_timer(const std::string& name);
  void resume_after_recovery();
  int64_t backoff_ms(uint32_t attempts);

  caf::event_based_actor* self_;
  runtime_context& rt_;
  std::string ref_;
  uint32_t shard_;
  const entity_logic* logic_ = nullptr;
  active_entry_ptr entry_;
  entity_image img_;
  entity_mode mode_ = entity_mode::running;
  std::string broken_reason_;
  uint32_t snapshot_every_ = 0;

  std::vector<post_commit> pending_;  // FIFO of steps waiting for their commit
  size_t pending_head_ = 0;
  uint64_t next_token_ = 0;
  std::vector<std::string> acked_unrecorded_;
  std::vector<mutation> extra_muts_;  // dead letters riding on the next commit
  std::vector<envelope_ptr> parked_;
  std::unordered_map<std::string, std::map<uint64_t, envelope_ptr>> holdback_;
  struct crash_record {
    uint32_t count = 0;
    int64_t since_ms = 0;
    std::string error;
  };
  std::unordered_map<std::string, crash_record> crashes_;
  /// decide's view of this entity's outbox (decide_env::unacked_to): a send to `receiver`
  /// still waits for its ack. Captures this: entity_core lives behind a unique_ptr.
  std::function<bool(const std::string&)> unacked_to_ = [this](const std::string& receiver) {
    auto* ch = img_.mailbox.channel(receiver);
    return ch != nullptr && !ch->empty();
  };
  timer_handle resend_timer_;  // the armed resend tick (one at a time); cancelled when the
                               // outbox empties
  std::unordered_map<std::string, timer_handle> timer_handles_;  // armed durable timers
  /// The newest finished step asked for passivation; it happens once nothing is pending
  /// and the outbox is empty (maybe_passivate_on_request, after commits and acks).
  bool passivate_requested_ = false;
  int64_t reported_outbox_ = 0;  // this entity's share of counters().outbox_entries
  int64_t reported_waiting_ = 0;  // this entity's share of counters().inbound_waiting
  int64_t oldest_scanned_ms_ = 0;  // last scan for active_entry::oldest_unacked_ms
  std::minstd_rand rng_;
};

} // namespace sagaforge
