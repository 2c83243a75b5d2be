// Unit tests of the participants' decide and apply through the entity harness (no actors;
// every event and state round-tripped through Protobuf): order, inventory, payment, the
// gateway's simulation and circuit breaker, shipment, notification.
#define CAF_SUITE fulfillment.entities
#include "caf/test/unit_test.hpp"

#include "actors/inventory/inventory.hpp"
#include "actors/notification/notification.hpp"
#include "actors/order/order.hpp"
#include "actors/payment/breaker.hpp"
#include "actors/payment/gateway.hpp"
#include "actors/payment/payment.hpp"
#include "order_events.pb.h"
#include "tests/actors/fulfillment/fixture.hpp"
#include "tests/support/entity_harness.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

auto cfg = std::make_shared<const fulfillment_config>([] {
  auto c = test_config();
  c.prepare();
  c.inventory_history_max = 2;
  return c;
}());

template <class State, class Event, class T>
auto run(const entity_logic_ptr& logic, const State& s, const T& cmd, const std::string& self,
         const std::string& sender = "client/test") {
  auto r = run_command<State, Event>(*logic, s, inbound::of(cmd, sender), 1000, self);
  CAF_CHECK(r.round_trip_ok);
  return r;
}

inventory::Reserve reserve(const std::string& order, int line, int64_t n) {
  inventory::Reserve r;
  r.set_order_id(order);
  r.set_line(line);
  r.set_quantity(n);
  r.set_attempt(1);
  return r;
}

} // namespace

CAF_TEST(order create validates and records and starts the saga) {
  auto logic = order::make_order_logic(cfg);
  using S = order::OrderState;
  using E = order::OrderEvent;
  auto c = create("ORD-1", "CUST-1", {{"SKU-0000", 2, 150}});
  auto r = run<S, E>(logic, S{}, c, "order/ORD-1");
  CAF_REQUIRE_EQUAL(r.events.size(), 1u);
  CAF_CHECK_EQUAL(r.state.status(), "PENDING");
  CAF_CHECK_EQUAL(r.state.total_cents(), 300);
  CAF_CHECK_EQUAL(r.state.card(), "tok_default");
  CAF_REQUIRE_EQUAL(r.sends.size(), 1u);
  CAF_CHECK_EQUAL(r.sends[0].to, "fulfillment/ORD-1");
  auto again = run<S, E>(logic, r.state, c, "order/ORD-1");
  CAF_CHECK(again.events.empty());
  CAF_CHECK(again.sends.empty());
  CAF_CHECK(again.reply_as<order::OrderView>()->existing());
  // Only the saga may confirm.
  auto forged = run<S, E>(logic, r.state, order::ConfirmOrder{}, "order/ORD-1");
  CAF_CHECK(forged.rejection);
  CAF_CHECK(forged.events.empty());
  auto refused = run<S, E>(
    logic, r.state,
    [] {
      order::RefuseCancel rc;
      rc.set_reason("already shipped");
      return rc;
    }(),
    "order/ORD-1", "fulfillment/ORD-1");
  CAF_CHECK_EQUAL(refused.state.cancel_refused(), "already shipped");
  auto cancel = run<S, E>(logic, refused.state, order::CancelOrder{}, "order/ORD-1");
  CAF_CHECK_EQUAL(cancel.rejection.value_or(""), "already shipped");
}

CAF_TEST(order validation names the field) {
  auto& c = *cfg;
  CAF_CHECK_EQUAL(order::validate_create(create("A", "C", {{"SKU-0000", 1, 1}}), "A", c), "");
  CAF_CHECK_EQUAL(order::validate_create(create("A", "C", {{"SKU-0000", 1, 1}}, "", "a b"), "A", c),
                  "invalid ship_to region (1..64 of [A-Za-z0-9_:-])");
  auto long_card = std::string(33, 'x');
  CAF_CHECK_NOT_EQUAL(
    order::validate_create(create("A", "C", {{"SKU-0000", 1, 1}}, long_card), "A", c), "");
}

CAF_TEST(inventory reserves all or nothing and is idempotent) {
  auto logic = inventory::make_inventory_logic(cfg);
  using S = inventory::InventoryState;
  using E = inventory::InventoryEvent;
  S s;
  s.set_received(5);
  s.set_available(5);
  auto too_many = run<S, E>(logic, s, reserve("O1", 0, 6), "inventory/SKU-0000");
  CAF_CHECK(too_many.events.empty());
  CAF_CHECK(!too_many.reply_as<inventory::ReserveResult>()->ok());
  auto ok = run<S, E>(logic, s, reserve("O1", 0, 5), "inventory/SKU-0000");
  CAF_CHECK_EQUAL(ok.state.available(), 0);
  CAF_CHECK_EQUAL(ok.state.reserved(), 5);
  auto dup = run<S, E>(logic, ok.state, reserve("O1", 0, 5), "inventory/SKU-0000");
  CAF_CHECK(dup.events.empty());
  CAF_CHECK(dup.reply_as<inventory::ReserveResult>()->ok());
  inventory::Release rel;
  rel.set_order_id("O1");
  auto released = run<S, E>(logic, ok.state, rel, "inventory/SKU-0000");
  CAF_CHECK_EQUAL(released.state.available(), 5);
  CAF_CHECK_EQUAL(released.reply_as<inventory::ReleaseResult>()->released(), 5);
  auto twice = run<S, E>(logic, released.state, rel, "inventory/SKU-0000");
  CAF_CHECK(twice.events.empty());
  CAF_CHECK_EQUAL(twice.reply_as<inventory::ReleaseResult>()->released(), 0);
  auto late = run<S, E>(logic, released.state, reserve("O1", 0, 1), "inventory/SKU-0000");
  CAF_CHECK(late.events.empty());  // a released line is never reserved again
  CAF_CHECK(!late.reply_as<inventory::ReserveResult>()->ok());
}

