// The redemption saga's decide and apply through the entity harness, message by message:
// the three sends at once, completion, compensation of the succeeded branches, late
// successes, unknown outcomes, compensation retries and the parked state.
#define CAF_SUITE loyalty.redemption_logic
#include "caf/test/unit_test.hpp"

#include "actors/redemption/redemption.hpp"
#include "envelope.pb.h"
#include "points.pb.h"
#include "reward.pb.h"
#include "tests/actors/loyalty/loyalty_fixture.hpp"
#include "tests/support/entity_harness.hpp"

using namespace sagaforge;
using namespace sagaforge::redemption;
using sagaforge::testing::run_command;

namespace {

struct saga_fixture {
  loyalty::loyalty_config cfg = loyalty::testing::test_config();
  entity_logic_ptr logic = make_redemption_logic(cfg);
  RedemptionState state;
  int64_t now = 1000;

  auto run(const inbound& in) {
    auto r = run_command<RedemptionState, RedemptionEvent>(*logic, state, in, now,
                                                           "redemption/s1");
    CAF_CHECK(r.round_trip_ok);
    state = r.state;
    return r;
  }

  template <class T>
  auto from(const std::string& sender, const T& msg) {
    return run(inbound::of(msg, sender, false));
  }

  template <class T>
  auto internal(const T& msg) {
    return run(inbound::of(msg, "", false));
  }

  auto start(int64_t cost = 100) {
    StartRedemption s;
    s.set_customer_id("c1");
    s.set_reward_id("r1");
    s.set_expected_cost(cost);
    return run(inbound::of(s));
  }

  auto deducted() {
    points::PointsDeducted m;
    m.set_transaction_id("s1");
    m.set_points(100);
    return from("points/c1", m);
  }

  auto validated() {
    reward::RewardValidated m;
    m.set_redemption_id("s1");
    m.set_name("mug");
    return from("reward/r1", m);
  }

  auto allocated() {
    reward::InventoryAllocated m;
    m.set_redemption_id("s1");
    return from("reward/r1", m);
  }

  auto allocation_failed() {
    reward::AllocationFailed m;
    m.set_redemption_id("s1");
    m.set_reason("out of stock");
    return from("reward/r1", m);
  }

  auto refunded() {
    points::PointsRefunded m;
    m.set_transaction_id("s1");
    m.set_points(100);
    return from("points/c1", m);
  }

  auto refund_failed_delivery() {
    DeliveryFailed df;
    df.set_receiver("points/c1");
    df.set_type(type_name_of<points::RefundPoints>());
    df.set_reason("max_attempts");
    return internal(df);
  }

