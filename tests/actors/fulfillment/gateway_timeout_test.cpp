// Scenario 4: gateway timeouts, then success. Calls that time out are retried with backoff
// and the order is charged exactly once; a saga whose step timeout fires while the gateway is
// still working retries without a second charge; an approval that comes back after the saga
// gave up and compensated is voided, so nothing stays charged.
#define CAF_SUITE fulfillment.gateway_timeouts
#include "caf/test/dsl.hpp"

#include "tests/actors/fulfillment/fixture.hpp"

using namespace std::chrono_literals;
using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

struct fixture {
  std::shared_ptr<memory_store> st;
  std::unique_ptr<test_node> node;

  void start(const fulfillment_config& cfg) {
    st = std::make_shared<memory_store>();
    node = make_node(st, cfg);
    restock(*node, "SKU-0000", 10);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(gateway_timeouts, fixture)

CAF_TEST(two timeouts then success charge once) {
  start(test_config());
  place(*node, create("ORD-T", "CUST-1", {{"SKU-0000", 2, 700}}, "timeout:2"));
  node->run();
  auto p0 = payment_of(*node, "ORD-T");
  CAF_CHECK_EQUAL(p0.status(), payment::PaymentState::PENDING);  // the call hangs
  pass_time(*node, 10s);
  auto o = order_of(*node, "ORD-T");
  CAF_CHECK_EQUAL(o.status(), "CONFIRMED");
  auto saga = saga_of(*node, "ORD-T");
  auto& charge = saga.steps(1);
  CAF_CHECK_EQUAL(charge.status(), SagaStep::DONE);
  CAF_CHECK_EQUAL(charge.attempts(), 3u);
  auto p = payment_of(*node, "ORD-T");
  CAF_CHECK_EQUAL(p.charges(), 1u);
  CAF_CHECK_EQUAL(p.charged_cents(), 1400);
  CAF_CHECK_EQUAL(p.gateway_attempts(), 3u);
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.timeouts(), 2u);
  CAF_CHECK_EQUAL(g.approved(), 1u);
  CAF_CHECK_EQUAL(g.captured_cents(), 1400);
  CAF_CHECK_EQUAL(g.breaker().state(), payment::CLOSED);
  CAF_CHECK_EQUAL(g.breaker().consecutive_failures(), 0u);
}

CAF_TEST(a step timeout while the gateway is slow retries without a second call) {
  auto cfg = test_config();
  cfg.step_timeout_ms = 1000;
  cfg.gateway_latency_ms = 1500;
  start(cfg);
  place(*node, create("ORD-SLOW", "CUST-1", {{"SKU-0000", 1, 900}}));
  node->run();
  pass_time(*node, 5s);
  auto o = order_of(*node, "ORD-SLOW");
  CAF_CHECK_EQUAL(o.status(), "CONFIRMED");
  auto saga = saga_of(*node, "ORD-SLOW");
  CAF_CHECK_EQUAL(saga.steps(1).attempts(), 2u);  // the saga asked twice ...
  auto p = payment_of(*node, "ORD-SLOW");
  CAF_CHECK_EQUAL(p.gateway_attempts(), 1u);  // ... the gateway was called once
  CAF_CHECK_EQUAL(p.charges(), 1u);
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.calls(), 1u);
}

CAF_TEST(an approval arriving after the saga compensated is voided) {
  auto cfg = test_config();
  cfg.step_timeout_ms = 1000;
  cfg.step_max_attempts = 1;
  cfg.gateway_latency_ms = 3000;
  start(cfg);
  place(*node, create("ORD-LATE", "CUST-1", {{"SKU-0000", 4, 250}}));
  node->run();
  pass_time(*node, 1500ms);
  auto o = order_of(*node, "ORD-LATE");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_EQUAL(o.reason(),
                  "charge 1000 cents gave up after 1 attempts: no result within 1000 ms");
  auto s = stock_of(*node, "SKU-0000");
  CAF_CHECK_EQUAL(s.available(), 10);
  auto mid = payment_of(*node, "ORD-LATE");
  CAF_CHECK_EQUAL(mid.status(), payment::PaymentState::CANCELLED);
  CAF_CHECK(mid.cancel_pending());
  pass_time(*node, 3s);  // the gateway answers: approved, too late
  auto p = payment_of(*node, "ORD-LATE");
  CAF_CHECK_EQUAL(p.charges(), 0u);
  CAF_CHECK_EQUAL(p.voids(), 1u);
  CAF_CHECK(!p.cancel_pending());
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.approved(), 1u);
  CAF_CHECK_EQUAL(g.voided_cents(), g.captured_cents());
  // A repeated charge of the cancelled payment is refused: nothing can charge it now.
  payment::Charge again;
  again.set_order_id("ORD-LATE");
  again.set_amount_cents(1000);
  again.set_attempt(9);
  auto seq = node->send("payment/ORD-LATE", again);
  node->run();
  auto* ack = node->ack_for("payment/ORD-LATE", seq);
  CAF_REQUIRE(ack != nullptr);
  auto r = reply_as<payment::ChargeResult>(*ack);
  CAF_CHECK_EQUAL(r.outcome(), payment::ChargeResult::DECLINED);
  CAF_CHECK_EQUAL(payment_of(*node, "ORD-LATE").charges(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
