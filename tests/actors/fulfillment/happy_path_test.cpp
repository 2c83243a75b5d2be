// Scenario 1: the happy path. Three lines reserved, charged once, shipment scheduled, stock
// committed once, order CONFIRMED with its progress visible, one notification, the outcome
// published to loyalty; creating the same order id again returns the existing order.
#define CAF_SUITE fulfillment.happy_path
#include "caf/test/dsl.hpp"

#include "tests/actors/fulfillment/fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

struct fixture {
  std::shared_ptr<memory_store> st = std::make_shared<memory_store>();
  std::unique_ptr<test_node> node = make_node(st, test_config(), true);

  fixture() {
    restock(*node, "SKU-0000", 10);
    restock(*node, "SKU-0001", 10);
    restock(*node, "SKU-0002", 10);
  }

  order::CreateOrder three_lines() {
    return create("ORD-1", "CUST-1",
                  {{"SKU-0000", 1, 1000}, {"SKU-0001", 2, 250}, {"SKU-0002", 3, 99}});
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(happy_path, fixture)

CAF_TEST(an order runs every step and ends CONFIRMED) {
  auto seq = place(*node, three_lines());
  node->run();
  auto* ack = node->ack_for("order/ORD-1", seq);
  CAF_REQUIRE(ack != nullptr);
  CAF_CHECK_EQUAL(ack->reply_error(), "");
  auto view = reply_as<order::OrderView>(*ack);
  CAF_CHECK_EQUAL(view.status(), "PENDING");
  CAF_CHECK_EQUAL(view.total_cents(), 1000 + 500 + 297);
  auto o = order_of(*node, "ORD-1");
  CAF_CHECK_EQUAL(o.status(), "CONFIRMED");
  CAF_CHECK_EQUAL(o.reason(), "");
  auto saga = saga_of(*node, "ORD-1");
  CAF_CHECK_EQUAL(saga.status(), SagaState::COMPLETED);
  CAF_REQUIRE_EQUAL(saga.steps_size(), 5);
  for (auto& step : saga.steps()) {
    CAF_CHECK_EQUAL(step.status(), SagaStep::DONE);
    CAF_CHECK_EQUAL(step.attempts(), 1u);
    CAF_CHECK_GREATER(step.started_ms(), 0);
  }
  CAF_CHECK_EQUAL(saga.commits_pending_size(), 0);
  CAF_CHECK_EQUAL(saga.ledger_size(), 5 + 3);  // five steps done, three stock commits
  CAF_CHECK_EQUAL(saga.steps(4).detail(), "TRK-ORD-1");
}

CAF_TEST(stock is decremented once and the payment captured once) {
  place(*node, three_lines());
  node->run();
  int64_t quantities[] = {1, 2, 3};
  for (int i = 0; i < 3; ++i) {
    auto s = stock_of(*node, "SKU-000" + std::to_string(i));
    CAF_CHECK(conserved(s));
    CAF_CHECK_EQUAL(s.received(), 10);
    CAF_CHECK_EQUAL(s.shipped(), quantities[i]);
    CAF_CHECK_EQUAL(s.available(), 10 - quantities[i]);
    CAF_CHECK_EQUAL(s.reserved(), 0);
  }
  auto p = payment_of(*node, "ORD-1");
  CAF_CHECK_EQUAL(p.status(), payment::PaymentState::CHARGED);
  CAF_CHECK_EQUAL(p.charges(), 1u);
  CAF_CHECK_EQUAL(p.charged_cents(), 1797);
  CAF_CHECK_EQUAL(p.refunds(), 0u);
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.approved(), 1u);
  CAF_CHECK_EQUAL(g.captured_cents(), 1797);
  auto sh = shipment_of(*node, "ORD-1");
  CAF_CHECK_EQUAL(sh.state(), "SCHEDULED");
}

CAF_TEST(one notification is recorded and loyalty gets the outcome) {
  place(*node, three_lines());
  node->run();
  auto n = notes_of(*node, "CUST-1");
  CAF_REQUIRE_EQUAL(n.sent_size(), 1);
  CAF_CHECK_EQUAL(n.sent(0).order_id(), "ORD-1");
  CAF_CHECK_EQUAL(n.sent(0).status(), "CONFIRMED");
  CAF_CHECK_EQUAL(n.sent(0).channel(), "email");
  CAF_CHECK_NOT_EQUAL(n.sent(0).text().find("17.97"), std::string::npos);
  auto points = node->state_of<notification::NotificationState>("points/CUST-1");
  CAF_REQUIRE_EQUAL(points.sent_size(), 1);
  CAF_CHECK_EQUAL(points.sent(0).status(), "CONFIRMED");
}

CAF_TEST(the order shows the saga progress it was told) {
  place(*node, three_lines());
  node->run();
  std::vector<std::string> progress;
  node->runtime().for_each_event(
    "order", [&](const std::string&, uint64_t, const std::string& bytes, int64_t) {
      order::OrderEvent ev;
      ev.ParseFromString(bytes);
      if (ev.has_progress())
        progress.push_back(ev.progress().step());
      return true;
    });
  CAF_CHECK_EQUAL(progress, (std::vector<std::string>{"RESERVED", "PAID"}));
}

CAF_TEST(creating the same order id twice returns the existing order) {
  place(*node, three_lines());
  node->run();
  auto events = node->report("order/ORD-1").event_seq();
  auto saga_events = node->report("fulfillment/ORD-1").event_seq();
  auto again = create("ORD-1", "CUST-2", {{"SKU-0003", 5, 1}});
  auto seq = place(*node, again);
  node->run();
  auto* ack = node->ack_for("order/ORD-1", seq);
  CAF_REQUIRE(ack != nullptr);
  auto view = reply_as<order::OrderView>(*ack);
  CAF_CHECK(view.existing());
  CAF_CHECK_EQUAL(view.customer_id(), "CUST-1");
  CAF_CHECK_EQUAL(view.status(), "CONFIRMED");
  CAF_CHECK_EQUAL(node->report("order/ORD-1").event_seq(), events);
  CAF_CHECK_EQUAL(node->report("fulfillment/ORD-1").event_seq(), saga_events);
  CAF_CHECK_EQUAL(stock_of(*node, "SKU-0003").reserved(), 0);
}

CAF_TEST(a finished saga passivates once its last message is acked and comes back intact) {
  auto passivations = node->runtime().context().counters().passivations.load();
  place(*node, three_lines());
  node->run();
  auto& dir = node->runtime().context().dir();
  // Not waiting for the idle timeout: gone from the directory, with a final snapshot.
  CAF_CHECK(!dir.lookup("fulfillment/ORD-1", false));
  CAF_CHECK_GREATER_OR_EQUAL(node->runtime().context().counters().passivations.load(),
                             passivations + 1);
  CAF_CHECK(st->get(table::snapshots, "fulfillment/ORD-1")->has_value());
  CAF_CHECK(dir.lookup("order/ORD-1", false));  // the order is not a saga: it stays
  // Inspected again, it is re-activated with the same state.
  auto saga = saga_of(*node, "ORD-1");
  CAF_CHECK_EQUAL(saga.status(), SagaState::COMPLETED);
  CAF_CHECK_EQUAL(saga.ledger_size(), 5 + 3);
  CAF_CHECK_EQUAL(saga.steps(4).detail(), "TRK-ORD-1");
  auto o = order_of(*node, "ORD-1");
  CAF_CHECK_EQUAL(o.status(), "CONFIRMED");
}

CAF_TEST_FIXTURE_SCOPE_END()
