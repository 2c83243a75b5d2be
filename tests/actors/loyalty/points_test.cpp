// The points account's decide and apply through the entity harness: earn, deduct, refund
// by transaction id, order credits once per order, reversals, bounds and rejections. Every
// event and state is round-tripped through Protobuf by the harness.
#define CAF_SUITE loyalty.points
#include "caf/test/unit_test.hpp"

#include "actors/points/points.hpp"
#include "order_events.pb.h"
#include "points.pb.h"
#include "tests/support/entity_harness.hpp"

using namespace sagaforge;
using namespace sagaforge::points;
using sagaforge::testing::run_command;

namespace {

struct account_fixture {
  entity_logic_ptr logic = make_points_logic();
  PointsState state;

  template <class T>
  auto run(const T& cmd, const std::string& sender = "client/test") {
    bool client = sender.rfind("client/", 0) == 0;  // entities never ask for replies
    auto r = run_command<PointsState, PointsEvent>(*logic, state,
                                                   inbound::of(cmd, sender, client), 1000,
                                                   "points/c1");
    CAF_CHECK(r.round_trip_ok);
    state = r.state;
    return r;
  }

  auto earn(int64_t n, const std::string& txn) {
    EarnPoints e;
    e.set_transaction_id(txn);
    e.set_points(n);
    return run(e);
  }

  auto deduct(int64_t n, const std::string& txn) {
    DeductPoints d;
    d.set_transaction_id(txn);
    d.set_points(n);
    return run(d, "redemption/" + txn);
  }

  auto refund(const std::string& txn) {
    RefundPoints r;
    r.set_transaction_id(txn);
    return run(r, "redemption/" + txn);
  }

