// Scenario 2: insufficient points -> Failed or Compensated, the reward unit released if it
// was allocated, the balance unchanged.
#define CAF_SUITE loyalty.insufficient_points
#include "caf/test/dsl.hpp"

#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;

CAF_TEST(insufficient points compensate the allocated unit and leave the balance) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  earn(node, "c1", 60);
  define_reward(node, "r1", 100, 5);
  start(node, "s1", "c1", "r1", 100);
  node.run();
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_NOT_EQUAL(s.reason().find("insufficient points"), std::string::npos);
  CAF_CHECK_EQUAL(s.points().outcome(), FAILED_RESULT);
  CAF_CHECK_EQUAL(s.inventory().outcome(), SUCCEEDED);
  CAF_REQUIRE_EQUAL(s.compensations_size(), 1);  // the release only: no points to refund
  CAF_CHECK_EQUAL(s.compensations(0).branch(), INVENTORY);
  CAF_CHECK_EQUAL(s.compensations(0).status(), COMP_DONE);
  CAF_CHECK(is_settled(s));
  auto a = account(node, "c1");
  CAF_CHECK_EQUAL(a.balance(), 60);
  CAF_CHECK_EQUAL(a.spent(), 0);
  auto r = reward_of(node, "r1");
  CAF_CHECK_EQUAL(r.stock(), 5);
  CAF_CHECK_EQUAL(held_units(r), 0);
}

CAF_TEST(insufficient points with nothing else to undo end in Failed) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  earn(node, "c1", 60);
  define_reward(node, "r1", 100, 0);  // no stock either: no branch succeeded but validation
  start(node, "s1", "c1", "r1", 100);
  node.run();
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), FAILED);
  CAF_CHECK_EQUAL(s.compensations_size(), 0);
  CAF_CHECK(is_settled(s));
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 60);
  CAF_CHECK_EQUAL(reward_of(node, "r1").stock(), 0);
  CAF_CHECK_EQUAL(node.report("redemption/s1").timers(), 0u);
}

CAF_TEST(an account that never earned anything declines without going negative) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  define_reward(node, "r1", 100, 5);
  start(node, "s1", "nobody", "r1", 100);
  node.run();
  CAF_CHECK_EQUAL(saga(node, "s1").status(), COMPENSATED);
  CAF_CHECK_EQUAL(account(node, "nobody").balance(), 0);
  CAF_CHECK_EQUAL(reward_of(node, "r1").stock(), 5);
}
