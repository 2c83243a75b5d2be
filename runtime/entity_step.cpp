// The step (DESIGN §3): classify the envelope, decide, build one StepRecord, submit it to
// the group commit, and queue the post-commit effects. Also supervision: a throwing decide
// restarts the entity from its last committed state; after max-restarts crashes on the same
// input within the window the input is poison and is dead-lettered instead.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "runtime/entity_core.hpp"
#include "runtime/failpoint.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/messages.hpp"
#include "runtime/record_codec.hpp"

namespace sagaforge {

namespace {

const std::string& empty_string() {
  static const std::string empty;
  return empty;
}

/// Why an envelope cannot be attributed to one of our channels ("" when it can). Such an
/// envelope is dropped: there is no channel to consume it on and no one to answer.
std::string unattributable(const Envelope& env, const std::string& self) {
  if (env.receiver() != self)
    return "addressed to '" + env.receiver() + "'";
  if (auto err = validate_ref(env.sender()))
    return "bad sender: " + describe(err);
  if (env.channel_seq() == 0)
    return "channel_seq is 0";
  return {};
}

/// Why an attributable envelope's content is unacceptable ("" when it is fine). Such an
/// envelope is consumed as failed, so its channel moves on and its sender is told.
std::string invalid_content(const Envelope& env, int64_t max_payload) {
  if (env.type().empty() || env.type().size() > 256)
    return "no payload type, or a type name over 256 characters";
  if (static_cast<int64_t>(env.payload().size()) > max_payload)
    return "payload of " + std::to_string(env.payload().size()) + " bytes exceeds the limit";
  return {};
}

/// What decide produced that the runtime refuses to persist (a bug in decide: treated as a
/// crash, so it ends as poison instead of looping).
std::string check_effects(const effects& fx, const runtime_settings& cfg) {
  if (fx.rejection && !fx.events.empty())
    return "decide rejected the command and recorded events";
  if (static_cast<int64_t>(fx.events.size()) > cfg.max_events_per_step)
    return "decide recorded " + std::to_string(fx.events.size()) + " events (limit "
           + std::to_string(cfg.max_events_per_step) + ")";
  if (static_cast<int64_t>(fx.sends.size()) > cfg.max_sends_per_step)
    return "decide sent " + std::to_string(fx.sends.size()) + " messages (limit "
           + std::to_string(cfg.max_sends_per_step) + ")";
  for (auto& s : fx.sends) {
    if (auto err = validate_ref(s.to); err || is_client_ref(s.to))
      return "send to an invalid ref '" + s.to + "'";
    if (static_cast<int64_t>(s.msg.payload.size()) > cfg.max_payload_bytes)
      return "send of " + std::to_string(s.msg.payload.size()) + " bytes exceeds the limit";
  }
  for (auto& t : fx.timers_set)
    if (t.name.empty() || t.delay_ms < 0)
      return "timer with an empty name or a negative delay";
  return {};
}

} // namespace

bool entity_core::is_stale(const Envelope& env) {
  // A channel's de-dup record goes only after the channel was idle for the retention, so any
  // copy of this envelope processed here left a record that lives at least until
  // created_at + retention. Past that, a copy (delayed in flight across a long pause) may be a
  // duplicate nothing can recognise: it is dropped unacked. Its sender stopped resending at
  // retry.max-age-ms (which the retention exceeds) and dead-lettered it: outcome unknown.
  auto age = rt_.now_ms() - env.created_at_ms();
  if (env.created_at_ms() <= 0 || age < rt_.settings().dedup_retention_ms)
    return false;
  rt_.counters().stale_envelopes++;
  spdlog::warn("[{}] ({}) dropped envelope '{}' from {} (seq {}): {} ms old, past "
               "retry.dedup-retention-ms; its sender has dead-lettered it",
               ref_, env.correlation_id(), env.id(), env.sender(), env.channel_seq(), age);
  return true;
}

bool entity_core::handle_envelope(const envelope_ptr& ptr) {
  const Envelope& env = *ptr;
  if (auto what = unattributable(env, ref_); !what.empty()) {
    rt_.counters().invalid_envelopes++;
    spdlog::error("[{}] dropped envelope '{}': {}", ref_, env.id(), what);
    return false;
  }
  if (env.acks_seq() != 0 && !is_client_ref(env.sender()))
    handle_ack(env.sender(), env.acks_seq(), false, {}, false);  // see Envelope.acks_seq
  switch (img_.mailbox.classify(env.sender(), env.channel_seq(), env.channel_floor())) {
    case inbound_verdict::duplicate:
    case inbound_verdict::duplicate_failed: {
      rt_.counters().duplicates++;
      bool failed = img_.mailbox.classify(env.sender(), env.channel_seq())
                    == inbound_verdict::duplicate_failed;
      ack_duplicate(env, failed);
      return false;
    }
    case inbound_verdict::hold: {
      auto& hb = holdback_[env.sender()];
      if (static_cast<int64_t>(hb.size()) < rt_.settings().holdback_max)
        hb.emplace(env.channel_seq(), ptr);
      report_waiting();
      return false;  // beyond the bound: dropped unacked, the sender resends
    }
    case inbound_verdict::process:
      break;
  }
  if (is_stale(env))
    return false;
  if (auto what = invalid_content(env, rt_.settings().max_payload_bytes); !what.empty()) {
    rt_.counters().invalid_envelopes++;
    spdlog::error("[{}] ({}) refused envelope '{}': {}", ref_, env.correlation_id(), env.id(),
                  what);
    consume_as_poison(&env, nullptr, what, "invalid");
    return true;
  }
  process_envelope(ptr);
  return true;
}

void entity_core::drain_holdback(const std::string& sender) {
  while (mode_ == entity_mode::running && !outbox_full()) {
    auto i = holdback_.find(sender);
    if (i == holdback_.end())
      return;
    auto& hb = i->second;
    while (!hb.empty() && img_.mailbox.classify(sender, hb.begin()->first)
                            != inbound_verdict::hold
           && img_.mailbox.classify(sender, hb.begin()->first) != inbound_verdict::process)
      hb.erase(hb.begin());  // resent copies of what was processed meanwhile
    if (hb.empty()) {
      holdback_.erase(i);
      return;
    }
    if (img_.mailbox.classify(sender, hb.begin()->first) != inbound_verdict::process)
      return;
    auto next = std::move(hb.begin()->second);
    hb.erase(hb.begin());
    if (hb.empty())
      holdback_.erase(i);
    handle_envelope(next);
  }
}

bool entity_core::is_poison(const std::string& key) {
  auto c = crashes_.find(key);
  return c != crashes_.end() && static_cast<int64_t>(c->second.count) >= rt_.settings().max_restarts
         && rt_.now_ms() - c->second.since_ms <= rt_.settings().restart_window_ms;
}

void entity_core::process_envelope(const envelope_ptr& env) {
  if (is_poison(env->id())) {
    auto error = crashes_[env->id()].error;
    crashes_.erase(env->id());
    consume_as_poison(env.get(), nullptr, error);
    return;
  }
  inbound in{env};
  run_step(in, env.get(), nullptr, in.envelope_id());
}

bool entity_core::crashed(const std::string& key, const std::string& what,
                          const std::string& correlation) {
  rt_.counters().crashes++;
  auto now = rt_.now_ms();
  auto& c = crashes_[key];
  if (c.count == 0 || now - c.since_ms > rt_.settings().restart_window_ms) {
    c.count = 0;
    c.since_ms = now;
  }
  ++c.count;
  c.error = what;
  extra_muts_.clear();  // dead letters of the failed step did not happen
  spdlog::error("[{}] ({}) crashed on '{}' ({} of {}): {}; restarting from the last "
                "committed state",
                ref_, correlation, key, c.count, rt_.settings().max_restarts, what);
  mode_ = entity_mode::restarting;
  return true;
}

bool entity_core::run_step(const inbound& in, const Envelope* src, const internal_input* internal,
                           const std::string& crash_key) {
  auto& cfg = rt_.settings();
  effects fx;
  decide_env env{ref_, rt_.now_ms(), &unacked_to_};
  std::string failure;
  try {
    logic_->decide(*img_.state, in, env, fx);
    failure = check_effects(fx, cfg);
    if (failure.empty())
      for (auto& ev : fx.events)
        logic_->apply(*img_.state, *ev);  // a throwing apply restarts from the store too
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    crashed(crash_key, failure, in.correlation_id());
    if (src)  // redelivered after the restart
      parked_.insert(parked_.begin(), in.envelope());
    if (pending_head_ == pending_.size())
      restart_now();
    return false;
  }
  if (!crashes_.empty())
    crashes_.erase(crash_key);  // it went through this time
  StepRecord rec;
  rec.set_at_ms(env.now_ms);
  post_commit pc;
  if (src) {
    rec.set_inbound_sender(src->sender());
    rec.set_inbound_seq(src->channel_seq());
    pc.ack_to = src->sender();
    pc.ack_seq = src->channel_seq();
  }
  if (internal) {
    for (auto& id : internal->acked)
      rec.add_acked(id);
    if (!internal->timer_fired.empty())
      rec.add_timers_cancelled(internal->timer_fired);
  }
  if (!fx.events.empty())
    rec.set_first_event_seq(img_.event_seq + 1);
  for (auto& ev : fx.events) {
    rec.add_events(ev->SerializeAsString());
    ++img_.event_seq;
  }
  const auto& correlation = src ? in.correlation_id()
                                : (internal ? internal->correlation_id : empty_string());
  const auto& cause = src ? in.envelope_id() : crash_key;
  bool to_client = src && is_client_ref(src->sender());
  if (to_client) {
    pc.full_ack = std::make_unique<Ack>();
    pc.full_ack->set_sender(src->sender());
    pc.full_ack->set_receiver(ref_);
    pc.full_ack->set_channel_seq(src->channel_seq());
  }
  if (src && fx.reply) {
    if (to_client) {
      pc.full_ack->set_reply_type(std::move(fx.reply->type));
      pc.full_ack->set_reply_payload(std::move(fx.reply->payload));
    } else {
      add_send(rec, pc, src->sender(), std::move(fx.reply->type), std::move(fx.reply->payload),
               correlation, cause, false);
    }
  }
  if (fx.rejection) {
    spdlog::debug("[{}] rejected {} ({}): {}", ref_, in.type(), correlation, *fx.rejection);
    if (to_client) {
      pc.full_ack->set_reply_error(*fx.rejection);
    } else if (src) {
      Rejected rj;
      rj.set_reason(*fx.rejection);
      rj.set_command_type(in.type());
      rj.set_envelope_id(in.envelope_id());
      add_send(rec, pc, src->sender(), type_name_of<Rejected>(), rj.SerializeAsString(),
               correlation, cause, false);
    }
  }
  for (auto& s : fx.sends)
    add_send(rec, pc, s.to, std::move(s.msg.type), std::move(s.msg.payload),
             s.correlation_id.empty() ? correlation : s.correlation_id, cause, false);
  for (auto& name : fx.timers_cancelled) {
    rec.add_timers_cancelled(name);
    pc.timers_dropped.push_back(std::move(name));
  }
  for (auto& t : fx.timers_set) {
    auto* te = rec.add_timers_set();
    te->set_name(t.name);
    te->set_due_ms(env.now_ms + t.delay_ms);
    te->set_type(std::move(t.msg.type));
    te->set_payload(std::move(t.msg.payload));
    pc.timers.push_back(t.name);
  }
  pc.passivate_after = fx.passivate;
  commit(rec, std::move(pc));
  rt_.counters().steps++;
  spdlog::debug("[{}] step {} ({}): {} events, {} sends", ref_, in.type(), correlation,
                fx.events.size(), fx.sends.size());
  return true;
}

void entity_core::add_send(StepRecord& rec, post_commit& pc, const std::string& to,
                           std::string type, std::string payload, const std::string& correlation,
                           const std::string& cause, bool wants_reply) {
  auto seq = img_.mailbox.next_seq(to);
  auto* env = rec.add_outbox();
  if (pc.ack_rides_on == 0 && !pc.full_ack && !pc.ack_to.empty() && to == pc.ack_to) {
    env->set_acks_seq(pc.ack_seq);  // usually sent right after the commit, like the ack
    pc.ack_rides_on = seq;
  }
  // id and sender are left for commit to fill in after encoding, and a causation that is the
  // inbound envelope's id is left out entirely: the stored record derives them
  // (restore_outbox_fields), so they cost no bytes on disk.
  env->set_correlation_id(correlation);
  if (!derived_causation(rec, ref_, cause))
    env->set_causation_id(cause);
  env->set_receiver(to);
  env->set_type(std::move(type));
  env->set_payload(std::move(payload));
  env->set_created_at_ms(rec.at_ms());
  env->set_channel_seq(seq);
  env->set_wants_reply(wants_reply);
}

void entity_core::consume_as_poison(const Envelope* src, const internal_input* internal,
                                    const std::string& error, const std::string& reason) {
  StepRecord rec;
  rec.set_at_ms(rt_.now_ms());
  post_commit pc;
  if (src) {
    rec.set_inbound_sender(src->sender());
    rec.set_inbound_seq(src->channel_seq());
    rec.set_inbound_failed(true);
    pc.ack_to = src->sender();
    pc.ack_seq = src->channel_seq();
    pc.full_ack = std::make_unique<Ack>();
    pc.full_ack->set_sender(src->sender());
    pc.full_ack->set_receiver(ref_);
    pc.full_ack->set_channel_seq(src->channel_seq());
    pc.full_ack->set_failed(true);
    pc.full_ack->set_error(reason + ": " + error);
    extra_muts_.push_back(dead_letter_mutation(*src, reason, error,
                                               reason == "poison" ? rt_.settings().max_restarts : 1,
                                               "receiver"));
  } else if (internal) {
    for (auto& id : internal->acked)
      rec.add_acked(id);
    if (!internal->timer_fired.empty())
      rec.add_timers_cancelled(internal->timer_fired);
    Envelope env;
    env.set_id(internal->key);
    env.set_sender(ref_);
    env.set_receiver(ref_);
    env.set_type(internal->type);
    env.set_payload(internal->payload);
    env.set_correlation_id(internal->correlation_id);
    extra_muts_.push_back(dead_letter_mutation(env, "poison", error,
                                               rt_.settings().max_restarts, "receiver"));
  }
  spdlog::warn("[{}] ({}) dead-lettered {} input '{}': {}", ref_,
               src ? src->correlation_id() : internal->correlation_id, reason,
               src ? src->id() : internal->key, error);
  commit(rec, std::move(pc));
}

void entity_core::commit(StepRecord& rec, post_commit pc) {
  SAGAFORGE_FAILPOINT(failpoint::step_before_submit);  // decided, de-dup record not yet written
  for (auto& id : acked_unrecorded_) {
    shorten_acked_id(id, ref_);  // the record header holds the ref
    rec.add_acked(std::move(id));
  }
  acked_unrecorded_.clear();
  img_.mailbox.apply_except_outbox(rec, true);
  ++img_.records_since_snapshot;  // also with snapshots off: passivation needs to know
  // Judged on the records before this one: this one's size is known only once encoded.
  // A step that asks for passivation and leaves nothing to deliver takes its final snapshot
  // along, so passivating after its commit needs no second commit round. Not when an earlier
  // step still in flight asked too: a settled entity queried in a burst would otherwise write
  // a snapshot per query (it writes at most two).
  bool with_snapshot = snapshot_due(img_, snapshot_every_)
                       || (pc.passivate_after && rec.outbox_size() == 0
                           && img_.mailbox.outbox_size() == 0 && parked_.empty()
                           && holdback_.empty() && !passivation_snapshot_in_flight());
  if (with_snapshot)
    for (auto& gone : img_.mailbox.expire_channels(rec.at_ms(),
                                                   rt_.settings().dedup_retention_ms))
      rec.add_channels_expired(gone);
  auto seq = rt_.next_log_seq(shard_);
  std::vector<mutation> muts;
  muts.reserve(2 + extra_muts_.size());
  muts.push_back(mutation{table::log, log_key(shard_, seq),
                          encode_log_value(work_after(rec.outbox_size() > 0), ref_, rec),
                          false});
  img_.log_bytes_since_snapshot += muts.back().value.size();
  restore_outbox_fields(rec, ref_);
  img_.mailbox.take_outbox(rec, pc.sends);  // not sendable before its commit
  img_.last_log_seq = seq;
  pc.log_seq = seq;
  if (with_snapshot)
    muts.push_back(snapshot_mutation());
  for (auto& m : extra_muts_)
    muts.push_back(std::move(m));
  extra_muts_.clear();
  submit(std::move(muts), std::move(pc));
}

bool entity_core::passivation_snapshot_in_flight() const {
  return std::any_of(pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_), pending_.end(),
                     [](const post_commit& p) { return p.passivate_after; });
}

