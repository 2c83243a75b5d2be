// Scenario 2: out of stock on the 2nd of 3 lines. The 1st line's reservation is released,
// the 3rd line is never reserved, nothing is charged or shipped, the order ends CANCELLED
// with the reason naming the SKU, and the customer is notified once.
#define CAF_SUITE fulfillment.out_of_stock
#include "caf/test/dsl.hpp"

#include "tests/actors/fulfillment/fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

struct fixture : node_fixture {
  fixture() {
    restock(*node, "SKU-0000", 10);
    restock(*node, "SKU-0001", 1);  // the 2nd line wants 2
    restock(*node, "SKU-0002", 10);
    place(*node, create("ORD-2", "CUST-1",
                        {{"SKU-0000", 3, 100}, {"SKU-0001", 2, 100}, {"SKU-0002", 1, 100}}));
    node->run();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(out_of_stock, fixture)

CAF_TEST(the order is cancelled with the out of stock reason) {
  auto o = order_of(*node, "ORD-2");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_EQUAL(o.reason(), "out of stock: SKU-0001 has 1 available, 2 requested");
  auto saga = saga_of(*node, "ORD-2");
  CAF_CHECK_EQUAL(saga.status(), SagaState::COMPENSATED);
  CAF_CHECK_EQUAL(saga.steps(0).status(), SagaStep::COMPENSATED);
  CAF_CHECK_EQUAL(saga.steps(1).status(), SagaStep::FAILED);
  CAF_CHECK_EQUAL(saga.steps(2).status(), SagaStep::PENDING);
  CAF_CHECK_EQUAL(saga.steps(3).status(), SagaStep::PENDING);  // charge
  CAF_CHECK_EQUAL(saga.steps(4).status(), SagaStep::PENDING);  // ship
  CAF_CHECK_GREATER(saga.finished_ms(), 0);
  // The ledger: what was done and what was undone.
  CAF_REQUIRE_EQUAL(saga.ledger_size(), 2);
  CAF_CHECK_EQUAL(saga.ledger(0).kind(), "done");
  CAF_CHECK_EQUAL(saga.ledger(0).step(), "reserve SKU-0000 x3");
  CAF_CHECK_EQUAL(saga.ledger(1).kind(), "undone");
  CAF_CHECK_EQUAL(saga.ledger(1).detail(), "released 3");
}

CAF_TEST(the first line is released and the third never touched) {
  auto first = stock_of(*node, "SKU-0000");
  CAF_CHECK(conserved(first));
  CAF_CHECK_EQUAL(first.available(), 10);
  CAF_CHECK_EQUAL(first.reserved(), 0);
  CAF_CHECK_EQUAL(first.shipped(), 0);
  auto second = stock_of(*node, "SKU-0001");
  CAF_CHECK_EQUAL(second.available(), 1);
  CAF_CHECK_EQUAL(second.reservations_size(), 0);
  CAF_CHECK_EQUAL(node->report("inventory/SKU-0002").event_seq(), 1u);  // the restock only
  auto p = payment_of(*node, "ORD-2");
  CAF_CHECK_EQUAL(p.charges(), 0u);
  CAF_CHECK_EQUAL(node->report("payment/ORD-2").event_seq(), 0u);
  CAF_CHECK_EQUAL(node->report("shipment/ORD-2").event_seq(), 0u);
}

CAF_TEST(the customer is told once) {
  auto n = notes_of(*node, "CUST-1");
  CAF_REQUIRE_EQUAL(n.sent_size(), 1);
  CAF_CHECK_EQUAL(n.sent(0).status(), "CANCELLED");
  CAF_CHECK_NOT_EQUAL(n.sent(0).text().find("out of stock"), std::string::npos);
}

CAF_TEST(restocked later the same SKUs serve the next order) {
  restock(*node, "SKU-0001", 1);
  place(*node, create("ORD-3", "CUST-1", {{"SKU-0000", 3, 100}, {"SKU-0001", 2, 100}}));
  node->run();
  auto o = order_of(*node, "ORD-3");
  CAF_CHECK_EQUAL(o.status(), "CONFIRMED");
  auto s = stock_of(*node, "SKU-0001");
  CAF_CHECK_EQUAL(s.shipped(), 2);
  CAF_CHECK_EQUAL(s.available(), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
