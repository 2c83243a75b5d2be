// Supervision and dead letters: a throwing decide restarts the entity from its last
// committed state and redelivers; after max-restarts the message is poison, goes to the
// dead-letter store with its error, the sender is told, the entity moves on; replay works.
// Undeliverable messages end at the sender after the retry policy.
#define CAF_SUITE runtime.poison
#include "caf/test/dsl.hpp"

#include <atomic>
#include <stdexcept>

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "tests/support/counter_commands.hpp"
#include "tests/support/test_node.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace std::chrono_literals;
using sagaforge::counter::CounterEvent;
using sagaforge::counter::CounterState;

namespace {

std::atomic<bool> flaky_broken{true};
std::atomic<int> flaky_calls{0};

/// "flaky/<id>": adds like a counter, but throws on Add while flaky_broken is set.
entity_logic_ptr flaky_logic() {
  return std::make_shared<entity_definition<CounterState, CounterEvent>>(
    "flaky",
    [](const CounterState&, const inbound& in, decide_context<CounterEvent>& ctx) {
      counter::Add add;
      if (!in.parse(add))
        return;
      ++flaky_calls;
      if (flaky_broken)
        throw std::runtime_error("flaky is broken");
      CounterEvent ev;
      ev.mutable_added()->set_amount(add.amount());
      ctx.persist(ev);
    },
    [](CounterState& s, const CounterEvent& ev) {
      s.set_value(s.value() + ev.added().amount());
      s.set_applied(s.applied() + 1);
    },
    10);
}

std::vector<entity_logic_ptr> types() {
  return {counter::make_counter_logic(10), flaky_logic()};
}

} // namespace

CAF_TEST(a poison message is dead-lettered after max-restarts and replay applies it) {
  flaky_broken = true;
  flaky_calls = 0;
  auto st = std::make_shared<memory_store>();
  test_node node{st, types()};
  node.send("flaky/f", add(1));  // poison too: two dead letters
  auto poison_seq = node.send("flaky/f", add(2));
  node.run();
  auto max_restarts = test_settings().max_restarts;
  CAF_CHECK_EQUAL(flaky_calls.load(), 2 * max_restarts);  // both poison; each tried K times
  auto* ack = node.ack_for("flaky/f", poison_seq);
  CAF_REQUIRE(ack != nullptr);
  CAF_CHECK(ack->failed());
  CAF_CHECK_NOT_EQUAL(ack->error().find("flaky is broken"), std::string::npos);
  auto dls = node.runtime().dead_letters();
  CAF_REQUIRE(dls);
  CAF_REQUIRE_EQUAL(dls->size(), 2u);
  auto& dl = dls->back();
  CAF_CHECK_EQUAL(dl.reason(), "poison");
  CAF_CHECK_EQUAL(dl.where(), "receiver");
  CAF_CHECK_EQUAL(dl.attempts(), static_cast<uint32_t>(max_restarts));
  CAF_CHECK_NOT_EQUAL(dl.last_error().find("flaky is broken"), std::string::npos);
  CAF_CHECK_EQUAL(dl.envelope().receiver(), "flaky/f");
  auto& counters = node.runtime().context().counters();
  CAF_CHECK_EQUAL(counters.dead_letters_by_reason[dead_letter_reason_index("poison")].load(), 2u);
  CAF_CHECK_EQUAL(counters.dead_letters_by_reason[dead_letter_reason_index("max_age")].load(), 0u);
  // The entity moved on: the next message is processed normally once the bug is gone.
  flaky_broken = false;
  node.send("flaky/f", add(4));
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("flaky/f").value(), 4);
  // A duplicate of the poison message is answered with the failure again, not re-run.
  auto calls = flaky_calls.load();
  node.send_with_seq("flaky/f", typed_bytes::of(add(2)), poison_seq);
  node.run();
  CAF_CHECK_EQUAL(flaky_calls.load(), calls);
  CAF_CHECK(node.acks.back().failed());
  // Replay of the second dead letter applies it.
  CAF_REQUIRE(!node.runtime().replay_dead_letter(dl.id()));
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("flaky/f").value(), 6);
  auto after = node.runtime().dead_letters();
  CAF_CHECK(after->back().replayed());
}

CAF_TEST(a crash restarts from the last committed state and not the half-done step) {
  flaky_broken = false;
  auto st = std::make_shared<memory_store>();
  test_node node{st, types()};
  node.send("counter/c", add(5));
  counter::Boom boom;
  boom.set_why("test");
  node.send("counter/c", boom);
  node.send("counter/c", add(6));
  node.run();
  auto rep = node.report("counter/c");
  CounterState s;
  s.ParseFromString(rep.state());
  CAF_CHECK_EQUAL(s.value(), 11);
  CAF_CHECK_EQUAL(rep.mode(), "running");
  CAF_CHECK_EQUAL(node.runtime().context().counters().crashes.load(),
                  static_cast<uint64_t>(test_settings().max_restarts));
}

CAF_TEST(a sender is told when its message is poison at the receiver) {
  flaky_broken = true;
  auto st = std::make_shared<memory_store>();
  test_node node{st, types()};
  counter::Forward fw;
  fw.set_to("flaky/f");
  fw.set_amount(3);
  node.send("counter/a", fw);
  node.run();
  auto s = node.state_of<CounterState>("counter/a");
  CAF_CHECK_EQUAL(s.failures(), 1);
  CAF_CHECK_EQUAL(node.report("counter/a").outbox_size(), 0u);
  flaky_broken = false;
}

CAF_TEST(a message to an unknown entity type fails fast back to the sender) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, types()};
  counter::Forward fw;
  fw.set_to("nosuch/x");
  fw.set_amount(3);
  node.send("counter/a", fw);
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").failures(), 1);
}
