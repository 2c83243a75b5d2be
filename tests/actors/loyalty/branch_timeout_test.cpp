// Scenario 5: one branch never answers -> the saga's durable timeout fires -> the branches
// that succeeded are compensated; the silent branch stays visible as pending.
#define CAF_SUITE loyalty.branch_timeout
#include "caf/test/dsl.hpp"

#include "actors/reward/reward.hpp"
#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;
using namespace std::chrono_literals;

CAF_TEST(a branch that never answers times out and the others are compensated) {
  auto cfg = test_config();
  auto silent = holding_logic(reward::make_reward_logic(cfg),
                              type_name_of<reward::AllocateRewardInventory>(), -1);
  auto st = std::make_shared<memory_store>();
  test_node node{st, with_type(loyalty_types(cfg), silent)};
  earn(node, "c1", 500);
  define_reward(node, "r1", 100, 5);
  start(node, "s1", "c1", "r1", 100);
  node.run();
  node.advance(std::chrono::milliseconds{cfg.saga_timeout_ms - 1000});
  auto waiting = saga(node, "s1");
  CAF_CHECK_EQUAL(waiting.status(), AWAITING_EVENTS);
  CAF_CHECK_EQUAL(waiting.inventory().outcome(), PENDING);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 400);
  node.advance(2000ms);
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_NOT_EQUAL(s.reason().find("timed out"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(s.reason().find("inventory"), std::string::npos);
  CAF_CHECK_EQUAL(s.inventory().outcome(), PENDING);
  CAF_CHECK(!is_settled(s));  // an answer may still come: it would be undone too
  CAF_REQUIRE_EQUAL(s.compensations_size(), 1);
  CAF_CHECK_EQUAL(s.compensations(0).branch(), POINTS);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
  CAF_CHECK_EQUAL(reward_of(node, "r1").stock(), 5);
  CAF_CHECK_EQUAL(node.report("redemption/s1").timers(), 0u);
}

CAF_TEST(the timeout survives a crash and fires after the restart) {
  auto cfg = test_config();
  auto silent = holding_logic(reward::make_reward_logic(cfg),
                              type_name_of<reward::AllocateRewardInventory>(), -1);
  auto types = with_type(loyalty_types(cfg), silent);
  auto st = std::make_shared<memory_store>();
  int64_t clock = 0;
  {
    test_node node{st, types};
    earn(node, "c1", 500);
    define_reward(node, "r1", 100, 5);
    start(node, "s1", "c1", "r1", 100);
    node.run();
    clock = node.now_ms();
  }
  test_node node{st, types, sagaforge::testing::test_settings(), clock + cfg.saga_timeout_ms};
  node.run();
  node.advance(10ms);
  CAF_CHECK_EQUAL(saga(node, "s1").status(), COMPENSATED);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
}
