// Scenario 8: a crash at every step boundary -> the same final state as without the crash.
// For each k, the flow runs message by message until the store holds k log records, the
// node is destroyed (a crash: nothing uncommitted survives, nothing committed is lost), a
// new node starts on the same store, a new client re-sends the Starts (the old client's
// channel is gone with it), and the final state must equal the crash-free one.
#define CAF_SUITE loyalty.crash_every_step
#include "caf/test/dsl.hpp"

#include "tests/actors/loyalty/loyalty_flows.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace std::chrono_literals;

namespace {

struct crash_run {
  std::string fingerprint;
  uint64_t records_at_crash = 0;
  uint64_t reactivated = 0;
};

crash_run crash_after(uint64_t k) {
  auto st = std::make_shared<memory_store>();
  crash_run out;
  int64_t clock = 0;
  {
    test_node node{st, loyalty_types()};
    seed_flow(node);
    start_flow(node);
    while (log_records(*st) < k && node.run_once()) {
    }
    out.records_at_crash = log_records(*st);
    clock = node.now_ms();
  }
  test_node node{st, loyalty_types(), sagaforge::testing::test_settings(), clock + 1000};
  out.reactivated = node.runtime().startup().reactivated;
  start_flow(node, "client/after-crash");
  node.run();
  node.advance(5s);
  out.fingerprint = flow_fingerprint(node);
  return out;
}

} // namespace

CAF_TEST(a crash at any step boundary ends in the crash-free final state) {
  auto expected = crash_free_fingerprint();
  uint64_t seeded = 0, total = 0;
  {
    auto st = std::make_shared<memory_store>();
    test_node node{st, loyalty_types()};
    seed_flow(node);
    seeded = log_records(*st);
    start_flow(node);
    node.run();  // everything the flow does without timers: each of these is a boundary
    total = log_records(*st);
  }
  CAF_MESSAGE("the flow writes " << total - seeded << " log records after seeding");
  CAF_REQUIRE_GREATER(total - seeded, 10u);
  uint64_t with_pending_work = 0;
  for (auto k = seeded; k <= total; ++k) {
    auto run = crash_after(k);
    CAF_REQUIRE_EQUAL(run.records_at_crash, k);
    with_pending_work += run.reactivated > 0 ? 1 : 0;
    if (run.fingerprint != expected)
      CAF_FAIL("crash after " << k << " records: final state differs:\n"
                              << run.fingerprint << "expected:\n"
                              << expected);
  }
  CAF_CHECK_GREATER(with_pending_work, 0u);  // some crashes left outboxes or timers behind
}
