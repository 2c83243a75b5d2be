// Compensations are retried until they succeed: a refund that is poison at the account comes
// back as DeliveryFailed, is resent after a backoff timer, and after the configured attempts
// parks the saga in COMPENSATION_FAILED (visible, nothing in flight). An operator's
// RetryCompensations after the fault is gone finishes the compensation.
#define CAF_SUITE loyalty.compensation_failed
#include "caf/test/dsl.hpp"

#include "actors/points/points.hpp"
#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;
using namespace std::chrono_literals;

namespace {

struct fixture {
  loyalty::loyalty_config cfg = test_config();
  std::shared_ptr<std::atomic<bool>> broken = std::make_shared<std::atomic<bool>>(true);
  std::shared_ptr<memory_store> st = std::make_shared<memory_store>();
  test_node node{st, with_type(loyalty_types(cfg),
                               throwing_logic(points::make_points_logic(cfg),
                                              type_name_of<points::RefundPoints>(), broken))};

  fixture() {
    earn(node, "c1", 500);
    define_reward(node, "r1", 100, 0);  // out of stock: the deduction must be refunded
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(compensation_failed, fixture)

CAF_TEST(a refund that keeps failing is retried and then parks the saga) {
  start(node, "s1", "c1", "r1", 100);
  node.run();
  auto first = saga(node, "s1");
  CAF_CHECK_EQUAL(first.status(), COMPENSATING);
  CAF_REQUIRE_EQUAL(first.compensations_size(), 1);
  CAF_CHECK_EQUAL(first.compensations(0).status(), COMP_RETRY_WAIT);
  CAF_CHECK_NOT_EQUAL(first.compensations(0).last_error().find("poison"), std::string::npos);
  for (int i = 0; i < 2 * cfg.compensation_attempts_max; ++i)  // one backoff per advance
    node.advance(std::chrono::milliseconds{cfg.compensation_backoff_max_ms});
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), COMPENSATION_FAILED);
  CAF_CHECK_EQUAL(status_name(s.status()), std::string{"CompensationFailed"});
  CAF_CHECK_EQUAL(s.compensations(0).status(), COMP_FAILED);
  CAF_CHECK_EQUAL(s.compensations(0).attempts(),
                  static_cast<uint32_t>(cfg.compensation_attempts_max));
  CAF_CHECK(is_settled(s));
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 400);  // still owed: visible, not lost
  auto dead = node.runtime().dead_letters();
  CAF_REQUIRE(dead);
  CAF_CHECK_EQUAL(dead->size(), static_cast<size_t>(cfg.compensation_attempts_max));
  // The fault is fixed; the operator resumes the compensation.
  broken->store(false);
  node.send("redemption/s1", RetryCompensations{});
  node.run();
  auto healed = saga(node, "s1");
  CAF_CHECK_EQUAL(healed.status(), COMPENSATED);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
}

CAF_TEST(a refund that recovers before the attempts run out completes the compensation) {
  start(node, "s1", "c1", "r1", 100);
  node.run();
  CAF_CHECK_EQUAL(saga(node, "s1").compensations(0).status(), COMP_RETRY_WAIT);
  broken->store(false);
  node.advance(std::chrono::milliseconds{cfg.compensation_backoff_initial_ms + 10});
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_EQUAL(s.compensations(0).attempts(), 2u);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
}

CAF_TEST_FIXTURE_SCOPE_END()
