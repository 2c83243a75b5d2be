// Recovery datasets, written through the runtime (so the stored bytes are exactly what a
// node writes): the child process side of recovery_bench (--phase).
#include <fstream>
#include <functional>
#include <thread>

#include "caf/all.hpp"

#include "bench.pb.h"
#include "bench/bench_entity.hpp"
#include "bench/recovery_bench.hpp"
#include "bench/report.hpp"
#include "runtime/client_actor.hpp"
#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::bench {

std::string dataset_name(const bench_options& o, const std::string& kind) {
  auto n = kind == "journal" ? o.events : o.stored_entities;
  return kind + "-" + std::to_string(n) + "-s" + std::to_string(o.shards) + "-e"
         + std::to_string(o.event_bytes);
}

namespace {

/// Sends one Touch to ref_of(i) for i in [from, to) through the node's client, keeping
/// `window` in flight; returns false when a Touch failed.
bool touch_range(caf::actor_system& sys, node_runtime& node, uint64_t from, uint64_t to,
                 const std::function<std::string(uint64_t)>& ref_of, size_t pad,
                 const char* what) {
  caf::scoped_actor self{sys};
  Touch t;
  t.mutable_pad()->assign(pad, 't');
  auto tb = typed_bytes::of(t);
  const uint64_t window = 4096;
  uint64_t next = from, done = 0, failed = 0, in_flight = 0;
  auto total = to - from;
  auto t0 = now_s(), last_print = t0;
  while (done + failed < total) {
    while (next < to && in_flight < window) {
      self->send(node.client(), send_atom::value, ref_of(next), tb.type, tb.payload,
                 std::string{});
      ++next;
      ++in_flight;
    }
    bool timed_out = false;
    self->receive([&](const std::string&) { ++done; },
                  [&](caf::error& err) {
                    if (failed++ == 0)
                      progress("%s: a Touch failed: %s", what, describe(err).c_str());
                  },
                  caf::after(std::chrono::seconds{60}) >> [&] { timed_out = true; });
    if (timed_out) {
      progress("%s: no ack for 60 s, giving up", what);
      return false;
    }
    --in_flight;
    if (now_s() - last_print >= 1) {
      last_print = now_s();
      progress("%s: %llu of %llu (%.0f/s)", what, static_cast<unsigned long long>(from + done),
               static_cast<unsigned long long>(to), static_cast<double>(done) / (last_print - t0));
    }
  }
  return failed == 0;
}

/// A node on `st` for generating (nosync-class settings do not matter: the store decides).
struct gen_node {
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<node_runtime> node;

  gen_node(const bench_options& o, store_ptr st, entity_logic_ptr logic) {
    cfg = make_caf_config(o);
    sys = std::make_unique<caf::actor_system>(*cfg);
    node_runtime::options nopts;
    nopts.settings = make_settings(o, "");
    nopts.settings.idle_timeout_ms = 1;  // sweep() passivates everything idle
    nopts.settings.max_active_entities = 100'000'000;
    nopts.given_store = std::move(st);
    nopts.run_sweeper = false;
    auto n = node_runtime::start(*sys, nopts, {std::move(logic)});
    if (!n) {
      progress("cannot start a node: %s", describe(n.error()).c_str());
      std::exit(1);
    }
    node = std::move(*n);
  }

  ~gen_node() {
    stop_node(*sys, node);
    sys.reset();
  }
};

/// Passivates every active entity (each writes its final snapshot); bounded wait.
void passivate_all(node_runtime& node) {
  auto until = now_s() + 120;
  while (node.context().dir().active_count() > 0 && now_s() < until) {
    node.sweep();
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  if (auto left = node.context().dir().active_count())
    progress("%zu entities did not passivate", left);
}

} // namespace

int generate_dataset(const bench_options& o) {
  auto dir = o.data_dir + "/" + dataset_name(o, o.phase);
  auto st = open_store(dir, *parse_durability(o.durability), 16384);
  if (!st) {
    progress("cannot open %s: %s", dir.c_str(), describe(st.error()).c_str());
    return 1;
  }
  bench_probe probe;
  auto pad = o.event_bytes > 8 ? o.event_bytes - 8 : 0;
  bool ok = true;
  if (o.phase == "journal") {
    gen_node g{o, *st, make_bench_logic(&probe, 0)};
    auto ref = bench_ref("j", 0);
    ok = touch_range(*g.sys, *g.node, 0, o.events, [&](uint64_t) { return ref; }, pad,
                     "journal events");
  } else {
    bool snap = o.phase == "entities";
    auto chunk = std::max<uint64_t>(1, o.activate);
    std::unique_ptr<gen_node> g;
    for (uint64_t c0 = 0; c0 < o.stored_entities && ok; c0 += chunk) {
      if (!g || !snap) {  // without snapshots: a restart drops the actors, writes nothing
        g.reset();
        g = std::make_unique<gen_node>(o, *st, make_bench_logic(&probe, 100));
      }
      auto c1 = std::min(o.stored_entities, c0 + chunk);
      ok = touch_range(*g->sys, *g->node, c0, c1, [](uint64_t i) { return bench_ref("s", i); },
                       pad, "stored entities");
      if (snap)
        passivate_all(*g->node);
    }
  }
  if (!ok)
    return 1;
  std::ofstream{dir + "/DONE"} << "ok\n";
  return 0;
}

} // namespace sagaforge::bench
