// Counter entity: Commands (counter.proto), Replies, Events, State, then the handlers.
#include "actors/counter/counter.hpp"

#include <chrono>
#include <stdexcept>

#include "counter.pb.h"
#include "envelope.pb.h"
#include "runtime/invariant.hpp"

namespace sagaforge::counter {

namespace {

using ctx_t = decide_context<CounterEvent>;

void busy_wait_us(int64_t us) {
  auto until = std::chrono::steady_clock::now() + std::chrono::microseconds{us};
  while (std::chrono::steady_clock::now() < until) {
  }
}

Value value_of(const CounterState& s) {
  Value v;
  v.set_value(s.value());
  v.set_applied(s.applied());
  v.set_forwarded(s.forwarded());
  v.set_failures(s.failures());
  return v;
}

void send_flood_chunk(const CounterState& s, int64_t left, const std::string& to,
                      int64_t chunk, ctx_t& ctx) {
  auto n = std::min(left, chunk);
  Add add;
  add.set_amount(1);
  for (int64_t i = 0; i < n; ++i)
    ctx.send(to, add);
  CounterEvent ev;
  ev.mutable_flood_sent()->set_n(n);
  ctx.persist(ev);
  if (left - n > 0)
    ctx.send(ctx.self(), FloodMore{});
  (void)s;
}

void decide(const CounterState& s, const inbound& in, ctx_t& ctx) {
  if (Add add; in.parse(add)) {
    if (add.work_us() > 0)
      busy_wait_us(std::min<int64_t>(add.work_us(), 100000));
    CounterEvent ev;
    ev.mutable_added()->set_amount(add.amount());
    ctx.persist(ev);
    auto v = value_of(s);
    v.set_value(v.value() + add.amount());
    v.set_applied(v.applied() + 1);
    if (in.wants_reply())
      ctx.reply(v);
  } else if (Forward fw; in.parse(fw)) {
    if (fw.amount() <= 0)
      return ctx.reject("forward amount must be positive, got " + std::to_string(fw.amount()));
    CounterEvent ev;
    ev.mutable_forwarded()->set_to(fw.to());
    ev.mutable_forwarded()->set_amount(fw.amount());
    ctx.persist(ev);
    Add add;
    add.set_amount(fw.amount());
    ctx.send(fw.to(), add);
    ctx.reply(value_of(s));
  } else if (in.is<Get>()) {
    ctx.reply(value_of(s));
  } else if (SetTimer st; in.parse(st)) {
    Add add;
    add.set_amount(st.amount());
    ctx.set_timer(st.name(), st.delay_ms(), add);
    ctx.reply(value_of(s));
  } else if (CancelTimer ct; in.parse(ct)) {
    ctx.cancel_timer(ct.name());
    ctx.reply(value_of(s));
  } else if (Boom b; in.parse(b)) {
    throw std::runtime_error("boom: " + b.why());
  } else if (Flood f; in.parse(f)) {
    if (f.count() <= 0 || f.chunk() <= 0)
      return ctx.reject("flood count and chunk must be positive");
    CounterEvent ev;
    auto* fs = ev.mutable_flood_started();
    fs->set_to(f.to());
    fs->set_count(f.count());
    fs->set_chunk(f.chunk());
    ctx.persist(ev);
    send_flood_chunk(s, f.count(), f.to(), f.chunk(), ctx);
    ctx.reply(value_of(s));
  } else if (in.is<FloodMore>()) {
    if (s.flood_left() > 0)
      send_flood_chunk(s, s.flood_left(), s.flood_to(), s.flood_chunk(), ctx);
  } else if (Ping p; in.parse(p)) {
    CounterEvent ev;
    ev.mutable_added()->set_amount(1);
    ctx.persist(ev);
    if (p.remaining() > 0) {
      Ping next;
      next.set_peer(ctx.self());
      next.set_remaining(p.remaining() - 1);
      ctx.send(p.peer(), next);
    }
  } else if (DeliveryFailed df; in.parse(df)) {
    CounterEvent ev;
    ev.mutable_failed()->set_envelope_id(df.envelope_id());
    ev.mutable_failed()->set_reason(df.reason());
    ctx.persist(ev);
  } else if (in.is<Rejected>() || in.is<Value>()) {
    // answers to sends of ours: nothing to do
  } else {
    ctx.reject("counter does not understand " + in.type());
  }
}

void apply(CounterState& s, const CounterEvent& ev) {
  switch (ev.kind_case()) {
    case CounterEvent::kAdded:
      s.set_value(s.value() + ev.added().amount());
      s.set_applied(s.applied() + 1);
      break;
    case CounterEvent::kForwarded:
      s.set_value(s.value() + ev.forwarded().amount());
      s.set_forwarded(s.forwarded() + ev.forwarded().amount());
      break;
    case CounterEvent::kFailed:
      s.set_failures(s.failures() + 1);
      break;
    case CounterEvent::kFloodStarted:
      s.set_flood_to(ev.flood_started().to());
      s.set_flood_left(ev.flood_started().count());
      s.set_flood_chunk(ev.flood_started().chunk());
      break;
    case CounterEvent::kFloodSent:
      s.set_flood_left(s.flood_left() - ev.flood_sent().n());
      break;
    case CounterEvent::kTimerFired:
      s.set_timers_fired(s.timers_fired() + 1);
      break;
    case CounterEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("CounterEvent of no kind (corrupt, or from a newer build)");
  }
}

} // namespace

entity_logic_ptr make_counter_logic(uint32_t snapshot_every) {
  return std::make_shared<entity_definition<CounterState, CounterEvent>>(
    "counter", decide, apply, snapshot_every);
}

} // namespace sagaforge::counter