  const CompensationEntry& ledger(size_t i) { return state.compensations(static_cast<int>(i)); }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(redemption_logic_tests, saga_fixture)

CAF_TEST(start records the saga and sends the three commands at once with a timeout) {
  auto r = start();
  CAF_REQUIRE_EQUAL(r.events.size(), 2u);
  CAF_CHECK(r.events[0].has_started());
  CAF_CHECK(r.events[1].has_dispatched());
  CAF_REQUIRE_EQUAL(r.sends.size(), 3u);
  CAF_CHECK_EQUAL(r.sends[0].to, "points/c1");
  CAF_CHECK_EQUAL(r.sends[0].msg.type, type_name_of<points::DeductPoints>());
  CAF_CHECK_EQUAL(r.sends[1].msg.type, type_name_of<reward::ValidateReward>());
  CAF_CHECK_EQUAL(r.sends[2].msg.type, type_name_of<reward::AllocateRewardInventory>());
  CAF_CHECK_EQUAL(r.sends[2].to, "reward/r1");
  CAF_REQUIRE_EQUAL(r.timers_set.size(), 1u);
  CAF_CHECK_EQUAL(r.timers_set[0].delay_ms, cfg.saga_timeout_ms);
  CAF_CHECK_EQUAL(state.status(), AWAITING_EVENTS);
  CAF_CHECK_EQUAL(state.points().sent_at_ms(), 1000);
  CAF_CHECK(r.reply_as<RedemptionState>());
  auto again = start();  // re-sent Start: same answer, nothing new
  CAF_CHECK(again.events.empty() && again.sends.empty() && !again.rejection);
  CAF_CHECK(start(99).rejection);
}

CAF_TEST(three successes complete the saga and cancel the timeout) {
  start();
  deducted();
  CAF_CHECK_EQUAL(state.status(), AWAITING_EVENTS);
  validated();
  now = 1500;
  auto r = allocated();
  CAF_CHECK_EQUAL(state.status(), COMPLETED);
  CAF_CHECK_EQUAL(state.reward_name(), "mug");
  CAF_CHECK_EQUAL(state.finished_at_ms(), 1500);
  CAF_CHECK(is_settled(state));
  CAF_REQUIRE_EQUAL(r.timers_cancelled.size(), 1u);
  CAF_CHECK(r.sends.empty());
  CAF_CHECK(deducted().events.empty());  // a second answer changes nothing
}

CAF_TEST(a failure compensates only the branches that succeeded) {
  start();
  deducted();
  auto r = allocation_failed();
  CAF_CHECK_EQUAL(state.status(), COMPENSATING);
  CAF_CHECK_EQUAL(state.reason(), "inventory: out of stock");
  CAF_REQUIRE_EQUAL(r.sends.size(), 1u);  // RefundPoints only: no release, no validation undo
  CAF_CHECK_EQUAL(r.sends[0].msg.type, type_name_of<points::RefundPoints>());
  CAF_CHECK(validated().sends.empty());
  CAF_CHECK(!is_settled(state));  // the refund is not confirmed yet
  refunded();
  CAF_CHECK_EQUAL(state.status(), COMPENSATED);
  CAF_CHECK(is_settled(state));
  CAF_CHECK_EQUAL(ledger(0).status(), COMP_DONE);
}

CAF_TEST(answers from the wrong participant or for another redemption are ignored) {
  start();
  points::PointsDeducted m;
  m.set_transaction_id("s1");
  CAF_CHECK(from("points/intruder", m).events.empty());
  m.set_transaction_id("s2");
  CAF_CHECK(from("points/c1", m).events.empty());
  CAF_CHECK_EQUAL(state.points().outcome(), PENDING);
}

CAF_TEST(a success after the timeout is compensated as well) {
  start();
  deducted();
  validated();
  now = 1000 + cfg.saga_timeout_ms;
  auto t = internal(RedemptionTimeout{});
  CAF_CHECK_NOT_EQUAL(state.reason().find("waiting for inventory"), std::string::npos);
  CAF_REQUIRE_EQUAL(t.sends.size(), 1u);  // refund the points
  refunded();
  CAF_CHECK_EQUAL(state.status(), COMPENSATED);
  CAF_CHECK(!is_settled(state));  // the inventory answer is still out
  auto late = allocated();
  CAF_CHECK(state.inventory().late());
  CAF_REQUIRE_EQUAL(late.sends.size(), 1u);
  CAF_CHECK_EQUAL(late.sends[0].msg.type, type_name_of<reward::ReleaseRewardInventory>());
  CAF_CHECK_EQUAL(state.status(), COMPENSATING);
  reward::InventoryReleased rel;
  rel.set_redemption_id("s1");
  rel.set_released(true);
  from("reward/r1", rel);
  CAF_CHECK_EQUAL(state.status(), COMPENSATED);
  CAF_CHECK(is_settled(state));
}

CAF_TEST(an unknown outcome is compensated like a success) {
  start();
  DeliveryFailed df;
  df.set_receiver("points/c1");
  df.set_type(type_name_of<points::DeductPoints>());
  df.set_reason("max_age");
  auto r = internal(df);
  CAF_CHECK_EQUAL(state.points().outcome(), UNKNOWN);
  CAF_CHECK_EQUAL(state.status(), COMPENSATING);
  CAF_REQUIRE_EQUAL(r.sends.size(), 1u);
  CAF_CHECK_EQUAL(r.sends[0].msg.type, type_name_of<points::RefundPoints>());
  CAF_CHECK(deducted().sends.empty());  // the real answer later: already being undone
  CAF_CHECK_EQUAL(state.points().outcome(), SUCCEEDED);
}

CAF_TEST(a failed compensation delivery is retried after a backoff then parks the saga) {
  start();
  deducted();
  validated();
  allocation_failed();
  for (uint32_t attempt = 1; attempt < static_cast<uint32_t>(cfg.compensation_attempts_max);
       ++attempt) {
    auto r = refund_failed_delivery();
    CAF_REQUIRE_EQUAL(r.timers_set.size(), 1u);
    CAF_CHECK_EQUAL(r.timers_set[0].delay_ms, cfg.compensation_backoff_initial_ms << (attempt - 1));
    CAF_CHECK_EQUAL(ledger(0).status(), COMP_RETRY_WAIT);
    RetryCompensation rc;
    rc.set_branch(POINTS);
    auto resend = internal(rc);
    CAF_REQUIRE_EQUAL(resend.sends.size(), 1u);
    CAF_CHECK_EQUAL(ledger(0).attempts(), attempt + 1);
  }
  refund_failed_delivery();
  CAF_CHECK_EQUAL(state.status(), COMPENSATION_FAILED);
  CAF_CHECK_EQUAL(ledger(0).status(), COMP_FAILED);
  CAF_CHECK(is_settled(state));  // parked: visible, nothing in flight
  auto retry = run(inbound::of(RetryCompensations{}));
  CAF_REQUIRE_EQUAL(retry.sends.size(), 1u);
  CAF_CHECK_EQUAL(ledger(0).attempts(), 1u);
  refunded();
  CAF_CHECK_EQUAL(state.status(), COMPENSATED);
}

CAF_TEST(a rejected forward command fails its branch and a rejected compensation parks) {
  start();
  allocated();
  Rejected rj;
  rj.set_reason("ledger full");
  rj.set_command_type(type_name_of<points::DeductPoints>());
  from("points/c1", rj);
  CAF_CHECK_EQUAL(state.points().outcome(), FAILED_RESULT);
  CAF_CHECK_EQUAL(state.status(), COMPENSATING);  // release of the allocated unit
  rj.set_command_type(type_name_of<reward::ReleaseRewardInventory>());
  from("reward/r1", rj);
  CAF_CHECK_EQUAL(state.status(), COMPENSATION_FAILED);
}

CAF_TEST(invalid starts are rejected and record nothing) {
  StartRedemption s;
  s.set_customer_id("c1");
  s.set_reward_id("r1");
  s.set_expected_cost(-5);
  auto r = run(inbound::of(s));
  CAF_REQUIRE(r.rejection);
  CAF_CHECK_NOT_EQUAL(r.rejection->find("expected_cost"), std::string::npos);
  s.set_expected_cost(5);
  s.set_customer_id("no spaces allowed");
  CAF_CHECK(run(inbound::of(s)).rejection);
  CAF_CHECK(r.events.empty() && r.sends.empty() && r.timers_set.empty());
  CAF_CHECK(run(inbound::of(reward::GetReward{})).rejection);  // never started
  CAF_CHECK_EQUAL(state.status(), NEW);
}

CAF_TEST(the configuration check names the value out of range) {
  CAF_CHECK_EQUAL(loyalty::check_loyalty_config(loyalty::loyalty_config{}), "");
  CAF_CHECK_EQUAL(loyalty::check_loyalty_config(cfg), "");
  auto bad = cfg;
  bad.saga_timeout_ms = 0;
  auto what = loyalty::check_loyalty_config(bad);
  CAF_CHECK_NOT_EQUAL(what.find("saga_timeout_ms = 0"), std::string::npos);
  bad = cfg;
  bad.compensation_backoff_max_ms = bad.compensation_backoff_initial_ms - 1;
  CAF_CHECK_NOT_EQUAL(loyalty::check_loyalty_config(bad).find("compensation_backoff_max_ms"),
                      std::string::npos);
  CAF_CHECK_EQUAL(loyalty::points_for_order(cfg, 199), 1);
  CAF_CHECK_EQUAL(loyalty::points_for_order(cfg, -500), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
