// Durable timers: set inside a step, armed after commit, fire after a restart if due
// (late, never lost, never twice), cancel, and survive passivation through a wake-up.
#define CAF_SUITE runtime.timers
#include "caf/test/dsl.hpp"

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "runtime/messages.hpp"
#include "tests/support/test_node.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace std::chrono_literals;
using sagaforge::counter::CounterState;

namespace {

std::vector<entity_logic_ptr> counters() {
  return {counter::make_counter_logic(10)};
}

counter::SetTimer set_timer(const std::string& name, int64_t delay_ms, int64_t amount) {
  counter::SetTimer t;
  t.set_name(name);
  t.set_delay_ms(delay_ms);
  t.set_amount(amount);
  return t;
}

} // namespace

CAF_TEST(a timer fires once when due) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, counters()};
  node.send("counter/a", set_timer("t", 5000, 7));
  node.run();
  node.advance(4000ms);
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 0);
  node.advance(1000ms);
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 7);
  node.advance(60000ms);
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 7);
  CAF_CHECK_EQUAL(node.report("counter/a").timers(), 0u);
}

CAF_TEST(a timer set before a restart fires exactly once after it) {
  auto st = std::make_shared<memory_store>();
  int64_t clock = 0;
  {
    test_node node{st, counters()};
    node.send("counter/a", set_timer("t", 5000, 7));
    node.run();
    CAF_REQUIRE_EQUAL(node.report("counter/a").timers(), 1u);
    clock = node.now_ms();
  }
  {
    // Restart 2 s later: nothing to deliver, so the entity is not re-activated at start;
    // a wake is scheduled for the remaining 3 s.
    test_node node{st, counters(), test_settings(), clock + 2000};
    CAF_CHECK_EQUAL(node.runtime().startup().reactivated, 0u);
    CAF_CHECK_EQUAL(node.runtime().startup().timer_wakes, 1u);
    node.advance(2900ms);
    CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 0);
    node.advance(200ms);
    CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 7);
    clock = node.now_ms();
  }
  {
    // Another restart: the firing was durable, so it never fires again.
    test_node node{st, counters(), test_settings(), clock + 100000};
    CAF_CHECK_EQUAL(node.runtime().startup().reactivated, 0u);
    CAF_CHECK_EQUAL(node.runtime().startup().timer_wakes, 0u);
    node.advance(100000ms);
    CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 7);
    CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").applied(), 1);
  }
}

CAF_TEST(a timer that fell due while the node was down fires late at start) {
  auto st = std::make_shared<memory_store>();
  int64_t clock = 0;
  {
    test_node node{st, counters()};
    node.send("counter/a", set_timer("t", 1000, 3));
    node.run();
    clock = node.now_ms();
  }
  test_node node{st, counters(), test_settings(), clock + 3600 * 1000};
  node.advance(1ms);
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 3);
}

CAF_TEST(a cancelled timer never fires and a replaced one fires once) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, counters()};
  node.send("counter/a", set_timer("x", 1000, 1));
  node.send("counter/a", set_timer("y", 1000, 10));
  node.run();
  counter::CancelTimer c;
  c.set_name("x");
  node.send("counter/a", c);
  node.send("counter/a", set_timer("y", 3000, 100));  // replaces y
  node.run();
  node.advance(10000ms);
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 100);
}

CAF_TEST(a passivated entity with a timer is woken to fire it) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, counters()};
  node.send("counter/a", set_timer("t", 8000, 5));
  node.run();
  auto& dir = node.runtime().context().dir();
  caf::anon_send(dir.lookup("counter/a", false), passivate_atom::value);
  node.run();
  CAF_REQUIRE(!dir.lookup("counter/a", false));
  node.advance(8000ms);
  CAF_CHECK(dir.lookup("counter/a", false));  // woken
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 5);
}
