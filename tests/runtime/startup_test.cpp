// Start-up re-activation and clean shutdown (issue 16, defect 7): only entities with
// deliveries pending are re-activated, at a bounded rate; each passivates once delivered,
// which records its acks and clears its `pending` flag, so the next start does not
// re-activate it again; a clean shutdown snapshots what no snapshot covers yet.
#define CAF_SUITE runtime.startup
#include "caf/test/dsl.hpp"

#include <thread>

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "runtime/log_keys.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/record_codec.hpp"
#include "tests/support/counter_commands.hpp"
#include "tests/support/test_node.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using sagaforge::counter::CounterState;

namespace {

std::vector<entity_logic_ptr> counters() {
  return {counter::make_counter_logic(1000)};  // no periodic snapshot in these tests
}

/// Forwards from each source to counter/sink, then a "crash" once every step is durable
/// but before any ack is recorded: each source's newest record says it has an outbox.
int64_t crash_with_outboxes(const store_ptr& st, int sources) {
  test_node node{st, counters()};
  for (int i = 0; i < sources; ++i)
    node.send("counter/src-" + std::to_string(i), forward("counter/sink", 1));
  node.run();  // acks arrive but are not recorded: no later step, no snapshot
  return node.now_ms();
}

} // namespace

CAF_TEST(an entity re-activated to deliver passivates once done and is not re-activated again) {
  auto st = std::make_shared<memory_store>();
  auto clock = crash_with_outboxes(st, 1);
  {
    test_node node{st, counters(), test_settings(), clock + 1000};
    CAF_CHECK_EQUAL(node.runtime().startup().reactivated, 1u);
    node.run();
    // Delivered (a duplicate for the sink, acked again), then passivated with a snapshot.
    CAF_CHECK(!node.runtime().context().dir().lookup("counter/src-0", false));
    CAF_CHECK_EQUAL(node.runtime().context().counters().passivations.load(), 1u);
    CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/sink").value(), 1);
    clock = node.now_ms();
  }
  for (int restart = 0; restart < 3; ++restart) {
    test_node node{st, counters(), test_settings(), clock + 1000};
    CAF_CHECK_EQUAL(node.runtime().startup().reactivated, 0u);
    CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/sink").value(), 1);
    CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/src-0").value(), 1);
    clock = node.now_ms();
  }
}

CAF_TEST(new work that arrives while a re-activated entity delivers keeps it active) {
  auto st = std::make_shared<memory_store>();
  auto clock = crash_with_outboxes(st, 1);
  test_node node{st, counters(), test_settings(), clock + 1000};
  node.send("counter/src-0", add(5), "client/later");  // client/test seq 1 was used before the crash
  node.run();
  // The step that did not ask for passivation withdrew the start-up's request.
  CAF_CHECK(node.runtime().context().dir().lookup("counter/src-0", false));
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/src-0").value(), 6);
}

CAF_TEST(start-up re-activates at most reactivate-per-second entities per second) {
  auto st = std::make_shared<memory_store>();
  auto clock = crash_with_outboxes(st, 5);
  auto settings = test_settings();
  settings.reactivate_per_second = 100;  // one per 10 ms tick
  test_node node{st, counters(), settings, clock + 1000};
  CAF_CHECK_EQUAL(node.runtime().startup().reactivated, 5u);
  auto& c = node.runtime().context().counters();
  // The constructor ran the first tick: one source and the sink it delivered to.
  CAF_CHECK_EQUAL(c.activations.load(), 2u);
  for (uint64_t tick = 1; tick < 5; ++tick) {
    node.advance(std::chrono::milliseconds{10});
    CAF_CHECK_EQUAL(c.activations.load(), 2u + tick);
  }
  node.advance(std::chrono::milliseconds{100});
  CAF_CHECK_EQUAL(c.activations.load(), 6u);
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/sink").value(), 5);
}

namespace {

size_t snapshots_in(store& st) {
  size_t n = 0;
  st.scan(table::snapshots, {}, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

/// A threaded node (real scheduler, writer thread), as sagaforge-node runs one.
std::unique_ptr<node_runtime> threaded_node(caf::actor_system& sys, const store_ptr& st) {
  node_runtime::options opts;
  opts.settings.durability_name = "memory";
  opts.settings.shard_count = 8;
  opts.given_store = st;
  opts.run_sweeper = false;
  auto node = node_runtime::start(sys, opts, counters());
  CAF_REQUIRE(node);
  return std::move(*node);
}

int64_t value_of(node_runtime& node, const std::string& ref) {
  auto rep = node.inspect(ref);
  CounterState s;
  if (!rep || !s.ParseFromString(rep->state()))
    return -1;
  return s.value();
}

} // namespace

CAF_TEST(a clean shutdown snapshots active entities and the next start re-activates none) {
  auto st = std::make_shared<memory_store>();
  runtime_system_config cfg;
  caf::actor_system sys{cfg};
  {
    auto node = threaded_node(sys, st);
    for (int i = 0; i < 20; ++i) {
      auto ack = node->ask("counter/s-" + std::to_string(i), forward("counter/t", 2));
      CAF_REQUIRE(ack);
    }
    // Wait until every forward reached the target and every source has its ack (the target
    // can hold 40 before the last ack reached its source).
    auto settled = [&] {
      return value_of(*node, "counter/t") == 40
             && node->context().counters().outbox_entries.load() == 0;
    };
    for (int i = 0; i < 500 && !settled(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    CAF_REQUIRE(settled());
    CAF_CHECK_EQUAL(snapshots_in(*st), 0u);
    node->shutdown();
  }
  // Every source (its outbox acked, the acks not recorded) and the target got one.
  CAF_CHECK_EQUAL(snapshots_in(*st), 21u);
  auto node = threaded_node(sys, st);
  CAF_CHECK_EQUAL(node->startup().reactivated, 0u);
  CAF_CHECK_EQUAL(value_of(*node, "counter/t"), 40);
  node->shutdown();
}