record_work entity_core::work_after(bool sends_pending) {
  record_work w;
  w.deliver = sends_pending || img_.mailbox.outbox_size() > 0;
  for (auto& [name, t] : img_.mailbox.timers())
    w.wake_ms = w.wake_ms == 0 ? t.due_ms() : std::min(w.wake_ms, t.due_ms());
  return w;
}

mutation entity_core::snapshot_mutation() {
  EntitySnapshot snap;
  snap.set_entity(ref_);
  snap.set_state(img_.state->SerializeAsString());
  snap.set_event_seq(img_.event_seq);
  snap.set_covered_log_seq(img_.last_log_seq);
  snap.set_at_ms(rt_.now_ms());
  img_.mailbox.save(snap);
  img_.covered_log_seq = img_.last_log_seq;
  img_.records_since_snapshot = 0;
  mutation m{table::snapshots, ref_, encode_snapshot_value(work_after(), snap), false};
  img_.log_bytes_since_snapshot = 0;
  img_.snapshot_bytes = m.value.size();
  return m;
}

void entity_core::submit(std::vector<mutation> muts, post_commit pc) {
  pc.token = ++next_token_;
  auto token = pc.token;
  pending_.push_back(std::move(pc));
  update_pinned();
  entry_->pinned.store(true, std::memory_order_relaxed);
  rt_.pipeline().submit(std::move(muts), caf::actor_cast<caf::actor>(self_), token);
}