  auto outcome(const std::string& order, const std::string& status, int64_t cents,
               const std::string& customer = "c1") {
    order::OrderOutcome o;
    o.set_order_id(order);
    o.set_customer_id(customer);
    o.set_status(status);
    o.set_total_cents(cents);
    return run(o, "order/" + order);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(points_tests, account_fixture)

CAF_TEST(earn and deduct move the balance and a re-sent deduction changes nothing) {
  earn(500, "e1");
  auto r = deduct(200, "t1");
  CAF_REQUIRE_EQUAL(r.events.size(), 1u);
  auto ok = r.reply_as<PointsDeducted>();
  CAF_REQUIRE(ok);
  CAF_CHECK_EQUAL(ok->balance(), 300);
  auto again = deduct(200, "t1");
  CAF_CHECK(again.events.empty());
  CAF_REQUIRE(again.reply_as<PointsDeducted>());
  CAF_CHECK_EQUAL(state.balance(), 300);
  CAF_CHECK_EQUAL(state.spent(), 200);
  CAF_CHECK(earn(500, "e1").events.empty());  // EarnPoints is idempotent by id too
  CAF_CHECK_EQUAL(state.balance(), 300);
}

CAF_TEST(a deduction beyond the balance is declined and recorded and never goes negative) {
  earn(100, "e1");
  auto r = deduct(150, "t1");
  auto failed = r.reply_as<PointsDeductionFailed>();
  CAF_REQUIRE(failed);
  CAF_CHECK_NOT_EQUAL(failed->reason().find("insufficient points"), std::string::npos);
  CAF_REQUIRE_EQUAL(r.events.size(), 1u);
  CAF_CHECK(r.events[0].has_declined());
  CAF_CHECK_EQUAL(state.balance(), 100);
  earn(100, "e2");  // now it would fit, but the transaction stays declined
  CAF_CHECK(deduct(150, "t1").reply_as<PointsDeductionFailed>());
  CAF_CHECK_EQUAL(state.balance(), 200);
}

CAF_TEST(a refund gives back what the transaction deducted exactly once) {
  earn(300, "e1");
  deduct(120, "t1");
  auto r = refund("t1");
  auto refunded = r.reply_as<PointsRefunded>();
  CAF_REQUIRE(refunded);
  CAF_CHECK_EQUAL(refunded->points(), 120);
  CAF_CHECK_EQUAL(state.balance(), 300);
  auto again = refund("t1");
  CAF_CHECK(again.events.empty());
  CAF_CHECK(again.reply_as<PointsRefunded>()->already());
  CAF_CHECK_EQUAL(state.balance(), 300);
  CAF_CHECK_EQUAL(state.earned() - state.spent() + state.refunded(), state.balance());
}

CAF_TEST(a refund before its deduction voids it so the late deduction is declined) {
  earn(300, "e1");
  auto r = refund("t9");
  CAF_REQUIRE_EQUAL(r.events.size(), 1u);
  CAF_CHECK(r.events[0].has_voided());
  CAF_CHECK_EQUAL(r.reply_as<PointsRefunded>()->points(), 0);
  auto late = deduct(100, "t9");
  CAF_CHECK(late.reply_as<PointsDeductionFailed>());
  CAF_CHECK_EQUAL(state.balance(), 300);
}

CAF_TEST(a confirmed order credits once and its refund takes the credit back once) {
  auto r = outcome("o1", "CONFIRMED", 12'345);  // 123 whole units
  CAF_REQUIRE_EQUAL(r.events.size(), 1u);
  CAF_CHECK(!r.reply);  // an entity sender gets no reply (it did not ask)
  CAF_CHECK_EQUAL(state.balance(), 123);
  CAF_CHECK(outcome("o1", "CONFIRMED", 12'345).events.empty());
  outcome("o2", "CONFIRMED", 99);  // less than one unit: credits 0
  CAF_CHECK_EQUAL(state.balance(), 123);
  CAF_CHECK(outcome("o3", "CANCELLED", 5000).events.empty());
  CAF_CHECK_EQUAL(outcome("o1", "REFUNDED", 12'345).events.size(), 1u);
  CAF_CHECK_EQUAL(state.balance(), 0);
  CAF_CHECK(outcome("o1", "REFUNDED", 12'345).events.empty());
  CAF_CHECK(outcome("o1", "CONFIRMED", 12'345).events.empty());  // stale: stays reversed
  CAF_CHECK_EQUAL(state.balance(), 0);
}

CAF_TEST(a reversal never takes the balance below zero and records the shortfall) {
  outcome("o1", "CONFIRMED", 10'000);
  deduct(80, "t1");
  outcome("o1", "REFUNDED", 10'000);
  CAF_CHECK_EQUAL(state.balance(), 0);
  CAF_CHECK_EQUAL(state.reversed(), 20);
  CAF_CHECK_EQUAL(state.unrecovered(), 80);
  CAF_CHECK_EQUAL(state.earned() - state.spent() + state.refunded() - state.reversed(),
                  state.balance());
}

CAF_TEST(the points per currency unit are configurable) {
  loyalty::loyalty_config cfg;
  cfg.points_per_currency_unit = 3;
  logic = make_points_logic(cfg);
  outcome("o1", "CONFIRMED", 1'050);
  CAF_CHECK_EQUAL(state.balance(), 30);
}

CAF_TEST(invalid commands are rejected without events) {
  CAF_CHECK(earn(-5, "e1").rejection);
  CAF_CHECK(earn(5, "").rejection);
  CAF_CHECK(deduct(0, "t1").rejection);
  CAF_CHECK(deduct(10, "bad id!").rejection);
  CAF_CHECK(refund("").rejection);
  auto other = outcome("o1", "CONFIRMED", 1000, "c2");
  CAF_REQUIRE(other.rejection);
  CAF_CHECK_NOT_EQUAL(other.rejection->find("c2"), std::string::npos);
  CAF_CHECK(outcome("o1", "SHIPPED", 1000).rejection);
  CAF_CHECK(outcome("o1", "CONFIRMED", -1).rejection);
  CAF_CHECK(run(PointsEvent{}).rejection);  // not a command
  CAF_CHECK_EQUAL(state.ByteSizeLong(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
