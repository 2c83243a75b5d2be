// Scenario 6: shipment failure. An unserved region is a business failure: refund + release,
// CANCELLED. A carrier hiccup is transient: retried with backoff, then scheduled; once the
// retries are exhausted it compensates the same way.
#define CAF_SUITE fulfillment.shipment_failure
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

  void check_undone(const std::string& id) {
    auto p = payment_of(*node, id);
    CAF_CHECK_EQUAL(p.status(), payment::PaymentState::REFUNDED);
    CAF_CHECK_EQUAL(p.charges(), 1u);
    CAF_CHECK_EQUAL(p.refunds(), 1u);
    CAF_CHECK_EQUAL(p.refunded_cents(), p.charged_cents());
    for (auto sku : {"SKU-0000", "SKU-0001"}) {
      auto s = stock_of(*node, sku);
      CAF_CHECK(conserved(s));
      CAF_CHECK_EQUAL(s.available(), 10);
      CAF_CHECK_EQUAL(s.shipped(), 0);
    }
    auto g = gateway_of(*node);
    CAF_CHECK_EQUAL(g.refunded_cents(), p.charged_cents());
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(shipment_failure, fixture)

CAF_TEST(an unserved region refunds and releases and cancels) {
  place(*node,
        create("ORD-S", "CUST-1", {{"SKU-0000", 1, 500}, {"SKU-0001", 2, 250}}, "", "nowhere"));
  node->run();
  auto o = order_of(*node, "ORD-S");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_EQUAL(o.reason(), "shipment impossible: region 'nowhere' is not served");
  check_undone("ORD-S");
  auto saga = saga_of(*node, "ORD-S");
  CAF_CHECK_EQUAL(saga.steps(3).status(), SagaStep::FAILED);       // ship: nothing to undo
  CAF_CHECK_EQUAL(saga.steps(2).status(), SagaStep::COMPENSATED);  // charge
  CAF_CHECK_EQUAL(saga.steps(2).detail(), "charged 1000");
  auto n = notes_of(*node, "CUST-1");
  CAF_CHECK_EQUAL(n.sent_size(), 1);
}

CAF_TEST(a transient carrier failure is retried and then ships) {
  place(*node, create("ORD-F", "CUST-1", {{"SKU-0000", 1, 500}}, "", "flaky:2"));
  node->run();
  auto mid = saga_of(*node, "ORD-F");
  CAF_CHECK_EQUAL(mid.steps(2).status(), SagaStep::RETRY_WAIT);
  CAF_CHECK_EQUAL(mid.steps(2).last_error(), "carrier unavailable");
  pass_time(*node, 3s);
  auto saga = saga_of(*node, "ORD-F");
  CAF_CHECK_EQUAL(saga.status(), SagaState::COMPLETED);
  CAF_CHECK_EQUAL(saga.steps(2).attempts(), 3u);
  auto o = order_of(*node, "ORD-F");
  CAF_CHECK_EQUAL(o.status(), "CONFIRMED");
}

CAF_TEST(a carrier failing past the retry limit compensates) {
  place(*node,
        create("ORD-X", "CUST-1", {{"SKU-0000", 1, 500}, {"SKU-0001", 2, 250}}, "", "flaky:99"));
  node->run();
  pass_time(*node, 30s);
  auto o = order_of(*node, "ORD-X");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_EQUAL(o.reason(), "ship to flaky:99 gave up after 4 attempts: carrier unavailable");
  check_undone("ORD-X");
  // The shipment's outcome was uncertain, so it was cancelled too: a tombstone.
  auto sh = shipment_of(*node, "ORD-X");
  CAF_CHECK_EQUAL(sh.state(), "CANCELLED");
}

CAF_TEST_FIXTURE_SCOPE_END()
