// A message the runtime dead-letters for max_age or max_attempts has an unknown outcome: the
// receiver may have taken it. The senders whose flow would otherwise stop half-done send it
// again (order, gateway, points, reward; issue 18's --long-outages seeds 1323, 317, 405,
// 1103), only when it came from the runtime and only for those reasons; and the payment takes
// a second copy of a gateway result once (seed 531 of the same run, after the gateway began
// resending), and the payment resends a refund or void the gateway then takes once per
// authorisation (seed 23278). Through the entity harness: decide and apply, no actors.
#define CAF_SUITE actors.unknown_outcomes
#include "caf/test/unit_test.hpp"

#include "actors/fulfillment/fulfillment_config.hpp"
#include "actors/order/order.hpp"
#include "actors/payment/gateway.hpp"
#include "actors/payment/payment.hpp"
#include "actors/points/points.hpp"
#include "actors/redemption/loyalty_config.hpp"
#include "actors/reward/reward.hpp"
#include "envelope.pb.h"
#include "fulfillment.pb.h"
#include "order.pb.h"
#include "order_events.pb.h"
#include "payment.pb.h"
#include "points.pb.h"
#include "reward.pb.h"
#include "tests/support/entity_harness.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;

namespace {

auto cfg = std::make_shared<const fulfillment::fulfillment_config>([] {
  fulfillment::fulfillment_config c;
  c.catalog = fulfillment::make_catalog(2);
  c.prepare();
  return c;
}());

template <class T>
DeliveryFailed failed(const std::string& receiver, const T& msg, const std::string& reason) {
  DeliveryFailed df;
  df.set_envelope_id("e-1");
  df.set_receiver(receiver);
  df.set_type(type_name_of<T>());
  df.set_payload(msg.SerializeAsString());
  df.set_reason(reason);
  df.set_attempts(7);
  return df;
}

/// As the runtime hands it over: no sender, no reply wanted.
inbound from_runtime(const DeliveryFailed& df) {
  return inbound::of(df, "", false);
}

template <class State, class Event>
harness_result<State, Event> run(const entity_logic_ptr& logic, const State& s, const inbound& in,
                                 const std::string& self) {
  auto r = run_command<State, Event>(*logic, s, in, 5000, self);
  CAF_CHECK(r.round_trip_ok);
  return r;
}

/// The one send of `r` goes to `to` with exactly the payload `df` carried back.
template <class R>
void check_resent(const R& r, const DeliveryFailed& df) {
  CAF_REQUIRE_EQUAL(r.sends.size(), 1u);
  CAF_CHECK_EQUAL(r.sends[0].to, df.receiver());
  CAF_CHECK_EQUAL(r.sends[0].msg.type, df.type());
  CAF_CHECK(r.sends[0].msg.payload == df.payload());
  CAF_CHECK(r.events.empty());
}

using order_result = harness_result<order::OrderState, order::OrderEvent>;

/// One step of order/O1.
order_result order_step(const order::OrderState& s, const inbound& in) {
  return run<order::OrderState, order::OrderEvent>(order::make_order_logic(cfg), s, in,
                                                   "order/O1");
}

order::OrderState created_order() {
  order::CreateOrder c;
  c.set_order_id("O1");
  c.set_customer_id("C1");
  auto* l = c.add_lines();
  l->set_sku(cfg->catalog.at(0));
  l->set_quantity(1);
  l->set_unit_price_cents(100);
  auto r = order_step(order::OrderState{}, inbound::of(c));
  CAF_REQUIRE(!r.rejection);
  return r.state;
}

fulfillment::StartFulfillment saga_start() {
  fulfillment::StartFulfillment start;
  start.set_order_id("O1");
  start.set_customer_id("C1");
  return start;
}

} // namespace

CAF_TEST(an order sends its saga start again when its outcome is unknown) {
  auto s = created_order();
  for (auto reason : {"max_age", "max_attempts"}) {
    auto df = failed("fulfillment/O1", saga_start(), reason);
    check_resent(order_step(s, from_runtime(df)), df);
  }
  order::OrderOutcome out;  // the points credit and the notification, likewise
  out.set_order_id("O1");
  out.set_customer_id("C1");
  out.set_status("CONFIRMED");
  auto df = failed("points/C1", out, "max_age");
  check_resent(order_step(s, from_runtime(df)), df);
  fulfillment::CustomerCancel cancel;
  df = failed("fulfillment/O1", cancel, "max_attempts");
  check_resent(order_step(s, from_runtime(df)), df);
}

CAF_TEST(an order does not resend what the receiver refused or what a peer forged) {
  auto s = created_order();
  for (auto reason : {"poison", "undeliverable"}) {
    auto r = order_step(s, from_runtime(failed("fulfillment/O1", saga_start(), reason)));
    CAF_CHECK(r.sends.empty());  // the receiver decided: a second copy fails the same way
  }
  // A DeliveryFailed from a peer is not the runtime's: the order must not send on its word.
  auto forged = failed("payment/O1", saga_start(), "max_age");
  CAF_CHECK(order_step(s, inbound::of(forged, "client/mallory")).sends.empty());
  auto other = failed("client/test", order::OrderView{}, "max_age");  // not a send of ours
  CAF_CHECK(order_step(s, from_runtime(other)).sends.empty());
  // No order here: nothing of ours was sent.
  CAF_CHECK(order_step(order::OrderState{}, from_runtime(failed("fulfillment/O1", saga_start(),
                                                                "max_age")))
              .sends.empty());
}

