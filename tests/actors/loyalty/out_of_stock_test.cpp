// Scenario 4: the reward runs out of stock after the points were deducted -> the points
// are refunded. The allocation answer is held back 50 ms so the deduction is certainly first.
#define CAF_SUITE loyalty.out_of_stock
#include "caf/test/dsl.hpp"

#include "actors/reward/reward.hpp"
#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;
using namespace std::chrono_literals;

CAF_TEST(out of stock after the deduction refunds the points) {
  auto cfg = test_config();
  auto slow_allocation =
    holding_logic(reward::make_reward_logic(cfg),
                  type_name_of<reward::AllocateRewardInventory>(), 50);
  auto st = std::make_shared<memory_store>();
  test_node node{st, with_type(loyalty_types(cfg), slow_allocation)};
  earn(node, "c1", 300);
  define_reward(node, "r1", 100, 1);
  start(node, "s1", "c1", "r1", 100);  // takes the last unit
  node.run();
  node.advance(60ms);
  CAF_REQUIRE_EQUAL(saga(node, "s1").status(), COMPLETED);
  start(node, "s2", "c1", "r1", 100);
  node.run();
  auto mid = saga(node, "s2");
  CAF_CHECK_EQUAL(mid.points().outcome(), SUCCEEDED);  // deducted ...
  CAF_CHECK_EQUAL(mid.inventory().outcome(), PENDING);  // ... the allocation not yet in
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 100);
  node.advance(60ms);
  auto s = saga(node, "s2");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_NOT_EQUAL(s.reason().find("out of stock"), std::string::npos);
  CAF_CHECK(s.points().resolved_at_ms() < s.inventory().resolved_at_ms());
  CAF_REQUIRE_EQUAL(s.compensations_size(), 1);
  CAF_CHECK_EQUAL(s.compensations(0).branch(), POINTS);
  auto a = account(node, "c1");
  CAF_CHECK_EQUAL(a.balance(), 200);
  CAF_CHECK_EQUAL(a.refunded(), 100);
  auto r = reward_of(node, "r1");
  CAF_CHECK_EQUAL(r.stock(), 0);
  CAF_CHECK_EQUAL(held_units(r), 1);  // s1's unit, untouched
}
