// Scenario 3: the reward is inactive -> validation fails; the points deducted are refunded
// and the unit allocated is released.
#define CAF_SUITE loyalty.reward_inactive
#include "caf/test/dsl.hpp"

#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;

CAF_TEST(an inactive reward refunds the points and releases the unit) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  earn(node, "c1", 500);
  define_reward(node, "r1", 100, 3, false);
  start(node, "s1", "c1", "r1", 100);
  node.run();
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_NOT_EQUAL(s.reason().find("not active"), std::string::npos);
  CAF_CHECK_EQUAL(s.validation().outcome(), FAILED_RESULT);
  CAF_REQUIRE_EQUAL(s.compensations_size(), 2);
  for (auto& e : s.compensations())
    CAF_CHECK_EQUAL(e.status(), COMP_DONE);
  auto a = account(node, "c1");
  CAF_CHECK_EQUAL(a.balance(), 500);
  CAF_CHECK_EQUAL(a.spent(), 100);
  CAF_CHECK_EQUAL(a.refunded(), 100);
  auto r = reward_of(node, "r1");
  CAF_CHECK_EQUAL(r.stock(), 3);
  CAF_CHECK_EQUAL(held_units(r), 0);
  CAF_REQUIRE_EQUAL(r.allocations_size(), 1);
  CAF_CHECK_EQUAL(r.allocations(0).status(), reward::ALLOCATION_RELEASED);
}

CAF_TEST(a cost that does not match the catalog is compensated the same way) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  earn(node, "c1", 500);
  define_reward(node, "r1", 100, 3);
  start(node, "s1", "c1", "r1", 80);  // the client saw an old price
  node.run();
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_NOT_EQUAL(s.reason().find("cost mismatch"), std::string::npos);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
  CAF_CHECK_EQUAL(reward_of(node, "r1").stock(), 3);
}