void entity_core::restart_now() {
  if (auto err = recover_in_place()) {
    break_down(describe(err));
    return;
  }
  for (auto& id : acked_unrecorded_) {  // acks received live stay received
    std::string receiver;
    uint64_t seq = 0;
    if (parse_envelope_id(id, receiver, seq))
      img_.mailbox.remove(receiver, seq);
  }
  mode_ = entity_mode::running;
  resume_after_recovery();
  drain_parked();
}

void entity_core::park(envelope_ptr env) {
  if (static_cast<int64_t>(parked_.size()) >= rt_.settings().parked_max) {
    rt_.counters().dropped_busy++;  // unacked: the sender's outbox resends it later
    return;
  }
  parked_.push_back(std::move(env));
  report_waiting();
}

void entity_core::drain_parked() {
  auto items = std::move(parked_);
  parked_.clear();
  size_t i = 0;
  for (; i < items.size(); ++i) {
    if (mode_ != entity_mode::running || outbox_full())
      break;
    if (handle_envelope(items[i]) && !holdback_.empty())
      drain_holdback(items[i]->sender());
  }
  for (; i < items.size(); ++i)
    parked_.push_back(std::move(items[i]));
  report_waiting();
}

bool entity_core::outbox_full() const {
  return static_cast<int64_t>(img_.mailbox.outbox_size()) >= rt_.settings().outbox_max;
}

void entity_core::break_down(const std::string& why) {
  mode_ = entity_mode::broken;
  broken_reason_ = why;
  rt_.counters().recovery_failures++;
  spdlog::error("[{}] cannot run: {}. Its messages stay unacknowledged in their senders' "
                "outboxes; nothing is reset.",
                ref_, why);
}

} // namespace sagaforge
