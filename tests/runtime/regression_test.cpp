// Regression tests, each named for the bug it pins (found in review of the runtime core).
#define CAF_SUITE runtime.regression
#include "caf/test/dsl.hpp"

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "runtime/log_keys.hpp"
#include "runtime/messages.hpp"
#include "runtime/record_codec.hpp"
#include "tests/support/counter_commands.hpp"
#include "tests/support/test_node.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace std::chrono_literals;
using sagaforge::counter::CounterState;

namespace {
counter::Forward fwd(std::string to, int64_t n) {
  counter::Forward f;
  f.set_to(to);
  f.set_amount(n);
  return f;
}

void passivate(test_node& node, const std::string& ref) {
  auto h = node.runtime().context().dir().lookup(ref, false);
  CAF_REQUIRE(h);
  caf::anon_send(h, passivate_atom::value);
  node.run();
  CAF_REQUIRE(!node.runtime().context().dir().lookup(ref, false));
}

} // namespace

// 1. An ack received after a snapshot-taking step is never recorded if the entity passivates
//    with records_since_snapshot == 0; after dedup retention the resend is applied twice.
CAF_TEST(ack lost at passivation gives a double effect after retention) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, {counter::make_counter_logic(1)}};  // snapshot every record
  node.send("counter/a", fwd("counter/b", 2));
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/b").value(), 2);
  CAF_CHECK_EQUAL(node.report("counter/a").outbox_size(), 0u);
  passivate(node, "counter/a");
  node.advance(130000ms);             // > dedup_retention_ms (120 s in test settings)
  node.send("counter/b", add(0));     // b's next (snapshot) step expires the a->b channel
  node.run();
  auto rep = node.report("counter/a");  // re-activation of a: the acked envelope is back
  CAF_MESSAGE("a outbox after reactivation: " << rep.outbox_size());
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/b").value(), 2);  // fails if applied twice
}

// 2. After every in-flight entry of a full outbox is dead-lettered at the sender, parked
//    deliveries are never drained.
CAF_TEST(parked deliveries stall after sender side dead letters) {
  auto st = std::make_shared<memory_store>();
  st->poke(table::snapshots, "counter/b", "garbage");
  auto s = test_settings();
  s.outbox_max = 1;
  test_node node{st, {counter::make_counter_logic(0)}, s};
  node.send("counter/a", fwd("counter/b", 2));  // outbox full
  node.run();
  auto seq = node.send("counter/a", add(5));     // parked
  node.run();
  for (int i = 0; i < 200; ++i)
    node.advance(1000ms);
  auto st_a = node.state_of<CounterState>("counter/a");
  CAF_MESSAGE("a failures " << st_a.failures() << " value " << st_a.value()
              << " outbox " << node.report("counter/a").outbox_size());
  CAF_CHECK(node.ack_for("counter/a", seq) != nullptr);
  CAF_CHECK_EQUAL(st_a.value(), 7);
}

// 3. Entries beyond the channel window are never sent nor dead-lettered once the in-flight
//    ones are dead-lettered at the sender.
CAF_TEST(entries beyond the window strand after sender dead letters) {
  auto st = std::make_shared<memory_store>();
  st->poke(table::snapshots, "counter/b", "garbage");
  test_node node{st, {counter::make_counter_logic(0)}};
  counter::Flood f;
  f.set_to("counter/b");
  f.set_count(20);
  f.set_chunk(20);
  node.send("counter/a", f);
  node.run();
  for (int i = 0; i < 400; ++i)
    node.advance(1000ms);
  auto rep = node.report("counter/a");
  auto sa = node.state_of<CounterState>("counter/a");
  CAF_MESSAGE("outbox " << rep.outbox_size() << " failures " << sa.failures());
  CAF_CHECK_EQUAL(sa.failures(), 20);
  CAF_CHECK_EQUAL(rep.outbox_size(), 0u);
}

// 4. A broken entity (corrupt record in the middle) that is passivated hands a truncated
//    last_log_seq to the directory: the next incarnation recovers silently without it.
CAF_TEST(broken entity passivation truncates the journal silently) {
  auto st = std::make_shared<memory_store>();
  int64_t clock = 0;
  {
    test_node node{st, {counter::make_counter_logic(0)}};
    node.send("counter/a", add(1));
    node.send("counter/a", add(2));
    node.send("counter/a", add(4));
    node.run();
    clock = node.now_ms();
  }
  std::vector<std::string> keys;
  st->scan(table::log, {}, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  CAF_REQUIRE_EQUAL(keys.size(), 3u);
  auto raw = st->get(table::log, keys[1]);
  auto hdr = decode_log_header(**raw);
  auto rec = decode_step_record(*hdr, "t");
  rec->set_events(0, std::string("\xff\xff\xff\xff", 4));
  st->poke(table::log, keys[1], encode_log_value(hdr->work(), hdr->ref, *rec));
  test_node node{st, {counter::make_counter_logic(0)}, test_settings(), clock + 10};
  auto r0 = node.report("counter/a");
  CAF_CHECK_EQUAL(r0.mode(), "broken");
  passivate(node, "counter/a");
  auto rep = node.report("counter/a");
  CAF_MESSAGE("after re-activation: mode " << rep.mode() << " event_seq " << rep.event_seq());
  CAF_CHECK_EQUAL(rep.mode(), "broken");
}

// 5. A client envelope with an empty type is dropped unacked: the channel stalls for good.
CAF_TEST(an envelope that fails validation stalls its channel) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, {counter::make_counter_logic(0)}};
  node.send_with_seq("counter/a", typed_bytes{"", "x"}, 1);
  node.send_with_seq("counter/a", typed_bytes::of(add(3)), 2);
  node.run();
  node.advance(10000ms);
  CAF_CHECK(node.ack_for("counter/a", 1) != nullptr);
  CAF_CHECK(node.ack_for("counter/a", 2) != nullptr);
}
