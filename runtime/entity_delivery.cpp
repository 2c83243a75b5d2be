// Delivery side of an entity (DESIGN §4): windows per (sender, receiver) channel, acks,
// resends with exponential backoff and jitter, dead letters when the retry policy gives up,
// and durable timers armed through the node's timer service (on CAF's clock, so tests can
// advance time).
#include <chrono>
#include <limits>

#include <spdlog/spdlog.h>

#include "caf/send.hpp"

#include "runtime/entity_core.hpp"
#include "runtime/failpoint.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/record_codec.hpp"
#include "runtime/local_envelope.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/messages.hpp"
#include "runtime/retry_policy.hpp"

namespace sagaforge {

int64_t entity_core::backoff_ms(uint32_t attempts) {
  auto& cfg = rt_.settings();
  auto base = retry_policy{cfg.retry_initial_backoff_ms, cfg.retry_max_backoff_ms}.base_delay_ms(
    attempts);
  // Jitter in [0.5, 1.5) x base, so resends after a restart do not arrive in lockstep.
  return base / 2 + static_cast<int64_t>(rng_() % static_cast<uint64_t>(base + 1));
}

void entity_core::pump(const std::string& receiver) {
  if (mode_ != entity_mode::running)
    return;  // after a restart, resume_after_recovery pumps every channel
  auto* ch = img_.mailbox.channel(receiver);
  if (!ch)
    return;
  int64_t in_flight = 0;
  auto window = rt_.settings().channel_window;
  auto now = rt_.now_ms();
  std::vector<outbox_entry> too_old;
  for (auto& [seq, e] : *ch) {
    if (!e.committed)
      break;  // later seqs committed later
    if (e.in_flight) {
      ++in_flight;
      continue;
    }
    if (now - e.env->created_at_ms() >= rt_.settings().retry_max_age_ms) {
      too_old.push_back(e);  // never (re)send past max age: de-dup records may be gone
      continue;
    }
    if (in_flight >= window)
      break;
    send_entry(e);
    ++in_flight;
  }
  for (auto& e : too_old)
    dead_letter_at_sender(std::move(e), "max_age");
  if (!too_old.empty())
    pump(receiver);
}

void entity_core::maybe_drain_parked() {
  if (mode_ == entity_mode::running && !parked_.empty()
      && static_cast<int64_t>(img_.mailbox.outbox_size()) < rt_.settings().outbox_max / 2 + 1)
    drain_parked();
}

void entity_core::send_entry(outbox_entry& e) {
  e.in_flight = true;
  if (e.shared)  // the receiver may still be reading the copy it got
    e.env = std::make_shared<Envelope>(*e.env);
  e.env->set_attempt(e.attempts + 1);
  if (auto* ch = img_.mailbox.channel(e.env->receiver()))
    e.env->set_channel_floor(ch->begin()->first);
  e.shared = true;
  auto now = rt_.now_ms();
  if (!rt_.route(e.env->receiver(), caf::make_message(deliver_atom::value, envelope_ptr{e.env}),
                 true)) {
    // Held: nothing could take it (the receiver's node is unreachable). Not an attempt: a
    // node down for ten minutes must not dead-letter its senders' messages; only
    // retry.max-age-ms bounds the wait (docs/semantics.md, "Held sends").
    rt_.counters().held_sends++;
    e.next_attempt_ms = now + rt_.settings().cluster_held_recheck_ms;
    arm_resend(e.next_attempt_ms);
    return;
  }
  e.attempts++;
  if (e.attempts > 1)
    rt_.counters().resends++;
  e.next_attempt_ms = now + backoff_ms(e.attempts);
  arm_resend(e.next_attempt_ms);
}

void entity_core::arm_resend(int64_t at_ms) {
  // One timer per entity at a time: the tick re-arms for the next due entry. (Arming per
  // send cost a clock-thread hand-off per step; a resend may now be up to one tick late.)
  if (resend_timer_)
    return;
  resend_timer_ = rt_.timers().schedule(at_ms, caf::actor_cast<caf::strong_actor_ptr>(self_),
                                        caf::make_message(resend_atom::value));
}

void entity_core::on_resend_tick() {
  resend_timer_.reset();
  if (mode_ != entity_mode::running)
    return;
  auto& cfg = rt_.settings();
  auto now = rt_.now_ms();
  int64_t next = std::numeric_limits<int64_t>::max();
  std::vector<std::pair<outbox_entry, std::string>> expired;
  for (auto& [receiver, ch] : img_.mailbox.outbox()) {
    for (auto& [seq, e] : ch) {
      if (!e.in_flight)
        break;  // in-flight entries are a prefix of the channel: the rest wait for the window
      if (e.next_attempt_ms <= now) {
        if (static_cast<int64_t>(e.attempts) >= cfg.retry_max_attempts)
          expired.emplace_back(e, "max_attempts");
        else if (now - e.env->created_at_ms() >= cfg.retry_max_age_ms)
          expired.emplace_back(e, "max_age");
        else
          send_entry(e);
      }
      next = std::min(next, e.next_attempt_ms);
    }
  }
  std::vector<std::string> receivers;
  for (auto& [e, reason] : expired) {
    if (mode_ != entity_mode::running)
      break;  // a crash handling a failure: the rest are found again after the restart
    receivers.push_back(e.env->receiver());
    dead_letter_at_sender(std::move(e), reason);
  }
  for (auto& r : receivers)
    pump(r);  // entries waiting behind the window may go now
  // Ticks at least 20 ms apart: under a scheduling stall every entry is overdue at once, and
  // ticking per millisecond starved the receivers whose acks would end the stall.
  if (next != std::numeric_limits<int64_t>::max() && img_.mailbox.outbox_size() > 0)
    arm_resend(std::max(next, now + 20));
  maybe_drain_parked();
  update_pinned();
}

mutation entity_core::dead_letter_mutation(const Envelope& env, const std::string& reason,
                                           const std::string& error, uint32_t attempts,
                                           const std::string& where) {
  DeadLetter dl;
  dl.set_id(rt_.next_dead_letter_id());
  *dl.mutable_envelope() = env;
  dl.set_reason(reason);
  dl.set_last_error(error);
  dl.set_attempts(attempts);
  dl.set_at_ms(rt_.now_ms());
  dl.set_where(where);
  rt_.counters().dead_letters++;
  rt_.counters().dead_letters_by_reason[dead_letter_reason_index(reason)]++;
  return mutation{table::dead_letters, id_key(dl.id()), encode_dead_letter(dl), false};
}

void entity_core::dead_letter_at_sender(outbox_entry e, const std::string& reason) {
  auto removed = img_.mailbox.remove(e.env->receiver(), e.env->channel_seq());
  if (!removed)
    return;
  spdlog::warn("[{}] ({}) gave up delivering {} to {} after {} attempts ({}); dead-lettered",
               ref_, e.env->correlation_id(), e.env->id(), e.env->receiver(), e.attempts, reason);
  extra_muts_.push_back(dead_letter_mutation(*e.env, reason, "no ack from the receiver",
                                             e.attempts, "sender"));
  DeliveryFailed df;
  df.set_envelope_id(e.env->id());
  df.set_receiver(e.env->receiver());
  df.set_type(e.env->type());
  df.set_payload(e.env->payload());
  df.set_reason(reason);
  df.set_last_error("no ack from the receiver");
  df.set_attempts(e.attempts);
  internal_input in;
  in.key = "failed:" + e.env->id();
  in.type = type_name_of<DeliveryFailed>();
  in.payload = df.SerializeAsString();
  in.acked.push_back(e.env->id());
  in.correlation_id = e.env->correlation_id();
  run_internal(in);
}

void entity_core::on_ack(const std::string& bytes) {
  Ack ack;
  if (!ack.ParseFromString(bytes)) {
    rt_.counters().invalid_envelopes++;
    spdlog::error("[{}] dropped an ack that does not parse ({} bytes)", ref_, bytes.size());
    return;
  }
  if (mode_ == entity_mode::retired) {
    rt_.route(ref_, caf::make_message(ack_atom::value, bytes), false);
    return;
  }
  handle_ack(ack.receiver(), ack.channel_seq(), ack.failed(), ack.error());
}

void entity_core::on_plain_ack(const std::string& receiver, uint64_t seq) {
  if (mode_ == entity_mode::retired) {
    rt_.route(ref_, caf::make_message(acked_atom::value, receiver, seq), false);
    return;
  }
  handle_ack(receiver, seq, false, {});
}

void entity_core::handle_ack(const std::string& receiver, uint64_t seq, bool failed,
                             const std::string& error, bool drain_parked) {
  if (failed && mode_ != entity_mode::running)
    return;  // after the restart the resend earns the same failed ack again
  auto e = img_.mailbox.remove(receiver, seq);
  if (!e)
    return;  // a duplicate ack
  SAGAFORGE_FAILPOINT(failpoint::ack_received);  // gone from memory, not yet recorded
  if (img_.mailbox.outbox_size() == 0 && resend_timer_) {  // nothing left to resend
    rt_.timers().cancel(resend_timer_);
    resend_timer_.reset();
  }
  if (!failed) {
    acked_unrecorded_.push_back(e->env->id());
  } else {
    DeliveryFailed df;
    df.set_envelope_id(e->env->id());
    df.set_receiver(e->env->receiver());
    df.set_type(e->env->type());
    df.set_payload(e->env->payload());
    auto colon = error.find(':');
    auto reason = colon == std::string::npos ? std::string{} : error.substr(0, colon);
    df.set_reason(reason == "poison" || reason == "invalid" ? reason : "undeliverable");
    df.set_last_error(error);
    df.set_attempts(e->attempts);
    internal_input in;
    in.key = "failed:" + e->env->id();
    in.type = type_name_of<DeliveryFailed>();
    in.payload = df.SerializeAsString();
    in.acked.push_back(e->env->id());  // recorded with the step that handles the failure
    in.correlation_id = e->env->correlation_id();
    run_internal(in);
  }
  pump(receiver);
  if (drain_parked) {  // not while an envelope is being handled (a piggybacked ack)
    maybe_drain_parked();
    maybe_passivate_on_request();  // the last unacked envelope of a finished entity
  }
  update_pinned();
}

void entity_core::send_ack(const std::string& to, const Ack& ack) {
  // Between entities a successful ack is just (receiver, seq): no Protobuf round trip.
  // Clients get the whole Ack (it carries decide's reply or rejection), failures the error.
  if (!ack.failed() && !is_client_ref(to))
    return send_plain_ack(to, ack.channel_seq());
  rt_.route(to, caf::make_message(ack_atom::value, ack.SerializeAsString()), false);
}

void entity_core::send_plain_ack(const std::string& to, uint64_t seq) {
  rt_.route(to, caf::make_message(acked_atom::value, ref_, seq), false);
}

void entity_core::ack_duplicate(const Envelope& env, bool failed) {
  Ack a;
  a.set_sender(env.sender());
  a.set_receiver(ref_);
  a.set_channel_seq(env.channel_seq());
  a.set_failed(failed);
  if (failed)
    a.set_error("dead-lettered at the receiver earlier");
  if (pending_head_ < pending_.size())
    pending_.back().extra_acks.push_back(std::move(a));  // the original may still commit
  else
    send_ack(env.sender(), a);
}

void entity_core::arm_timers() {
  for (auto& [name, t] : img_.mailbox.timers())
    arm_timer(name, t.due_ms());
}

void entity_core::arm_timer(const std::string& name, int64_t due_ms) {
  auto& handle = timer_handles_[name];
  rt_.timers().cancel(handle);
  handle = rt_.timers().schedule(due_ms, caf::actor_cast<caf::strong_actor_ptr>(self_),
                                 caf::make_message(timer_atom::value, name, due_ms));
}

void entity_core::drop_timer(const std::string& name) {
  if (auto i = timer_handles_.find(name); i != timer_handles_.end()) {
    rt_.timers().cancel(i->second);
    timer_handles_.erase(i);
  }
}

void entity_core::on_timer(const std::string& name, int64_t due_ms) {
  if (mode_ != entity_mode::running)
    return;  // re-armed from the durable state after restart or re-activation
  auto& timers = img_.mailbox.timers();
  auto i = timers.find(name);
  if (i == timers.end() || i->second.due_ms() != due_ms)
    return;  // cancelled or replaced since it was armed
  timer_handles_.erase(name);  // it fired: nothing left to cancel
  internal_input in;
  in.key = "timer:" + name;
  in.type = i->second.type();
  in.payload = i->second.payload();
  in.timer_fired = name;
  run_internal(in);
}

void entity_core::run_internal(const internal_input& in) {
  if (is_poison(in.key)) {
    auto error = crashes_[in.key].error;
    crashes_.erase(in.key);
    consume_as_poison(nullptr, &in, error);
    return;
  }
  inbound ib{in.type, in.payload, "", in.key, in.correlation_id, false};
  run_step(ib, nullptr, &in, in.key);
}

void entity_core::resume_after_recovery() {
  arm_timers();
  std::vector<std::string> receivers;
  for (auto& [receiver, ch] : img_.mailbox.outbox()) {
    for (auto& [seq, e] : ch) {
      e.committed = true;
      e.in_flight = false;
    }
    receivers.push_back(receiver);
  }
  for (auto& r : receivers)
    pump(r);
  update_pinned();
}

void entity_core::update_pinned() {
  entry_->pinned.store(pending_head_ < pending_.size() || img_.mailbox.outbox_size() > 0,
                       std::memory_order_relaxed);
  // The node-wide outbox backlog gauge: each entity adds the change of its own size.
  auto size = static_cast<int64_t>(img_.mailbox.outbox_size());
  if (size != reported_outbox_) {
    rt_.counters().outbox_entries += static_cast<uint64_t>(size - reported_outbox_);
    reported_outbox_ = size;
  }
  report_waiting();
  update_oldest_unacked();
}

void entity_core::report_waiting() {
  // The node-wide mailbox depth gauge, kept like the outbox one: each entity adds its change.
  auto waiting = static_cast<int64_t>(parked_.size());
  for (auto& [sender, held] : holdback_)
    waiting += static_cast<int64_t>(held.size());
  if (waiting != reported_waiting_) {
    rt_.counters().inbound_waiting += static_cast<uint64_t>(waiting - reported_waiting_);
    reported_waiting_ = waiting;
  }
}

void entity_core::update_oldest_unacked() {
  // The outbox lag gauge (directory::oldest_unacked_ms). The scan is O(receivers), so a busy
  // entity rescans at most once a second: the gauge is for minutes-old envelopes.
  if (img_.mailbox.outbox_size() == 0) {
    entry_->oldest_unacked_ms.store(0, std::memory_order_relaxed);
    return;
  }
  auto now = rt_.now_ms();
  if (entry_->oldest_unacked_ms.load(std::memory_order_relaxed) != 0
      && now - oldest_scanned_ms_ < 1000)
    return;
  oldest_scanned_ms_ = now;
  int64_t oldest = now;
  for (auto& [receiver, entries] : img_.mailbox.outbox())
    if (!entries.empty())
      oldest = std::min(oldest, entries.begin()->second.env->created_at_ms());
  entry_->oldest_unacked_ms.store(std::max<int64_t>(oldest, 1), std::memory_order_relaxed);
}

entity_core::~entity_core() {
  rt_.counters().outbox_entries -= static_cast<uint64_t>(reported_outbox_);
  rt_.counters().inbound_waiting -= static_cast<uint64_t>(reported_waiting_);
  // The actor may serve another entity next (directory::recycle): this one's armed
  // messages must not reach it.
  rt_.timers().cancel(resend_timer_);
  for (auto& [name, handle] : timer_handles_)
    rt_.timers().cancel(handle);
}

} // namespace sagaforge
