// The entity actor's CAF face: construction, activation (recovery), message dispatch,
// commit notifications, passivation hand-over and inspection.
#include "runtime/entity_actor.hpp"
#include "runtime/failpoint.hpp"

#include <spdlog/spdlog.h>

#include "caf/all.hpp"

#include "runtime/entity_core.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/entity_report.hpp"
#include "runtime/errors.hpp"
#include "runtime/messages.hpp"
#include "runtime/record_codec.hpp"

// The directory's bookkeeping of an entity, handed to a recycled actor with its next entity
// (adopt_atom); never leaves the node.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sagaforge::active_entry_ptr)

namespace sagaforge {

namespace {

struct entity_actor_state {
  static inline const char* name = "sagaforge.entity";
  std::unique_ptr<entity_core> core;  // null while the actor waits idle for its next entity
};

/// The entity an actor currently serves, for its exit handler (empty while idle).
struct incarnation {
  std::string ref;
  active_entry_ptr entry;
};

using entity_self = caf::stateful_actor<entity_actor_state>*;

void adopt(entity_self self, runtime_context& rt, incarnation& inc, std::string ref,
           uint64_t last_log_seq, active_entry_ptr entry) {
  if (self->state.core) {  // the directory hands out idle actors only: a bug if it happens
    spdlog::critical("[{}] asked to take over {} while still active; refused", inc.ref, ref);
    return;
  }
  inc.ref = ref;
  inc.entry = entry;
  self->state.core = std::make_unique<entity_core>(self, rt, std::move(ref), last_log_seq,
                                                   std::move(entry));
  self->state.core->start();
}

/// The final passivation marker: everything sent to this incarnation before it retired
/// has been handled, so the actor may serve another entity.
void end_incarnation(entity_self self, runtime_context& rt, incarnation& inc) {
  self->state.core.reset();
  inc = incarnation{};
  if (!rt.dir().recycle(caf::actor_cast<caf::actor>(self)))
    self->quit();
}

caf::behavior entity_behavior(entity_self self, runtime_context* rt, std::string ref,
                              uint64_t last_log_seq, active_entry_ptr entry) {
  auto inc = std::make_shared<incarnation>();
  // An abnormal exit (an exception escaping a handler) must not leave a dead mailbox in
  // the directory; normal exits have retired already, so this is a no-op for them.
  self->attach_functor([dir = rt->dir_weak(), inc, addr = self->address()] {
    if (auto d = dir.lock(); d && inc->entry)
      d->retire(inc->ref, addr, inc->entry->durable_log_seq.load(), activation_end::crashed);
  });
  adopt(self, *rt, *inc, std::move(ref), last_log_seq, std::move(entry));
  // While idle (no core) the actor drops what reaches it: only messages addressed to its
  // handle directly can (timer firings, sweeper requests, inspections), never routed ones.
  auto core = [self] { return self->state.core.get(); };
  return {
    [=](deliver_atom, envelope_ptr& env) {
      if (auto* c = core())
        c->on_deliver(std::move(env));
    },
    [=](deliver_atom, const std::string& bytes) {
      if (auto* c = core())
        c->on_deliver(bytes);
    },
    [=](ack_atom, const std::string& bytes) {
      if (auto* c = core())
        c->on_ack(bytes);
    },
    [=](acked_atom, const std::string& receiver, uint64_t seq) {
      if (auto* c = core())
        c->on_plain_ack(receiver, seq);
    },
    [=](committed_atom, uint64_t token) {
      if (auto* c = core())
        c->on_committed(token);
    },
    [=](commit_failed_atom, uint64_t token) {
      if (auto* c = core())
        c->on_commit_failed(token);
    },
    [=](resend_atom) {
      if (auto* c = core())
        c->on_resend_tick();
    },
    [=](timer_atom, const std::string& name, int64_t due) {
      if (auto* c = core())
        c->on_timer(name, due);
    },
    [=](passivate_atom) {
      if (auto* c = core())
        c->on_passivate();
    },
    [=](passivate_atom, uint64_t activation) {  // the sweeper's: meant for that activation
      if (auto* c = core(); c && c->activation() == activation)
        c->on_passivate();
    },
    [=](retired_atom) {
      if (core())
        end_incarnation(self, *rt, *inc);
    },
    [=](adopt_atom, std::string& ref, uint64_t last, active_entry_ptr& entry) {
      adopt(self, *rt, *inc, std::move(ref), last, std::move(entry));
    },
    [=](wake_atom) {},
    [=](settle_atom) {
      if (auto* c = core())
        c->on_settle();
    },
    [=](snapshot_atom) -> caf::result<bool> {
      if (auto* c = core())
        return c->on_shutdown_snapshot();
      return true;
    },
    [=](inspect_atom) -> std::string {
      if (auto* c = core())
        return c->report().SerializeAsString();
      EntityReport r;
      r.set_mode("idle");
      return r.SerializeAsString();
    },
  };
}

} // namespace

caf::actor spawn_entity(runtime_context& rt, const std::string& ref, uint64_t last_log_seq,
                        active_entry_ptr entry, caf::actor idle) {
  if (idle) {
    idle->enqueue(nullptr, caf::make_message_id(),
                  caf::make_message(adopt_atom::value, ref, last_log_seq, std::move(entry)),
                  nullptr);
    return idle;
  }
  return rt.system().spawn(entity_behavior, &rt, ref, last_log_seq, std::move(entry));
}

entity_core::entity_core(caf::event_based_actor* self, runtime_context& rt, std::string ref,
                         uint64_t last_log_seq, active_entry_ptr entry)
  : self_(self), rt_(rt), ref_(std::move(ref)), shard_(shard_of(ref_, rt.shard_count())),
    entry_(std::move(entry)), rng_(static_cast<uint32_t>(stable_hash(ref_))) {
  img_.last_log_seq = last_log_seq;
  entry_->durable_log_seq.store(last_log_seq);
}

caf::error entity_core::recover_in_place() {
  auto last = std::max(img_.last_log_seq, entry_->durable_log_seq.load());
  try {
    return recover_entity(rt_.backing_store(), *logic_, ref_, shard_, last,
                          rt_.unattributable_until(shard_), img_);
  } catch (const std::exception& e) {
    return make_runtime_error(runtime_errc::corrupt_record,
                              std::string{"apply threw during recovery: "} + e.what());
  } catch (...) {
    return make_runtime_error(runtime_errc::corrupt_record, "apply threw during recovery");
  }
}

void entity_core::start() {
  rt_.counters().activations++;
  entry_->last_active_ms.store(rt_.now_ms(), std::memory_order_relaxed);
  logic_ = rt_.logic_for(ref_type(ref_));
  if (!logic_) {
    break_down("no entity type '" + std::string{ref_type(ref_)} + "' is registered");
    return;
  }
  snapshot_every_ = rt_.snapshot_every(*logic_);
  if (auto err = recover_in_place()) {
    break_down(describe(err));
    return;
  }
  spdlog::debug("[{}] activated at event seq {}", ref_, img_.event_seq);
  resume_after_recovery();
}

void entity_core::on_deliver(const std::string& bytes) {
  auto env = std::make_shared<Envelope>();
  if (!env->ParseFromString(bytes)) {
    rt_.counters().invalid_envelopes++;
    spdlog::error("[{}] dropped an envelope that does not parse ({} bytes)", ref_, bytes.size());
    return;
  }
  on_deliver(envelope_ptr{std::move(env)});
}

void entity_core::on_deliver(envelope_ptr env) {
  entry_->last_active_ms.store(rt_.now_ms(), std::memory_order_relaxed);
  switch (mode_) {
    case entity_mode::retired:
      // Enqueued before the directory dropped us: hand it to the next incarnation.
      rt_.route(ref_, caf::make_message(deliver_atom::value, std::move(env)), true);
      return;
    case entity_mode::broken:
      if (!logic_ && !env->sender().empty()) {
        Ack a;
        a.set_sender(env->sender());
        a.set_receiver(ref_);
        a.set_channel_seq(env->channel_seq());
        a.set_failed(true);
        a.set_error("undeliverable: " + broken_reason_);
        send_ack(env->sender(), a);
      }
      return;  // a corrupt store: leave it unacked in the sender's outbox
    case entity_mode::running:
      if (parked_.empty() && !outbox_full()) {
        if (handle_envelope(env) && !holdback_.empty())
          drain_holdback(env->sender());
        maybe_passivate_on_request();  // a duplicate may have carried the last ack
        return;
      }
      park(std::move(env));
      return;
    default:
      park(std::move(env));
  }
}

void entity_core::on_committed(uint64_t token) {
  if (pending_head_ >= pending_.size() || pending_[pending_head_].token > token) {
    spdlog::critical("[{}] commit notification {} out of order", ref_, token);
    return;
  }
  // Every pending step up to `token` is durable; finish them in order.
  while (pending_head_ < pending_.size() && pending_[pending_head_].token <= token) {
    finish_step(std::move(pending_[pending_head_++]));
    compact_pending();
    if (mode_ == entity_mode::retired)
      break;
  }
  if (mode_ == entity_mode::restarting && pending_head_ == pending_.size())
    restart_now();
}

void entity_core::compact_pending() {
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
  } else if (pending_head_ >= 64 && pending_head_ * 2 >= pending_.size()) {
    // A hot entity may never see an empty pipeline: compact instead of growing forever.
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
}

void entity_core::finish_step(post_commit pc) {
  SAGAFORGE_FAILPOINT(failpoint::step_before_sends);
  if (pc.log_seq > entry_->durable_log_seq.load())
    entry_->durable_log_seq.store(pc.log_seq);
  std::vector<const std::string*> receivers;
  for (auto& env : pc.sends) {
    auto& to = env->receiver();
    if (auto* e = img_.mailbox.find(to, env->channel_seq())) {
      e->committed = true;
      if (receivers.empty() || *receivers.back() != to)
        receivers.push_back(&to);
    }
  }
  for (auto* r : receivers)
    pump(*r);
  SAGAFORGE_FAILPOINT(failpoint::step_before_ack);
  if (pc.full_ack) {
    send_ack(pc.ack_to, *pc.full_ack);
  } else if (!pc.ack_to.empty()) {
    // The ack rode on an envelope pump just sent; if the window held that back, ack now.
    auto* carrier = pc.ack_rides_on ? img_.mailbox.find(pc.ack_to, pc.ack_rides_on) : nullptr;
    if (!carrier || !carrier->in_flight)
      send_plain_ack(pc.ack_to, pc.ack_seq);
  }
  for (auto& a : pc.extra_acks)
    send_ack(a.sender(), a);
  for (auto& name : pc.timers_dropped)
    drop_timer(name);
  for (auto& name : pc.timers) {
    auto& timers = img_.mailbox.timers();
    if (auto i = timers.find(name); i != timers.end())
      arm_timer(name, i->second.due_ms());
  }
  update_pinned();
  if (pc.durable.pending())
    pc.durable.deliver(true);
  if (pc.log_seq != 0 && pending_head_ == pending_.size() && rt_.has_observers()
      && (mode_ == entity_mode::running || mode_ == entity_mode::passivating))
    rt_.notify_committed(*logic_, ref_, *img_.state);  // nothing later in flight: durable
  if (pc.final_snapshot) {
    finish_passivation();
    return;
  }
  passivate_requested_ = pc.passivate_after;
  maybe_passivate_on_request();
}

void entity_core::on_settle() {
  // As if decide had asked: the request stands until the outbox drains (the last ack
  // retries it) and a later step that does not ask withdraws it (finish_step).
  passivate_requested_ = true;
  maybe_passivate_on_request();
}

caf::result<bool> entity_core::on_shutdown_snapshot() {
  bool uncovered = img_.records_since_snapshot > 0 || !acked_unrecorded_.empty();
  if (!uncovered || !img_.state || mode_ != entity_mode::running)
    return true;
  // Rides behind every step still in flight (commits are in submit order), so it covers them.
  post_commit pc;
  pc.durable = self_->make_response_promise<bool>();
  auto answer = pc.durable;
  std::vector<mutation> muts;
  muts.push_back(snapshot_mutation());
  acked_unrecorded_.clear();
  submit(std::move(muts), std::move(pc));
  return answer;
}

void entity_core::maybe_passivate_on_request() {
  if (passivate_requested_ && mode_ == entity_mode::running)
    on_passivate();  // refuses while anything is pending, unacked, parked or held back
}

void entity_core::on_commit_failed(uint64_t) {
  // Fail-stop: memory may be ahead of the disk. Drop out; the node's health turns red and
  // a new incarnation (after the node restarts) recovers from what is durable.
  if (mode_ == entity_mode::retired)
    return;
  mode_ = entity_mode::retired;
  rt_.dir().retire(ref_, self_->address(), entry_->durable_log_seq.load(),
                   activation_end::store_failed);
  self_->quit(make_runtime_error(runtime_errc::store_failed, "group commit failed"));
}

void entity_core::on_passivate() {
  if (mode_ == entity_mode::broken) {
    if (rt_.dir().retire(ref_, self_->address(), entry_->durable_log_seq.load(),
                         activation_end::broken)) {
      mode_ = entity_mode::retired;
      self_->send(self_, retired_atom::value);
    }
    return;
  }
  if (mode_ != entity_mode::running || pending_head_ < pending_.size()
      || img_.mailbox.outbox_size() > 0 || !parked_.empty() || !holdback_.empty())
    return;  // busy: the sweeper asks again later
  mode_ = entity_mode::passivating;
  if (img_.records_since_snapshot == 0 && acked_unrecorded_.empty()) {
    finish_passivation();
    return;
  }
  // The snapshot holds the live outbox, so it also makes the unrecorded acks durable.
  post_commit pc;
  pc.final_snapshot = true;
  std::vector<mutation> muts;
  muts.push_back(snapshot_mutation());
  acked_unrecorded_.clear();
  submit(std::move(muts), std::move(pc));
}

void entity_core::finish_passivation() {
  if (!parked_.empty()) {  // work arrived meanwhile: stay
    mode_ = entity_mode::running;
    arm_timers();  // a firing that came during passivation was dropped
    drain_parked();
    return;
  }
  if (!rt_.dir().retire(ref_, self_->address(), entry_->durable_log_seq.load(),
                        activation_end::passivated)) {
    mode_ = entity_mode::running;
    arm_timers();
    return;
  }
  mode_ = entity_mode::retired;
  rt_.counters().passivations++;
  int64_t wake_at = 0;
  for (auto& [name, t] : img_.mailbox.timers())
    wake_at = wake_at == 0 ? t.due_ms() : std::min(wake_at, t.due_ms());
  if (wake_at != 0)
    rt_.schedule_wake(ref_, wake_at);
  // Everything enqueued before the directory dropped us is ahead of this marker.
  self_->send(self_, retired_atom::value);
}

EntityReport entity_core::report() const {
  EntityReport r;
  r.set_ref(ref_);
  if (img_.state) {
    r.set_state_type(img_.state->GetTypeName());
    r.set_state(img_.state->SerializeAsString());
  }
  r.set_event_seq(img_.event_seq);
  add_mailbox_details(img_.mailbox, r);
  r.set_parked(static_cast<uint32_t>(parked_.size()));
  r.set_crash_count(static_cast<uint32_t>(crashes_.size()));
  r.set_last_active_ms(entry_->last_active_ms.load(std::memory_order_relaxed));
  r.set_error(broken_reason_);
  static const char* modes[] = {"running", "restarting", "passivating", "retired", "broken"};
  r.set_mode(modes[static_cast<int>(mode_)]);
  r.set_last_log_seq(img_.last_log_seq);
  return r;
}

} // namespace sagaforge
