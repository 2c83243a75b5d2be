// Scenario 3: payment declined (the declined card, or an amount over the gateway's limit).
// Every reservation is released in reverse order, nothing is charged, the order is
// CANCELLED with the decline reason.
#define CAF_SUITE fulfillment.declined
#include "caf/test/dsl.hpp"

#include "tests/actors/fulfillment/fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

struct fixture : node_fixture {
  fixture() {
    for (auto sku : {"SKU-0000", "SKU-0001", "SKU-0002"})
      restock(*node, sku, 10);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(declined, fixture)

CAF_TEST(a declined card releases every reservation and cancels) {
  place(*node,
        create("ORD-D", "CUST-1",
               {{"SKU-0000", 1, 100}, {"SKU-0001", 2, 100}, {"SKU-0002", 3, 100}}, "declined"));
  node->run();
  auto o = order_of(*node, "ORD-D");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_EQUAL(o.reason(), "payment declined: card declined");
  for (auto sku : {"SKU-0000", "SKU-0001", "SKU-0002"}) {
    auto s = stock_of(*node, sku);
    CAF_CHECK(conserved(s));
    CAF_CHECK_EQUAL(s.available(), 10);
    CAF_CHECK_EQUAL(s.reserved(), 0);
    CAF_CHECK_EQUAL(s.shipped(), 0);
  }
  auto p = payment_of(*node, "ORD-D");
  CAF_CHECK_EQUAL(p.status(), payment::PaymentState::DECLINED);
  CAF_CHECK_EQUAL(p.charges(), 0u);
  CAF_CHECK_EQUAL(p.charged_cents(), 0);
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.declined(), 1u);
  CAF_CHECK_EQUAL(g.captured_cents(), 0);
  CAF_CHECK_EQUAL(g.breaker().consecutive_failures(), 0u);  // a decline is an answer
  auto saga = saga_of(*node, "ORD-D");
  CAF_CHECK_EQUAL(saga.status(), SagaState::COMPENSATED);
  CAF_CHECK_EQUAL(saga.steps(3).status(), SagaStep::FAILED);
  // Undone in reverse: line 3, line 2, line 1.
  std::vector<std::string> undone;
  for (auto& e : saga.ledger())
    if (e.kind() == "undone")
      undone.push_back(e.step());
  CAF_CHECK_EQUAL(undone, (std::vector<std::string>{"reserve SKU-0002 x3", "reserve SKU-0001 x2",
                                                    "reserve SKU-0000 x1"}));
  CAF_CHECK_EQUAL(node->report("shipment/ORD-D").event_seq(), 0u);
}

CAF_TEST(an amount over the limit is declined too) {
  auto cfg = test_config();
  CAF_REQUIRE_GREATER(10 * 100'001, cfg.gateway_amount_limit_cents);
  place(*node, create("ORD-BIG", "CUST-1", {{"SKU-0000", 10, 100'001}}));
  node->run();
  auto o = order_of(*node, "ORD-BIG");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_NOT_EQUAL(o.reason().find("exceeds the limit"), std::string::npos);
  auto s = stock_of(*node, "SKU-0000");
  CAF_CHECK_EQUAL(s.available(), 10);
}

CAF_TEST_FIXTURE_SCOPE_END()
