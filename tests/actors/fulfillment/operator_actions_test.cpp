// The operator's actions on a stuck fulfillment saga, as messages on the test coordinator
// (no time passes unless a case says so): RetryNow resends a step in backoff at once as a
// counted attempt; CompensateNow stops a running saga and cancels the order; a parcel already
// in transit parks the compensation, RetryNow re-opens it (parked again), SkipCompensation
// skips that undo and finishes the rest (COMPENSATED_WITH_SKIPS); an action the saga's state
// does not allow is rejected and changes nothing. The plan the admin API previews is checked
// against what the saga did.
#define CAF_SUITE fulfillment.operator_actions
#include "caf/test/dsl.hpp"

#include "actors/fulfillment/saga.hpp"
#include "actors/fulfillment/saga_operator.hpp"
#include "tests/actors/fulfillment/fixture.hpp"

using namespace std::chrono_literals;
using namespace sagaforge;
using namespace sagaforge::fulfillment;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

struct fixture : node_fixture {
  fixture() {
    restock(*node, "SKU-0000", 10);
    restock(*node, "SKU-0001", 10);
  }

  /// Sends an operator command to the saga; returns its ack (reply or rejection).
  template <class T>
  Ack command(const std::string& id, const T& msg) {
    auto seq = node->send("fulfillment/" + id, msg);
    node->run();
    auto* ack = node->ack_for("fulfillment/" + id, seq);
    CAF_REQUIRE(ack != nullptr);
    return *ack;
  }

  /// An order whose shipment keeps failing (flaky:99): the saga waits in the ship step's backoff.
  void stuck_on_shipping(const std::string& id) {
    place(*node, create(id, "CUST-1", {{"SKU-0000", 1, 500}, {"SKU-0001", 2, 250}}, "", "flaky:99"));
    node->run();
    auto s = saga_of(*node, id);
    CAF_REQUIRE_EQUAL(s.status(), SagaState::RUNNING);
    CAF_REQUIRE_EQUAL(s.steps(3).status(), SagaStep::RETRY_WAIT);
  }

  /// The carrier took the parcel meanwhile (scheduled and dispatched by hand): its
  /// cancellation can no longer succeed.
  void parcel_in_transit(const std::string& id) {
    shipment::Schedule sc;
    sc.set_order_id(id);
    sc.set_ship_to("flaky:99");
    sc.set_items(3);
    sc.set_attempt(100);
    node->send("shipment/" + id, sc);
    node->send("shipment/" + id, shipment::Dispatch{});
    node->run();
    CAF_REQUIRE_EQUAL(std::string{shipment_of(*node, id).state()}, "IN_TRANSIT");
  }

