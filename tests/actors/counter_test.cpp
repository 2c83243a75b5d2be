// The counter's decide and apply through the entity harness (no actors): replies, events,
// sends, timers and rejections, every event and state round-tripped through Protobuf.
#define CAF_SUITE actors.counter
#include "caf/test/unit_test.hpp"

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "tests/support/entity_harness.hpp"

using namespace sagaforge;
using namespace sagaforge::counter;
using sagaforge::testing::run_command;

namespace {

auto logic = make_counter_logic();

template <class T>
auto run(const CounterState& s, const T& cmd) {
  return run_command<CounterState, CounterEvent>(*logic, s, inbound::of(cmd));
}

} // namespace

CAF_TEST(add records an event and replies with the new value) {
  Add add;
  add.set_amount(4);
  auto r = run(CounterState{}, add);
  CAF_CHECK(r.round_trip_ok);
  CAF_REQUIRE_EQUAL(r.events.size(), 1u);
  CAF_CHECK_EQUAL(r.events[0].added().amount(), 4);
  CAF_CHECK_EQUAL(r.state.value(), 4);
  auto v = r.reply_as<Value>();
  CAF_REQUIRE(v);
  CAF_CHECK_EQUAL(v->value(), 4);
}

CAF_TEST(forward adds locally and sends an add) {
  Forward fw;
  fw.set_to("counter/b");
  fw.set_amount(3);
  auto r = run(CounterState{}, fw);
  CAF_CHECK(r.round_trip_ok);
  CAF_REQUIRE_EQUAL(r.sends.size(), 1u);
  CAF_CHECK_EQUAL(r.sends[0].to, "counter/b");
  Add sent;
  CAF_REQUIRE(sent.ParseFromString(r.sends[0].msg.payload));
  CAF_CHECK_EQUAL(sent.amount(), 3);
  CAF_CHECK_EQUAL(r.state.forwarded(), 3);
}

CAF_TEST(an invalid forward is rejected without events) {
  Forward fw;
  fw.set_to("counter/b");
  fw.set_amount(0);
  auto r = run(CounterState{}, fw);
  CAF_CHECK(r.rejection);
  CAF_CHECK(r.events.empty());
  CAF_CHECK(r.sends.empty());
}

CAF_TEST(a timer is requested with its payload) {
  SetTimer t;
  t.set_name("x");
  t.set_delay_ms(50);
  t.set_amount(2);
  auto r = run(CounterState{}, t);
  CAF_REQUIRE_EQUAL(r.timers_set.size(), 1u);
  CAF_CHECK_EQUAL(r.timers_set[0].delay_ms, 50);
  CAF_CHECK_EQUAL(r.timers_set[0].msg.type, "sagaforge.counter.Add");
}

CAF_TEST(a flood sends one chunk and asks for more) {
  Flood f;
  f.set_to("counter/t");
  f.set_count(10);
  f.set_chunk(4);
  auto r = run(CounterState{}, f);
  CAF_CHECK_EQUAL(r.sends.size(), 5u);  // 4 adds + FloodMore to self
  CAF_CHECK_EQUAL(r.state.flood_left(), 6);
}

CAF_TEST(an unknown message is rejected with its type) {
  auto r = run_command<CounterState, CounterEvent>(*logic, CounterState{},
                                                   inbound{"x.Unknown", "", "client/t", "", "", true});
  CAF_REQUIRE(r.rejection);
  CAF_CHECK_NOT_EQUAL(r.rejection->find("x.Unknown"), std::string::npos);
}
