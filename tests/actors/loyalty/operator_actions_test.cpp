// The operator's actions on a stuck redemption saga, as messages on the test coordinator:
// RetryCompensations resends a compensation in backoff at once (and a given-up one with its
// attempts started over); CompensateNow fails a saga still waiting on a branch and compensates
// what succeeded (a later success is undone too); SkipCompensation skips a given-up refund and
// the saga ends COMPENSATED_WITH_SKIPS; actions the state does not allow are rejected and
// change nothing. The plan the admin API previews is checked against what the saga did.
#define CAF_SUITE loyalty.operator_actions
#include "caf/test/dsl.hpp"

#include "actors/points/points.hpp"
#include "actors/redemption/redemption_operator.hpp"
#include "actors/reward/reward.hpp"
#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;
using namespace std::chrono_literals;

namespace {

/// Refunds are poison at the account while `broken` is set.
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

  template <class T>
  Ack command(const std::string& id, const T& msg) {
    auto seq = node.send("redemption/" + id, msg);
    node.run();
    auto* ack = node.ack_for("redemption/" + id, seq);
    CAF_REQUIRE(ack != nullptr);
    return *ack;
  }

  void park(const std::string& id) {
    start(node, id, "c1", "r1", 100);
    node.run();
    for (int i = 0; i < 2 * cfg.compensation_attempts_max; ++i)
      node.advance(std::chrono::milliseconds{cfg.compensation_backoff_max_ms});
    CAF_REQUIRE_EQUAL(saga(node, id).status(), COMPENSATION_FAILED);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(operator_actions, fixture)

CAF_TEST(retry sends a compensation in backoff at once) {
  start(node, "s1", "c1", "r1", 100);
  node.run();
  auto waiting = saga(node, "s1");
  CAF_REQUIRE_EQUAL(waiting.compensations(0).status(), COMP_RETRY_WAIT);
  auto plan = plan_operator_action(waiting, operator_action::retry);
  CAF_CHECK_EQUAL(plan.what, "send the compensation of points now instead of after its backoff");
  broken->store(false);
  auto ack = command("s1", RetryCompensations{});  // no time passes
  CAF_CHECK_EQUAL(ack.reply_error(), "");
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_EQUAL(s.compensations(0).attempts(), 2u);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
  CAF_CHECK_EQUAL(node.report("redemption/s1").timers(), 0u);  // the backoff timer is gone
}

CAF_TEST(skip ends a parked saga compensated with skips) {
  park("s2");
  auto parked = saga(node, "s2");
  auto plan = plan_operator_action(parked, operator_action::skip);
  CAF_CHECK(plan.ok());
  CAF_CHECK_EQUAL(plan.step, "points");
  CAF_CHECK_EQUAL(plan.what, "skip the compensation of points; the saga ends "
                             "COMPENSATED_WITH_SKIPS once nothing else is open");
  SkipCompensation wrong;
  wrong.set_branch(INVENTORY);
  CAF_CHECK_EQUAL(std::string{command("s2", wrong).reply_error()},
                  "no given-up compensation of inventory; given up: points");
  CAF_CHECK_EQUAL(std::string{command("s2", CompensateNow{}).reply_error()},
                  "saga is COMPENSATION_FAILED: only a saga still waiting on its branches "
                  "(STARTED, AWAITING_EVENTS) can be compensated");
  SkipCompensation skip;
  skip.set_note("points credited by hand");
  auto ack = command("s2", skip);
  CAF_CHECK_EQUAL(ack.reply_error(), "");
  auto s = saga(node, "s2");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED_WITH_SKIPS);
  CAF_CHECK_EQUAL(status_name(s.status()), std::string{"CompensatedWithSkips"});
  CAF_CHECK_EQUAL(s.compensations(0).status(), COMP_SKIPPED);
  CAF_CHECK_EQUAL(s.compensations(0).detail(), "skipped by operator: points credited by hand");
  CAF_CHECK(is_settled(s));
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 400);  // skipped: the refund never happened
  CAF_CHECK_EQUAL(std::string{command("s2", SkipCompensation{}).reply_error()},
                  "saga is COMPENSATED_WITH_SKIPS: only a COMPENSATION_FAILED saga has a "
                  "compensation to skip");
}

CAF_TEST(retry of a parked saga starts its attempts over) {
  park("s3");
  broken->store(false);
  auto ack = command("s3", RetryCompensations{});
  CAF_CHECK_EQUAL(ack.reply_error(), "");
  auto s = saga(node, "s3");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_EQUAL(s.compensations(0).attempts(), 1u);
  CAF_CHECK_EQUAL(std::string{command("s3", RetryCompensations{}).reply_error()},
                  "saga is COMPENSATED with no compensation given up or backing off: nothing to "
                  "retry (the runtime resends unacknowledged commands itself)");
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST(compensate now fails a saga waiting on a branch and undoes what succeeded) {
  auto cfg = test_config();
  auto slow = holding_logic(reward::make_reward_logic(cfg),
                            type_name_of<reward::AllocateRewardInventory>(), 3'600'000);
  auto st = std::make_shared<memory_store>();
  test_node node{st, with_type(loyalty_types(cfg), slow)};
  earn(node, "c1", 500);
  define_reward(node, "r1", 100, 5);
  start(node, "s1", "c1", "r1", 100);
  node.run();
  auto waiting = saga(node, "s1");
  CAF_REQUIRE_EQUAL(waiting.status(), AWAITING_EVENTS);
  CAF_REQUIRE_EQUAL(waiting.inventory().outcome(), PENDING);
  auto plan = plan_operator_action(waiting, operator_action::compensate);
  CAF_CHECK_EQUAL(plan.what, "fail the redemption now and compensate points (a branch answering "
                             "later is compensated when it succeeds)");
  auto send = [&](const auto& msg) {
    auto seq = node.send("redemption/s1", msg);
    node.run();
    auto* ack = node.ack_for("redemption/s1", seq);
    CAF_REQUIRE(ack != nullptr);
    return std::string{ack->reply_error()};
  };
  CAF_CHECK_NOT_EQUAL(send(RetryCompensations{}).find("nothing to retry"), std::string::npos);
  CompensateNow c;
  c.set_reason("reward recalled");
  CAF_CHECK_EQUAL(send(c), "");
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(s.reason(), "compensated by operator: reward recalled");
  CAF_CHECK_EQUAL(s.status(), COMPENSATED);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
  // The held allocation answers an hour later: its unit is released as well.
  node.advance(std::chrono::milliseconds{3'600'000 + 1000});
  auto late = saga(node, "s1");
  CAF_CHECK_EQUAL(late.status(), COMPENSATED);
  CAF_CHECK_EQUAL(late.compensations_size(), 2);
  CAF_CHECK_EQUAL(reward_of(node, "r1").stock(), 5);
  CAF_CHECK(is_settled(late));
}