  bool ledger_has(const SagaState& s, const std::string& kind, const std::string& step) {
    for (auto& e : s.ledger())
      if (e.kind() == kind && e.step() == step)
        return true;
    return false;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(operator_actions, fixture)

CAF_TEST(retry now resends a step in backoff at once as a counted attempt) {
  place(*node, create("ORD-R", "CUST-1", {{"SKU-0000", 1, 500}}, "", "flaky:2"));
  node->run();
  auto before = saga_of(*node, "ORD-R");
  CAF_REQUIRE_EQUAL(before.steps(2).status(), SagaStep::RETRY_WAIT);
  CAF_REQUIRE_EQUAL(before.steps(2).attempts(), 1u);
  auto plan = plan_operator_action(before, operator_action::retry);
  CAF_CHECK(plan.ok());
  CAF_CHECK_EQUAL(plan.step, 2);
  CAF_CHECK_EQUAL(plan.what, "send ship to flaky:2 again now as attempt 2 instead of after its backoff");
  RetryNow retry;
  retry.set_note("carrier says it is back");
  auto ack = command("ORD-R", retry);
  CAF_CHECK_EQUAL(ack.reply_error(), "");
  CAF_CHECK_EQUAL(ack.reply_type(), type_name_of<SagaState>());
  auto mid = saga_of(*node, "ORD-R");
  CAF_CHECK_EQUAL(mid.steps(2).attempts(), 2u);  // flaky:2 fails attempt 2 as well
  CAF_CHECK_EQUAL(mid.steps(2).status(), SagaStep::RETRY_WAIT);
  CAF_CHECK(ledger_has(mid, "operator", "ship to flaky:2"));
  CAF_CHECK_EQUAL(mid.ledger(mid.ledger_size() - 1).detail(), "retry: carrier says it is back");
  command("ORD-R", RetryNow{});  // attempt 3 succeeds, with no time passed
  auto done = saga_of(*node, "ORD-R");
  CAF_CHECK_EQUAL(done.status(), SagaState::COMPLETED);
  CAF_CHECK_EQUAL(done.steps(2).attempts(), 3u);
  CAF_CHECK_EQUAL(std::string{order_of(*node, "ORD-R").status()}, "CONFIRMED");
  // The retry timer of the superseded attempt finds nothing to do.
  pass_time(*node, 10s);
  CAF_CHECK_EQUAL(saga_of(*node, "ORD-R").steps(2).attempts(), 3u);
}

CAF_TEST(compensate now stops a running saga and cancels the order) {
  stuck_on_shipping("ORD-C");
  auto plan = plan_operator_action(saga_of(*node, "ORD-C"), operator_action::compensate);
  CAF_CHECK_EQUAL(plan.what, "stop at ship to flaky:99 and undo ship to flaky:99, charge 1000 "
                             "cents, reserve SKU-0001 x2, reserve SKU-0000 x1; the order is "
                             "cancelled");
  CompensateNow c;
  c.set_reason("customer called support");
  auto ack = command("ORD-C", c);
  CAF_CHECK_EQUAL(ack.reply_error(), "");
  auto s = saga_of(*node, "ORD-C");
  CAF_CHECK_EQUAL(s.status(), SagaState::COMPENSATED);
  CAF_CHECK_EQUAL(s.reason(), "compensated by operator: customer called support");
  CAF_CHECK(ledger_has(s, "operator", "ship to flaky:99"));
  CAF_CHECK_EQUAL(s.steps(3).status(), SagaStep::COMPENSATED);
  auto o = order_of(*node, "ORD-C");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_EQUAL(o.reason(), "compensated by operator: customer called support");
  CAF_CHECK_EQUAL(payment_of(*node, "ORD-C").status(), payment::PaymentState::REFUNDED);
  for (auto sku : {"SKU-0000", "SKU-0001"}) {
    CAF_CHECK(conserved(stock_of(*node, sku)));
    CAF_CHECK_EQUAL(stock_of(*node, sku).available(), 10);
  }
  // The pending retry timer was cancelled with the step: nothing is sent any more.
  pass_time(*node, 10s);
  CAF_CHECK_EQUAL(saga_of(*node, "ORD-C").steps(3).attempts(), 1u);
}

CAF_TEST(skip finishes a compensation parked on a parcel in transit) {
  stuck_on_shipping("ORD-K");
  parcel_in_transit("ORD-K");
  command("ORD-K", CompensateNow{});
  auto parked = saga_of(*node, "ORD-K");
  CAF_REQUIRE_EQUAL(parked.status(), SagaState::COMPENSATION_FAILED);
  CAF_CHECK_EQUAL(parked.reason(), "cannot undo ship to flaky:99: the parcel is already IN_TRANSIT");
  CAF_CHECK_EQUAL(parked.steps(3).status(), SagaStep::COMPENSATING);
  // Retry of the parked undo: re-opened, refused again by the carrier, parked again.
  auto retry_plan = plan_operator_action(parked, operator_action::retry);
  CAF_CHECK_EQUAL(retry_plan.what,
                  "re-open the compensation: send the undo of ship to flaky:99 again now as undo "
                  "attempt 2");
  CAF_CHECK_EQUAL(std::string{command("ORD-K", RetryNow{}).reply_error()}, "");
  auto again = saga_of(*node, "ORD-K");
  CAF_CHECK_EQUAL(again.status(), SagaState::COMPENSATION_FAILED);
  CAF_CHECK_EQUAL(again.steps(3).compensation_attempts(), 2u);
  // Naming another step than the parked one is refused.
  SkipCompensation wrong;
  wrong.set_step(0);
  CAF_CHECK_EQUAL(std::string{command("ORD-K", wrong).reply_error()},
                  "step 0 is not the parked one; the parked undo is step 3 (ship to flaky:99)");
  CAF_CHECK_EQUAL(saga_of(*node, "ORD-K").status(), SagaState::COMPENSATION_FAILED);
  auto plan = plan_operator_action(again, operator_action::skip);
  CAF_CHECK_EQUAL(plan.what,
                  "skip the undo of ship to flaky:99 (cannot undo ship to flaky:99: the parcel is "
                  "already IN_TRANSIT), then undo charge 1000 cents, reserve SKU-0001 x2, reserve "
                  "SKU-0000 x1; the saga ends COMPENSATED_WITH_SKIPS");
  SkipCompensation skip;
  skip.set_step(3);
  skip.set_note("parcel recalled by phone");
  auto ack = command("ORD-K", skip);
  CAF_CHECK_EQUAL(ack.reply_error(), "");
  auto s = saga_of(*node, "ORD-K");
  CAF_CHECK_EQUAL(s.status(), SagaState::COMPENSATED_WITH_SKIPS);
  CAF_CHECK_EQUAL(s.steps(3).status(), SagaStep::SKIPPED);
  CAF_CHECK_EQUAL(s.steps(2).status(), SagaStep::COMPENSATED);
  CAF_CHECK_EQUAL(s.steps(0).status(), SagaStep::COMPENSATED);
  CAF_CHECK(ledger_has(s, "skipped", "ship to flaky:99"));
  CAF_CHECK(is_settled(s));
  CAF_CHECK_EQUAL(std::string{order_of(*node, "ORD-K").status()}, "CANCELLED");
  CAF_CHECK_EQUAL(payment_of(*node, "ORD-K").status(), payment::PaymentState::REFUNDED);
  for (auto sku : {"SKU-0000", "SKU-0001"}) {
    CAF_CHECK(conserved(stock_of(*node, sku)));
    CAF_CHECK_EQUAL(stock_of(*node, sku).available(), 10);
  }
  CAF_CHECK_EQUAL(std::string{shipment_of(*node, "ORD-K").state()}, "IN_TRANSIT");  // skipped: left as it is
}

CAF_TEST(an action the saga state does not allow is rejected and changes nothing) {
  place(*node, create("ORD-D", "CUST-1", {{"SKU-0000", 1, 500}}));
  node->run();
  CAF_REQUIRE_EQUAL(saga_of(*node, "ORD-D").status(), SagaState::COMPLETED);
  auto records = node->report("fulfillment/ORD-D").event_seq();
  CAF_CHECK_EQUAL(std::string{command("ORD-D", SkipCompensation{}).reply_error()},
                  "saga is COMPLETED: only a COMPENSATION_FAILED saga has a compensation to skip");
  CAF_CHECK_EQUAL(std::string{command("ORD-D", CompensateNow{}).reply_error()},
                  "saga is COMPLETED: only a RUNNING saga can be compensated");
  CAF_CHECK_EQUAL(std::string{command("ORD-D", RetryNow{}).reply_error()},
                  "saga is COMPLETED: it waits on no step, nothing to retry");
  CAF_CHECK_EQUAL(node->report("fulfillment/ORD-D").event_seq(), records);
  stuck_on_shipping("ORD-E");
  CAF_CHECK_EQUAL(std::string{command("ORD-E", SkipCompensation{}).reply_error()},
                  "saga is RUNNING: only a COMPENSATION_FAILED saga has a compensation to skip");
  CAF_CHECK_EQUAL(saga_of(*node, "ORD-E").status(), SagaState::RUNNING);
}

CAF_TEST_FIXTURE_SCOPE_END()
