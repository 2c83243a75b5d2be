// Scenario 6: a branch's success arrives after the timeout -> it is compensated as well and
// the final balances are correct.
#define CAF_SUITE loyalty.late_success
#include "caf/test/dsl.hpp"

#include "actors/points/points.hpp"
#include "actors/reward/reward.hpp"
#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;
using namespace std::chrono_literals;

CAF_TEST(an allocation that succeeds after the timeout is released) {
  auto cfg = test_config();
  auto late = holding_logic(reward::make_reward_logic(cfg),
                            type_name_of<reward::AllocateRewardInventory>(),
                            cfg.saga_timeout_ms + 5000);
  auto st = std::make_shared<memory_store>();
  test_node node{st, with_type(loyalty_types(cfg), late)};
  earn(node, "c1", 500);
  define_reward(node, "r1", 100, 5);
  start(node, "s1", "c1", "r1", 100);
  node.run();
  node.advance(std::chrono::milliseconds{cfg.saga_timeout_ms + 1000});
  auto timed_out = saga(node, "s1");
  CAF_CHECK_EQUAL(timed_out.status(), COMPENSATED);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
  CAF_CHECK_EQUAL(reward_of(node, "r1").stock(), 5);
  node.advance(5000ms);  // the allocation happens now, and its success reaches the saga
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_EQUAL(s.inventory().outcome(), SUCCEEDED);
  CAF_CHECK(s.inventory().late());
  CAF_CHECK(is_settled(s));
  CAF_REQUIRE_EQUAL(s.compensations_size(), 2);
  for (auto& e : s.compensations())
    CAF_CHECK_EQUAL(e.status(), COMP_DONE);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
  auto r = reward_of(node, "r1");
  CAF_CHECK_EQUAL(r.stock(), 5);
  CAF_CHECK_EQUAL(held_units(r), 0);
  CAF_CHECK_EQUAL(r.stocked_total(), r.stock() + held_units(r));
}

CAF_TEST(a deduction that succeeds after the saga failed is refunded) {
  auto cfg = test_config();
  auto slow_points = holding_logic(points::make_points_logic(cfg),
                                   type_name_of<points::DeductPoints>(), 50);
  auto st = std::make_shared<memory_store>();
  test_node node{st, with_type(loyalty_types(cfg), slow_points)};
  earn(node, "c1", 500);
  define_reward(node, "r1", 100, 0);  // the allocation fails at once
  start(node, "s1", "c1", "r1", 100);
  node.run();
  auto failed = saga(node, "s1");
  CAF_CHECK_EQUAL(failed.status(), FAILED);  // nothing to undo yet
  CAF_CHECK(!is_settled(failed));             // the points answer is still out
  node.advance(60ms);
  auto s = saga(node, "s1");
  CAF_CHECK(s.points().late());
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_REQUIRE_EQUAL(s.compensations_size(), 1);
  CAF_CHECK_EQUAL(s.compensations(0).branch(), POINTS);
  auto a = account(node, "c1");
  CAF_CHECK_EQUAL(a.balance(), 500);
  CAF_CHECK_EQUAL(a.refunded(), 100);
}
