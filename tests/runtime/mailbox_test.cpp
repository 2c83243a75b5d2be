// Durable mailbox rules in isolation: de-duplication, ordering holds, the sender's floor,
// retention, and snapshot round trip.
#define CAF_SUITE runtime.mailbox
#include "caf/test/unit_test.hpp"

#include "runtime/durable_mailbox.hpp"
#include "runtime/entity_ref.hpp"

using namespace sagaforge;

CAF_TEST(channel seqs are processed once and in order) {
  durable_mailbox mb;
  CAF_CHECK(mb.classify("a/x", 1) == inbound_verdict::process);
  CAF_CHECK(mb.classify("a/x", 2) == inbound_verdict::hold);
  mb.consume("a/x", 1, false, 10);
  CAF_CHECK(mb.classify("a/x", 1) == inbound_verdict::duplicate);
  CAF_CHECK(mb.classify("a/x", 2) == inbound_verdict::process);
  mb.consume("a/x", 2, true, 11);
  CAF_CHECK(mb.classify("a/x", 2) == inbound_verdict::duplicate_failed);
  CAF_CHECK(mb.classify("b/y", 1) == inbound_verdict::process);  // channels are independent
}

CAF_TEST(a sender floor skips seqs the sender dead-lettered) {
  durable_mailbox mb;
  mb.consume("a/x", 1, false, 10);
  CAF_CHECK(mb.classify("a/x", 4, 0) == inbound_verdict::hold);
  CAF_CHECK(mb.classify("a/x", 4, 4) == inbound_verdict::process);
  CAF_CHECK(mb.classify("a/x", 5, 4) == inbound_verdict::hold);
}

CAF_TEST(idle channels expire after the retention) {
  durable_mailbox mb;
  mb.consume("a/x", 1, false, 1000);
  mb.consume("b/y", 1, false, 5000);
  auto gone = mb.expire_channels(6000, 2000);
  CAF_CHECK_EQUAL(gone, std::vector<std::string>{"a/x"});
  CAF_CHECK_EQUAL(mb.channel_count(), 1u);
}

CAF_TEST(outbox entries and seqs survive a snapshot round trip) {
  durable_mailbox mb;
  for (int i = 0; i < 3; ++i) {
    Envelope env;
    auto seq = mb.next_seq("c/z");
    env.set_id(envelope_id("a/x", "c/z", seq));
    env.set_receiver("c/z");
    env.set_channel_seq(seq);
    mb.add(env, 0, true);
  }
  mb.remove("c/z", 1);
  mb.consume("a/q", 3, false, 7);
  TimerEntry t;
  t.set_name("t");
  t.set_due_ms(99);
  mb.timers()["t"] = t;
  EntitySnapshot snap;
  mb.save(snap);
  durable_mailbox copy;
  copy.load(snap);
  CAF_CHECK_EQUAL(copy.outbox_size(), 2u);
  CAF_CHECK_EQUAL(copy.next_seq("c/z"), 4u);
  CAF_CHECK(copy.classify("a/q", 3) == inbound_verdict::duplicate);
  CAF_CHECK_EQUAL(copy.timers().count("t"), 1u);
  std::string receiver;
  uint64_t seq = 0;
  CAF_REQUIRE(parse_envelope_id(envelope_id("a/x", "c/z", 12), receiver, seq));
  CAF_CHECK_EQUAL(receiver, "c/z");
  CAF_CHECK_EQUAL(seq, 12u);
}

CAF_TEST(refs are validated with a reason) {
  CAF_CHECK(!validate_ref("order/ORD-42"));
  CAF_CHECK(!validate_ref("inventory/SKU_7.a:b"));
  CAF_CHECK(validate_ref("order"));
  CAF_CHECK(validate_ref("Order/x"));
  CAF_CHECK(validate_ref("order/"));
  CAF_CHECK(validate_ref("order/a b"));
  CAF_CHECK(validate_ref("order/" + std::string(65, 'x')));
  CAF_CHECK_EQUAL(shard_of("order/ORD-42", 64), shard_of("order/ORD-42", 64));
  CAF_CHECK_EQUAL(stable_hash("a"), 12638187200555641996ull);  // FNV-1a: fixed forever
}
