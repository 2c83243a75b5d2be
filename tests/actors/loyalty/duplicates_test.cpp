// Scenario 7: every message delivered twice -> the same final state. Duplicates come from a
// router that routes every envelope and ack twice, from clients re-sending the same seq, and
// from a crash before the acks (the restarted node resends its outboxes).
#define CAF_SUITE loyalty.duplicates
#include "caf/test/dsl.hpp"

#include "tests/actors/loyalty/loyalty_flows.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace std::chrono_literals;

namespace {

void start_twice(test_node& node, const std::string& sender) {
  for (int copy = 0; copy < 2; ++copy) {
    node.send_with_seq("redemption/s1", start_msg("c1", "r1", 100), 1, sender);
    node.send_with_seq("redemption/s2", start_msg("c2", "r1", 100), 1, sender);
  }
}

} // namespace

CAF_TEST(every envelope and ack delivered twice leaves the same final state) {
  auto expected = crash_free_fingerprint();
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  deliver_everything_twice(node);
  seed_flow(node);
  start_twice(node, "client/test");
  node.run();
  node.advance(5s);
  CAF_CHECK_EQUAL(flow_fingerprint(node), expected);
  // Each entity-to-entity message and each client command arrived twice.
  CAF_CHECK_GREATER_OR_EQUAL(node.runtime().context().counters().duplicates.load(), 20u);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 400);
  CAF_CHECK_EQUAL(reward_of(node, "r1").stock(), 4);
}

CAF_TEST(a crash before the acks resends everything and still applies it once) {
  auto expected = crash_free_fingerprint();
  auto st = std::make_shared<memory_store>();
  int64_t clock = 0;
  uint64_t seeded = 0;
  {
    test_node node{st, loyalty_types()};
    deliver_everything_twice(node);
    seed_flow(node);
    seeded = log_records(*st);
    start_twice(node, "client/test");
    // Commit the Starts and the participants' steps, then crash before the answers' acks.
    while (log_records(*st) < seeded + 5 && node.run_once()) {
    }
    CAF_REQUIRE_EQUAL(log_records(*st), seeded + 5);
    clock = node.now_ms();
  }
  test_node node{st, loyalty_types(), sagaforge::testing::test_settings(), clock + 1000};
  CAF_CHECK_GREATER(node.runtime().startup().reactivated, 0u);  // outboxes to resend
  deliver_everything_twice(node);
  start_twice(node, "client/again");  // the client lost its acks: it asks again
  node.run();
  node.advance(5s);
  CAF_CHECK_EQUAL(flow_fingerprint(node), expected);
  CAF_CHECK_GREATER(node.runtime().context().counters().duplicates.load(), 0u);
}