CAF_TEST(the gateway sends a result again and the payment takes it once) {
  auto gateway = payment::make_gateway_logic(cfg);
  payment::GatewayResult ok;
  ok.set_order_id("O1");
  ok.set_attempt(1);
  ok.set_verdict(payment::APPROVED);
  ok.set_auth_id("auth-O1-1");
  auto df = failed("payment/O1", ok, "max_age");
  using GS = payment::GatewayState;
  using GE = payment::GatewayEvent;
  check_resent(run<GS, GE>(gateway, GS{}, from_runtime(df), "gateway/g-0"), df);
  CAF_CHECK(run<GS, GE>(gateway, GS{}, from_runtime(failed("payment/O1", ok, "poison")),
                        "gateway/g-0")
              .sends.empty());
  // The first copy had arrived (only its ack was lost): the payment charged on it. The
  // second changes nothing - voiding it would tell the gateway to hand back money it holds
  // for a charge the payment keeps.
  using S = payment::PaymentState;
  using E = payment::PaymentEvent;
  auto logic = payment::make_payment_logic(cfg);
  payment::Charge c;
  c.set_order_id("O1");
  c.set_amount_cents(500);
  c.set_attempt(1);
  auto pending = run<S, E>(logic, S{}, inbound::of(c, "fulfillment/O1", false), "payment/O1");
  auto charged = run<S, E>(logic, pending.state, inbound::of(ok, "gateway/g-0", false),
                           "payment/O1");
  CAF_REQUIRE_EQUAL(charged.state.status(), S::CHARGED);
  auto copy = run<S, E>(logic, charged.state, inbound::of(ok, "gateway/g-0", false), "payment/O1");
  CAF_CHECK(copy.events.empty());
  CAF_CHECK(copy.sends.empty());
  CAF_CHECK_EQUAL(copy.state.voids(), 0u);
}

CAF_TEST(the payment sends a settle again and the gateway takes it once per authorisation) {
  // Issue 18's seed 23278 (--long-outages): a refund's GatewaySettle dead-lettered for max_age
  // left the gateway's ledger holding money the payment had given back.
  using S = payment::PaymentState;
  using E = payment::PaymentEvent;
  using GS = payment::GatewayState;
  using GE = payment::GatewayEvent;
  payment::GatewaySettle refund;
  refund.set_order_id("O1");
  refund.set_kind(payment::GatewaySettle::REFUND);
  refund.set_amount_cents(500);
  refund.set_auth_id("auth-O1-1");
  auto df = failed("gateway/g-0", refund, "max_age");
  auto payment = payment::make_payment_logic(cfg);
  check_resent(run<S, E>(payment, S{}, from_runtime(df), "payment/O1"), df);
  CAF_CHECK(run<S, E>(payment, S{}, from_runtime(failed("gateway/g-0", refund, "poison")),
                      "payment/O1")
              .sends.empty());
  CAF_CHECK(run<S, E>(payment, S{}, inbound::of(df, "client/mallory"), "payment/O1")
              .sends.empty());
  // The gateway: the first copy counts, a second of the same authorisation and kind does not;
  // a void of another authorisation does.
  auto gateway = payment::make_gateway_logic(cfg);
  auto first = run<GS, GE>(gateway, GS{}, inbound::of(refund, "payment/O1", false), "gateway/g-0");
  CAF_CHECK_EQUAL(first.state.refunded_cents(), 500);
  auto copy = run<GS, GE>(gateway, first.state, inbound::of(refund, "payment/O1", false),
                          "gateway/g-0");
  CAF_CHECK(copy.events.empty());
  CAF_CHECK_EQUAL(copy.state.refunded_cents(), 500);
  auto stale = refund;
  stale.set_kind(payment::GatewaySettle::VOID);
  stale.set_auth_id("auth-O1-2");
  auto voided = run<GS, GE>(gateway, first.state, inbound::of(stale, "payment/O1", false),
                            "gateway/g-0");
  CAF_CHECK_EQUAL(voided.state.voided_cents(), 500);
  CAF_CHECK_EQUAL(voided.state.settled_size(), 2);
  // Past the window the record is forgotten: the state stays bounded.
  payment::GatewaySettle later = refund;
  later.set_auth_id("auth-O9-1");
  auto aged = run_command<GS, GE>(*gateway, voided.state, inbound::of(later, "payment/O9", false),
                                  5000 + cfg->gateway_settle_window_ms + 1, "gateway/g-0");
  CAF_CHECK_EQUAL(aged.state.settled_size(), 1);
  CAF_CHECK_EQUAL(aged.state.settled(0).auth_id(), "auth-O9-1");
}

CAF_TEST(points and rewards send a reply again when its outcome is unknown) {
  loyalty::loyalty_config lc;
  points::PointsDeducted deducted;
  deducted.set_transaction_id("R1");
  deducted.set_points(100);
  auto df = failed("redemption/R1", deducted, "max_age");
  using PS = points::PointsState;
  using PE = points::PointsEvent;
  auto account = points::make_points_logic(lc);
  check_resent(run<PS, PE>(account, PS{}, from_runtime(df), "points/C1"), df);
  CAF_CHECK(run<PS, PE>(account, PS{}, from_runtime(failed("redemption/R1", deducted, "poison")),
                        "points/C1")
              .sends.empty());
  CAF_CHECK(run<PS, PE>(account, PS{}, inbound::of(df, "redemption/R1", false), "points/C1")
              .sends.empty());  // forged by a peer
  reward::InventoryReleased released;
  released.set_redemption_id("R1");
  released.set_released(true);
  df = failed("redemption/R1", released, "max_attempts");
  using RS = reward::RewardState;
  using RE = reward::RewardEvent;
  auto reward = reward::make_reward_logic(lc);
  check_resent(run<RS, RE>(reward, RS{}, from_runtime(df), "reward/W1"), df);
  CAF_CHECK(run<RS, RE>(reward, RS{}, from_runtime(failed("redemption/R1", released,
                                                          "undeliverable")),
                        "reward/W1")
              .sends.empty());
}
