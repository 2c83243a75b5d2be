// The benchmark entity: Commands, Events, State (schemas/bench.proto), then the handlers.
#include "bench/bench_entity.hpp"

#include <chrono>
#include <cstdio>

#include "bench.pb.h"

namespace sagaforge::bench {

namespace {

using ctx_t = decide_context<BenchEvent>;

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

void decide(bench_probe& probe, const BenchState&, const inbound& in, ctx_t& ctx) {
  if (Ping p; in.parse(p)) {
    if (probe.recording.load(std::memory_order_relaxed))
      probe.hop_ns.record(steady_ns() - p.sent_ns());
    BenchEvent ev;
    ev.mutable_pinged()->set_hop(p.hop());
    ev.mutable_pinged()->mutable_pad()->assign(probe.event_pad_bytes, 'e');
    ctx.persist(std::move(ev));
    if (ctx.now_ms() < p.stop_at_ms()) {
      Ping next;
      next.set_stop_at_ms(p.stop_at_ms());
      next.set_hop(p.hop() + 1);
      next.mutable_pad()->assign(probe.payload_pad_bytes, 'p');
      next.set_sent_ns(steady_ns());
      ctx.send(in.sender(), next);
    }
  } else if (Start s; in.parse(s)) {
    BenchEvent ev;
    ev.mutable_started()->set_peer(s.peer());
    ctx.persist(std::move(ev));
    Ping first;
    first.set_stop_at_ms(s.stop_at_ms());
    first.mutable_pad()->assign(probe.payload_pad_bytes, 'p');
    first.set_sent_ns(steady_ns());
    ctx.send(s.peer(), first);
  } else if (Touch t; in.parse(t)) {
    BenchEvent ev;
    ev.mutable_touched()->set_pad(t.pad());
    ctx.persist(std::move(ev));
  } else {
    ctx.reject("bench entity does not understand " + in.type());
  }
}

void apply(BenchState& s, const BenchEvent& ev) {
  s.set_steps(s.steps() + 1);
  if (ev.has_pinged())
    s.set_last_hop(ev.pinged().hop());
}

} // namespace

entity_logic_ptr make_bench_logic(bench_probe* probe, uint32_t snapshot_every) {
  return std::make_shared<entity_definition<BenchState, BenchEvent>>(
    "bench",
    [probe](const BenchState& s, const inbound& in, ctx_t& ctx) { decide(*probe, s, in, ctx); },
    apply, snapshot_every);
}

std::string bench_ref(const char* prefix, uint64_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "bench/%s-%07llu", prefix, static_cast<unsigned long long>(i));
  return buf;
}

} // namespace sagaforge::bench
