// Payment entity: Commands (payment.proto), Replies, Events, State, then the handlers.
#include "actors/payment/payment.hpp"

#include <algorithm>

#include "envelope.pb.h"
#include "payment.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::payment {

namespace {

using ctx_t = decide_context<PaymentEvent>;
using fulfillment::fulfillment_config;

ChargeResult charge_result(const std::string& order_id, uint32_t attempt,
                           ChargeResult::Outcome outcome, const std::string& reason) {
  ChargeResult r;
  r.set_order_id(order_id);
  r.set_attempt(attempt);
  r.set_outcome(outcome);
  r.set_reason(reason);
  return r;
}

void on_charge(const PaymentState& s, const Charge& c, const inbound& in, ctx_t& ctx,
               const fulfillment_config& cfg) {
  std::string id{ref_id(ctx.self())};
  if (c.order_id() != id || c.amount_cents() <= 0)
    return ctx.reject("charge needs this payment's order id and a positive amount");
  switch (s.status()) {
    case PaymentState::CHARGED:
      return ctx.reply(charge_result(id, c.attempt(), ChargeResult::CHARGED, ""));
    case PaymentState::DECLINED:
      return ctx.reply(charge_result(id, c.attempt(), ChargeResult::DECLINED, s.last_error()));
    case PaymentState::REFUNDED:
    case PaymentState::CANCELLED:
      return ctx.reply(charge_result(id, c.attempt(), ChargeResult::DECLINED,
                                     "the payment of order " + id + " was cancelled"));
    case PaymentState::PENDING: {
      PaymentEvent ev;  // one gateway call at a time: its result answers this attempt too
      ev.mutable_saga_attempt()->set_saga_attempt(c.attempt());
      return ctx.persist(ev);
    }
    default:
      break;
  }
  PaymentEvent ev;
  auto* e = ev.mutable_requested();
  e->set_gateway_attempt(s.gateway_attempts() + 1);
  e->set_saga_attempt(c.attempt());
  e->set_amount_cents(c.amount_cents());
  e->set_card(c.card());
  e->set_requester(is_client_ref(in.sender()) ? "" : in.sender());
  ctx.persist(ev);
  GatewayAuthorize call;
  call.set_order_id(id);
  call.set_amount_cents(c.amount_cents());
  call.set_card(c.card());
  call.set_attempt(e->gateway_attempt());
  ctx.send(fulfillment::gateway_ref(cfg, id), call, id);
}

void void_approval(const GatewayResult& r, const inbound& in, int64_t amount, ctx_t& ctx) {
  PaymentEvent ev;
  ev.mutable_voided()->set_auth_id(r.auth_id());
  ev.mutable_voided()->set_amount_cents(amount);
  ev.mutable_voided()->set_gateway_attempt(r.attempt());
  ctx.persist(ev);
  GatewaySettle st;
  st.set_order_id(r.order_id());
  st.set_kind(GatewaySettle::VOID);
  st.set_amount_cents(amount);
  st.set_auth_id(r.auth_id());
  ctx.send(in.sender(), st);
}

/// Whether this approval already moved money here: captured (then perhaps refunded) or voided.
bool approval_handled(const PaymentState& s, const std::string& auth_id) {
  if (s.charges() > 0 && s.auth_id() == auth_id)
    return true;
  return std::find(s.voided_auths().begin(), s.voided_auths().end(), auth_id)
         != s.voided_auths().end();
}

void on_result(const PaymentState& s, const GatewayResult& r, const inbound& in, ctx_t& ctx) {
  if (ref_type(in.sender()) != "gateway" || r.order_id() != ref_id(ctx.self()))
    return ctx.reject("gateway results are accepted from the gateway only");
  // The gateway sends a result again when the runtime gave up on the first copy without
  // knowing whether it arrived: a copy of one handled here changes nothing (voiding it again
  // would hand back money the gateway never took twice).
  if (r.verdict() == APPROVED && approval_handled(s, r.auth_id()))
    return;
  bool current = r.attempt() == s.gateway_attempts()
                 && (s.status() == PaymentState::PENDING || s.cancel_pending());
  if (!current || s.cancel_pending()) {
    if (r.verdict() == APPROVED)
      void_approval(r, in, s.amount_cents(), ctx);  // never captured for this order
    else if (current) {
      PaymentEvent ev;  // the in-flight call of a cancelled payment ended: nothing to undo
      ev.mutable_failed()->set_gateway_attempt(r.attempt());
      ev.mutable_failed()->set_verdict(r.verdict());
      ev.mutable_failed()->set_reason(r.reason());
      ctx.persist(ev);
    }
    return;
  }
  PaymentEvent ev;
  auto outcome = ChargeResult::TRANSIENT;
  if (r.verdict() == APPROVED) {
    ev.mutable_charged()->set_auth_id(r.auth_id());
    ev.mutable_charged()->set_amount_cents(s.amount_cents());
    ev.mutable_charged()->set_at_ms(ctx.now_ms());
    outcome = ChargeResult::CHARGED;
  } else if (r.verdict() == DECLINED) {
    ev.mutable_declined()->set_reason(r.reason());
    outcome = ChargeResult::DECLINED;
  } else {
    ev.mutable_failed()->set_gateway_attempt(r.attempt());
    ev.mutable_failed()->set_verdict(r.verdict());
    ev.mutable_failed()->set_reason(r.reason());
  }
  ctx.persist(ev);
  if (!s.requester().empty())
    ctx.send(s.requester(), charge_result(r.order_id(), s.saga_attempt(), outcome, r.reason()));
}

void on_refund(const PaymentState& s, const Refund& r, ctx_t& ctx, const fulfillment_config& cfg) {
  std::string id{ref_id(ctx.self())};
  RefundResult res;
  res.set_order_id(id);
  res.set_attempt(r.attempt());
  PaymentEvent ev;
  if (s.status() == PaymentState::CHARGED) {
    ev.mutable_refunded()->set_amount_cents(s.charged_cents());
    ev.mutable_refunded()->set_at_ms(ctx.now_ms());
    ctx.persist(ev);
    GatewaySettle st;
    st.set_order_id(id);
    st.set_kind(GatewaySettle::REFUND);
    st.set_amount_cents(s.charged_cents());
    st.set_auth_id(s.auth_id());
    ctx.send(fulfillment::gateway_ref(cfg, id), st, id);
    res.set_refunded_cents(s.charged_cents());
  } else if (s.status() == PaymentState::REFUNDED) {
    res.set_refunded_cents(s.refunded_cents());  // idempotent: the one refund, again
  } else if (s.status() != PaymentState::CANCELLED) {
    // Nothing captured: refuse any later charge; an approval still in flight is voided.
    ev.mutable_cancelled()->set_reason(s.status() == PaymentState::PENDING
                                         ? "cancelled while the charge was in flight"
                                         : "cancelled before any charge");
    ctx.persist(ev);
  }
  ctx.reply(res);
}

void decide(const PaymentState& s, const inbound& in, ctx_t& ctx, const fulfillment_config& cfg) {
  if (Charge c; in.parse(c)) {
    on_charge(s, c, in, ctx, cfg);
  } else if (GatewayResult r; in.parse(r)) {
    on_result(s, r, in, ctx);
  } else if (Refund r; in.parse(r)) {
    on_refund(s, r, ctx, cfg);
  } else if (in.is<GetPayment>()) {
    ctx.reply(s);
  } else if (DeliveryFailed df; in.sender().empty() && in.parse(df) && outcome_unknown(df)
                                 && df.type() == type_name_of<GatewaySettle>()) {
    // A refund or void the runtime gave up delivering after an outage: the money did move
    // back here, so the gateway's ledger must hear of it. It takes a copy once per
    // authorisation (gateway_settle_window_ms).
    ctx.resend(df);
  } else if (in.is<DeliveryFailed>() || in.is<Rejected>()) {
    // The gateway call could not be delivered: a failed attempt (a transient failure for the
    // saga); should the gateway still answer it, that approval is stale and gets voided.
    if (DeliveryFailed df; in.parse(df) && df.type() == type_name_of<GatewayAuthorize>()
                           && (s.status() == PaymentState::PENDING || s.cancel_pending())) {
      PaymentEvent ev;
      ev.mutable_failed()->set_gateway_attempt(s.gateway_attempts());
      ev.mutable_failed()->set_verdict(ERROR);
      ev.mutable_failed()->set_reason("gateway unreachable: " + df.reason());
      ctx.persist(ev);
      if (!s.requester().empty() && !s.cancel_pending())
        ctx.send(s.requester(), charge_result(std::string{ref_id(ctx.self())}, s.saga_attempt(),
                                              ChargeResult::TRANSIENT, ev.failed().reason()));
    }
  } else {
    ctx.reject("payment does not understand " + in.type());
  }
}

void apply(PaymentState& s, const PaymentEvent& ev) {
  switch (ev.kind_case()) {
    case PaymentEvent::kRequested: {
      auto& e = ev.requested();
      s.set_status(PaymentState::PENDING);
      s.set_gateway_attempts(e.gateway_attempt());
      s.set_saga_attempt(e.saga_attempt());
      s.set_amount_cents(e.amount_cents());
      s.set_card(e.card());
      if (!e.requester().empty())
        s.set_requester(e.requester());
      break;
    }
    case PaymentEvent::kSagaAttempt:
      s.set_saga_attempt(ev.saga_attempt().saga_attempt());
      break;
    case PaymentEvent::kCharged:
      s.set_status(PaymentState::CHARGED);
      s.set_auth_id(ev.charged().auth_id());
      s.set_charged_cents(ev.charged().amount_cents());
      s.set_charged_ms(ev.charged().at_ms());
      s.set_charges(s.charges() + 1);
      break;
    case PaymentEvent::kFailed:
      if (s.cancel_pending())
        s.set_cancel_pending(false);
      else
        s.set_status(PaymentState::FAILED);
      s.set_last_error(ev.failed().reason());
      break;
    case PaymentEvent::kDeclined:
      s.set_status(PaymentState::DECLINED);
      s.set_last_error(ev.declined().reason());
      break;
    case PaymentEvent::kRefunded:
      s.set_status(PaymentState::REFUNDED);
      s.set_refunded_cents(s.refunded_cents() + ev.refunded().amount_cents());
      s.set_refunded_ms(ev.refunded().at_ms());
      s.set_refunds(s.refunds() + 1);
      break;
    case PaymentEvent::kCancelled:
      s.set_cancel_pending(s.status() == PaymentState::PENDING);
      s.set_status(PaymentState::CANCELLED);
      s.set_last_error(ev.cancelled().reason());
      break;
    case PaymentEvent::kVoided:
      if (s.status() == PaymentState::CANCELLED
          && ev.voided().gateway_attempt() == s.gateway_attempts())
        s.set_cancel_pending(false);
      s.set_voids(s.voids() + 1);
      s.add_voided_auths(ev.voided().auth_id());
      break;
    case PaymentEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("PaymentEvent of no kind (corrupt, or from a newer build)");
  }
}

} // namespace

entity_logic_ptr make_payment_logic(fulfillment::config_ptr cfg) {
  return std::make_shared<entity_definition<PaymentState, PaymentEvent>>(
    "payment",
    [cfg](const PaymentState& s, const inbound& in, ctx_t& ctx) { decide(s, in, ctx, *cfg); },
    apply, cfg->snapshot_every);
}

} // namespace sagaforge::payment