CAF_TEST(inventory commit is idempotent and the history bounded) {
  auto logic = inventory::make_inventory_logic(cfg);
  using S = inventory::InventoryState;
  using E = inventory::InventoryEvent;
  S s;
  s.set_received(10);
  s.set_available(10);
  inventory::Commit commit;
  for (auto id : {"A", "B", "C"}) {
    s = run<S, E>(logic, s, reserve(id, 0, 1), "inventory/SKU-0000").state;
    commit.set_order_id(id);
    s = run<S, E>(logic, s, commit, "inventory/SKU-0000").state;
  }
  CAF_CHECK_EQUAL(s.shipped(), 3);
  CAF_CHECK_EQUAL(s.available(), 7);
  CAF_CHECK_EQUAL(s.reservations_size(), 2);  // history_max = 2: the oldest is forgotten
  CAF_CHECK_EQUAL(s.reservations(0).order_id(), "B");
  auto again = run<S, E>(logic, s, commit, "inventory/SKU-0000");
  CAF_CHECK(again.events.empty());
  CAF_CHECK(again.reply_as<inventory::CommitResult>()->ok());
  CAF_CHECK(conserved(s));
}

CAF_TEST(payment calls the gateway once and charges once) {
  auto logic = payment::make_payment_logic(cfg);
  using S = payment::PaymentState;
  using E = payment::PaymentEvent;
  payment::Charge c;
  c.set_order_id("O1");
  c.set_amount_cents(500);
  c.set_attempt(1);
  auto first = run<S, E>(logic, S{}, c, "payment/O1", "fulfillment/O1");
  CAF_REQUIRE_EQUAL(first.sends.size(), 1u);
  CAF_CHECK_EQUAL(first.sends[0].to, "gateway/g-0");
  c.set_attempt(2);
  auto pending = run<S, E>(logic, first.state, c, "payment/O1", "fulfillment/O1");
  CAF_CHECK(pending.sends.empty());  // the call in flight answers this attempt too
  CAF_CHECK_EQUAL(pending.state.saga_attempt(), 2u);
  payment::GatewayResult ok;
  ok.set_order_id("O1");
  ok.set_attempt(1);
  ok.set_verdict(payment::APPROVED);
  ok.set_auth_id("auth-1");
  auto charged = run<S, E>(logic, pending.state, ok, "payment/O1", "gateway/g-0");
  CAF_CHECK_EQUAL(charged.state.charges(), 1u);
  CAF_REQUIRE_EQUAL(charged.sends.size(), 1u);
  CAF_CHECK_EQUAL(charged.sends[0].to, "fulfillment/O1");
  auto dup = run<S, E>(logic, charged.state, ok, "payment/O1", "gateway/g-0");
  CAF_CHECK(dup.events.empty());  // a copy of the captured approval: neither charged nor voided
  CAF_CHECK(dup.sends.empty());
  auto other = ok;  // another attempt's approval: voided, not charged
  other.set_attempt(2);
  other.set_auth_id("auth-2");
  auto stale = run<S, E>(logic, charged.state, other, "payment/O1", "gateway/g-0");
  CAF_CHECK_EQUAL(stale.state.charges(), 1u);
  CAF_CHECK_EQUAL(stale.state.voids(), 1u);
  CAF_REQUIRE_EQUAL(stale.sends.size(), 1u);
  CAF_CHECK_EQUAL(stale.sends[0].msg.type, type_name_of<payment::GatewaySettle>());
  auto stale_again = run<S, E>(logic, stale.state, other, "payment/O1", "gateway/g-0");
  CAF_CHECK(stale_again.events.empty());  // voided once, however many copies come
  CAF_CHECK(stale_again.sends.empty());
  auto again = run<S, E>(logic, charged.state, c, "payment/O1", "fulfillment/O1");
  CAF_CHECK(again.events.empty());
  CAF_CHECK_EQUAL(again.reply_as<payment::ChargeResult>()->outcome(),
                  payment::ChargeResult::CHARGED);
  payment::Refund rf;
  rf.set_order_id("O1");
  auto refunded = run<S, E>(logic, charged.state, rf, "payment/O1", "fulfillment/O1");
  CAF_CHECK_EQUAL(refunded.state.refunded_cents(), 500);
  auto twice = run<S, E>(logic, refunded.state, rf, "payment/O1", "fulfillment/O1");
  CAF_CHECK(twice.events.empty());
  CAF_CHECK(twice.sends.empty());
  CAF_CHECK_EQUAL(twice.state.refunds(), 1u);
}

