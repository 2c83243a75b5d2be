// Scenario 7: customer cancel. After payment but before the shipment is scheduled the cancel
// runs the compensation (refund + release; the shipment that was in doubt is cancelled too);
// after the shipment it is refused with a reason; repeating a cancel changes nothing.
#define CAF_SUITE fulfillment.customer_cancel
#include "caf/test/dsl.hpp"

#include "tests/actors/fulfillment/fixture.hpp"

using namespace std::chrono_literals;
using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

struct fixture : node_fixture {
  fixture() {
    restock(*node, "SKU-0000", 10);
    restock(*node, "SKU-0001", 10);
  }

  Ack cancel(const std::string& id, const std::string& reason) {
    order::CancelOrder c;
    c.set_reason(reason);
    auto seq = node->send("order/" + id, c);
    node->run();
    auto* ack = node->ack_for("order/" + id, seq);
    if (ack == nullptr)
      CAF_FAIL("no ack for the cancel of " << id);
    return *ack;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(customer_cancel, fixture)

CAF_TEST(a cancel after payment refunds and releases) {
  // The carrier fails the first attempt: the saga waits to retry the shipment, paid.
  place(*node,
        create("ORD-C", "CUST-1", {{"SKU-0000", 2, 300}, {"SKU-0001", 1, 400}}, "", "flaky:1"));
  node->run();
  auto paid = payment_of(*node, "ORD-C");
  CAF_REQUIRE_EQUAL(paid.status(), payment::PaymentState::CHARGED);
  auto before = order_of(*node, "ORD-C");
  CAF_CHECK_EQUAL(before.progress(), "PAID");
  auto ack = cancel("ORD-C", "changed my mind");
  CAF_CHECK_EQUAL(ack.reply_error(), "");
  CAF_CHECK(reply_as<order::OrderView>(ack).cancel_requested());
  auto o = order_of(*node, "ORD-C");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_EQUAL(o.reason(), "cancelled by customer: changed my mind");
  auto p = payment_of(*node, "ORD-C");
  CAF_CHECK_EQUAL(p.status(), payment::PaymentState::REFUNDED);
  CAF_CHECK_EQUAL(p.charges(), 1u);
  CAF_CHECK_EQUAL(p.refunds(), 1u);
  CAF_CHECK_EQUAL(p.refunded_cents(), 1000);
  for (auto sku : {"SKU-0000", "SKU-0001"}) {
    auto s = stock_of(*node, sku);
    CAF_CHECK_EQUAL(s.available(), 10);
    CAF_CHECK_EQUAL(s.reserved(), 0);
  }
  auto sh = shipment_of(*node, "ORD-C");
  CAF_CHECK_EQUAL(sh.state(), "CANCELLED");
  // The retry timer that was waiting is gone: time passing changes nothing.
  pass_time(*node, 10s);
  auto later = saga_of(*node, "ORD-C");
  CAF_CHECK_EQUAL(later.status(), SagaState::COMPENSATED);
  CAF_CHECK_EQUAL(node->report("fulfillment/ORD-C").timers(), 0u);
  auto sh2 = shipment_of(*node, "ORD-C");
  CAF_CHECK_EQUAL(sh2.state(), "CANCELLED");
}

CAF_TEST(a cancel after shipment is refused with a reason) {
  place(*node, create("ORD-S", "CUST-1", {{"SKU-0000", 1, 300}}));
  node->run();
  auto o = order_of(*node, "ORD-S");
  CAF_REQUIRE_EQUAL(o.status(), "CONFIRMED");
  auto ack = cancel("ORD-S", "too late?");
  CAF_CHECK_EQUAL(ack.reply_error(),
                  "order ORD-S is already shipped and confirmed: cancel refused");
  auto after = order_of(*node, "ORD-S");
  CAF_CHECK_EQUAL(after.status(), "CONFIRMED");
  auto p = payment_of(*node, "ORD-S");
  CAF_CHECK_EQUAL(p.refunds(), 0u);
  auto s = stock_of(*node, "SKU-0000");
  CAF_CHECK_EQUAL(s.shipped(), 1);
}

CAF_TEST(a cancel before anything ran releases nothing it did not take) {
  auto seq = place(*node, create("ORD-E", "CUST-1", {{"SKU-0000", 3, 300}}));
  order::CancelOrder c;
  c.set_reason("oops");
  node->send("order/ORD-E", c);  // queued behind the create
  node->run();
  CAF_CHECK(node->ack_for("order/ORD-E", seq) != nullptr);
  auto o = order_of(*node, "ORD-E");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  auto s = stock_of(*node, "SKU-0000");
  CAF_CHECK(conserved(s));
  CAF_CHECK_EQUAL(s.available(), 10);
  auto p = payment_of(*node, "ORD-E");
  CAF_CHECK_EQUAL(p.charges(), 0u);
}

CAF_TEST(repeating a cancel is idempotent) {
  place(*node, create("ORD-R", "CUST-1", {{"SKU-0000", 1, 300}}, "", "flaky:1"));
  node->run();
  cancel("ORD-R", "first");
  auto events = node->report("order/ORD-R").event_seq();
  auto again = cancel("ORD-R", "second");
  CAF_CHECK_EQUAL(again.reply_error(), "");
  auto o = order_of(*node, "ORD-R");
  CAF_CHECK_EQUAL(o.reason(), "cancelled by customer: first");
  CAF_CHECK_EQUAL(node->report("order/ORD-R").event_seq(), events);
  auto n = notes_of(*node, "CUST-1");
  CAF_CHECK_EQUAL(n.sent_size(), 1);
}

CAF_TEST_FIXTURE_SCOPE_END()
