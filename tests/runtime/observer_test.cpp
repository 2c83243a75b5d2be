// Committed-state observers: an observer sees an entity's state only when nothing later of
// that entity is in flight (so what it sees is durable), consecutive states coalesce, other
// types are not reported, and unobserve stops the calls.
#define CAF_SUITE runtime.observer
#include "caf/test/dsl.hpp"

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "tests/support/counter_commands.hpp"
#include "tests/support/test_node.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using sagaforge::counter::CounterState;

namespace {

struct seen {
  std::string ref;
  int64_t value;
};

struct fixture {
  std::shared_ptr<memory_store> st = std::make_shared<memory_store>();
  test_node node{st, {counter::make_counter_logic(10)}};
  std::vector<seen> calls;
  uint64_t id = 0;

  fixture() {
    id = node.runtime().context().observe("counter", [this](const std::string& ref,
                                                             const pb_message& state) {
      calls.push_back({ref, static_cast<const CounterState&>(state).value()});
    });
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(observer_tests, fixture)

CAF_TEST(each committed step is reported with the state after it) {
  node.send("counter/a", add(5));
  node.run();
  node.send("counter/a", add(2));
  node.run();
  CAF_REQUIRE_EQUAL(calls.size(), 2u);
  CAF_CHECK_EQUAL(calls[0].ref, "counter/a");
  CAF_CHECK_EQUAL(calls[0].value, 5);
  CAF_CHECK_EQUAL(calls[1].value, 7);
}

CAF_TEST(a state with a later step in flight is not reported) {
  // Both commands reach the entity before the first commit notice: the first step is
  // durable while the second is still in flight, so only the state after both is reported.
  node.send("counter/a", add(1));
  node.send("counter/a", add(10));
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/a").value(), 11);
  CAF_REQUIRE_EQUAL(calls.size(), 1u);
  CAF_CHECK_EQUAL(calls[0].value, 11);
}

CAF_TEST(other types are not reported and unobserve stops the calls) {
  std::vector<std::string> other;
  auto other_id = node.runtime().context().observe(
    "no-such-type", [&](const std::string& ref, const pb_message&) { other.push_back(ref); });
  node.send("counter/a", add(1));
  node.run();
  CAF_CHECK_EQUAL(calls.size(), 1u);
  CAF_CHECK(other.empty());
  node.runtime().context().unobserve(id);
  node.runtime().context().unobserve(other_id);
  CAF_CHECK(!node.runtime().context().has_observers());
  node.send("counter/a", add(1));
  node.run();
  CAF_CHECK_EQUAL(calls.size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