CAF_TEST(the gateway simulation follows the card rules and the rates) {
  auto c = *cfg;
  payment::GatewayAuthorize a;
  a.set_order_id("O1");
  a.set_amount_cents(100);
  a.set_attempt(1);
  CAF_CHECK_EQUAL(payment::simulate_call(c, a).first, payment::APPROVED);
  a.set_card("declined");
  CAF_CHECK_EQUAL(payment::simulate_call(c, a).first, payment::DECLINED);
  a.set_card("timeout:2");
  CAF_CHECK_EQUAL(payment::simulate_call(c, a).first, payment::TIMEOUT);
  CAF_CHECK_EQUAL(payment::call_latency_ms(c, a, payment::TIMEOUT), c.gateway_timeout_ms);
  a.set_attempt(3);
  CAF_CHECK_EQUAL(payment::simulate_call(c, a).first, payment::APPROVED);
  a.set_card("error:1");
  a.set_attempt(1);
  CAF_CHECK_EQUAL(payment::simulate_call(c, a).first, payment::ERROR);
  a.set_card("");
  a.set_amount_cents(c.gateway_amount_limit_cents + 1);
  CAF_CHECK_EQUAL(payment::simulate_call(c, a).first, payment::DECLINED);
  c.gateway_error_permille = 300;
  int errors = 0;
  a.set_amount_cents(100);
  for (uint32_t i = 1; i <= 2000; ++i) {
    a.set_attempt(i);
    errors += payment::simulate_call(c, a).first == payment::ERROR ? 1 : 0;
  }
  CAF_CHECK_GREATER(errors, 500);  // ~600 expected
  CAF_CHECK_LESS(errors, 700);
}

CAF_TEST(the breaker opens then half - opens then closes) {
  auto c = *cfg;
  payment::BreakerState b;
  for (int i = 0; i < 4; ++i)
    b = payment::breaker_after(b, payment::ERROR, false, 0, c);
  CAF_CHECK_EQUAL(b.state(), payment::CLOSED);
  b = payment::breaker_after(b, payment::DECLINED, false, 0, c);  // an answer resets the count
  CAF_CHECK_EQUAL(b.consecutive_failures(), 0u);
  for (int i = 0; i < 5; ++i)
    b = payment::breaker_after(b, payment::TIMEOUT, false, 1000, c);
  CAF_CHECK_EQUAL(b.state(), payment::OPEN);
  CAF_CHECK_EQUAL(b.open_until_ms(), 1000 + c.breaker_open_ms);
  CAF_CHECK(!payment::breaker_admits(payment::breaker_at(b, 60999), c));
  auto half = payment::breaker_at(b, 61000);
  CAF_CHECK_EQUAL(half.state(), payment::HALF_OPEN);
  for (int i = 0; i < 3; ++i) {
    CAF_CHECK(payment::breaker_admits(half, c));
    half = payment::breaker_admit(half);
  }
  CAF_CHECK(!payment::breaker_admits(half, c));  // three probes in flight: no fourth
  auto closed = half;
  for (int i = 0; i < 3; ++i)
    closed = payment::breaker_after(closed, payment::APPROVED, true, 61001, c);
  CAF_CHECK_EQUAL(closed.state(), payment::CLOSED);
  auto reopened = payment::breaker_after(half, payment::ERROR, true, 62000, c);
  CAF_CHECK_EQUAL(reopened.state(), payment::OPEN);
  CAF_CHECK_EQUAL(reopened.open_until_ms(), 62000 + c.breaker_open_ms);
  // A call admitted before the trip that fails after it does not extend anything.
  CAF_CHECK_EQUAL(payment::breaker_after(b, payment::ERROR, false, 5000, c).open_until_ms(),
                  b.open_until_ms());
}

CAF_TEST(notification records an outcome once) {
  auto logic = notification::make_notification_logic(cfg);
  using S = notification::NotificationState;
  using E = notification::NotificationEvent;
  order::OrderOutcome o;
  o.set_order_id("O1");
  o.set_status("CANCELLED");
  o.set_reason("out of stock");
  auto first = run<S, E>(logic, S{}, o, "notification/C1", "order/O1");
  CAF_REQUIRE_EQUAL(first.events.size(), 1u);
  CAF_CHECK_EQUAL(first.state.sent(0).channel(), "email+sms");
  auto again = run<S, E>(logic, first.state, o, "notification/C1", "order/O1");
  CAF_CHECK(again.events.empty());
}
