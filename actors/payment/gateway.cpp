// Gateway entity: Commands (payment.proto), Replies, Events, State, then the handlers.
#include "actors/payment/gateway.hpp"

#include "actors/payment/breaker.hpp"
#include "envelope.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::payment {

namespace {

using ctx_t = decide_context<GatewayEvent>;
using fulfillment::fulfillment_config;

/// For "timeout:N" / "error:N" cards: N, or 0 when the card is not of that form.
uint32_t forced_attempts(const std::string& card, const std::string& prefix) {
  if (card.size() <= prefix.size() || card.compare(0, prefix.size(), prefix) != 0)
    return 0;
  uint32_t n = 0;
  for (size_t i = prefix.size(); i < card.size(); ++i) {
    if (card[i] < '0' || card[i] > '9' || n > 100000)
      return 0;
    n = n * 10 + static_cast<uint32_t>(card[i] - '0');
  }
  return n;
}

GatewayResult result_of(const std::string& order_id, uint32_t attempt, Verdict v,
                        const std::string& reason) {
  GatewayResult r;
  r.set_order_id(order_id);
  r.set_attempt(attempt);
  r.set_verdict(v);
  r.set_reason(reason);
  if (v == APPROVED)
    r.set_auth_id("auth-" + order_id + "-" + std::to_string(attempt));
  return r;
}

void on_authorize(const GatewayState& s, const GatewayAuthorize& a, const inbound& in, ctx_t& ctx,
                  const fulfillment_config& cfg) {
  if (validate_id(a.order_id()) || a.amount_cents() <= 0)
    return ctx.reject("authorize needs a valid order id and a positive amount");
  auto b = breaker_at(s.breaker(), ctx.now_ms());
  GatewayEvent ev;
  if (!breaker_admits(b, cfg)) {
    auto* e = ev.mutable_rejected();
    e->set_order_id(a.order_id());
    e->set_attempt(a.attempt());
    *e->mutable_breaker() = b;
    ctx.persist(ev);
    auto why = b.state() == OPEN ? "circuit open until " + std::to_string(b.open_until_ms())
                                 : std::string{"circuit half-open, trial calls busy"};
    return ctx.reply(result_of(a.order_id(), a.attempt(), CIRCUIT_OPEN, why));
  }
  bool probe = b.state() == HALF_OPEN;
  b = breaker_admit(b);
  auto [verdict, reason] = simulate_call(cfg, a);
  auto* e = ev.mutable_admitted();
  e->set_order_id(a.order_id());
  e->set_attempt(a.attempt());
  e->set_probe(probe);
  *e->mutable_breaker() = b;
  ctx.persist(ev);
  auto delay = call_latency_ms(cfg, a, verdict);
  if (delay == 0) {
    GatewayEvent done;
    auto* c = done.mutable_completed();
    c->set_order_id(a.order_id());
    c->set_attempt(a.attempt());
    c->set_verdict(verdict);
    c->set_amount_cents(a.amount_cents());
    *c->mutable_breaker() = breaker_after(b, verdict, probe, ctx.now_ms(), cfg);
    ctx.persist(done);
    return ctx.reply(result_of(a.order_id(), a.attempt(), verdict, reason));
  }
  GatewayComplete later;
  later.set_order_id(a.order_id());
  later.set_payer(in.sender());
  later.set_attempt(a.attempt());
  later.set_verdict(verdict);
  later.set_reason(reason);
  later.set_amount_cents(a.amount_cents());
  later.set_probe(probe);
  ctx.set_timer("call:" + a.order_id() + "#" + std::to_string(a.attempt()), delay, later);
}

void on_complete(const GatewayState& s, const GatewayComplete& g, ctx_t& ctx,
                 const fulfillment_config& cfg) {
  GatewayEvent ev;
  auto* c = ev.mutable_completed();
  c->set_order_id(g.order_id());
  c->set_attempt(g.attempt());
  c->set_verdict(g.verdict());
  c->set_amount_cents(g.amount_cents());
  *c->mutable_breaker() = breaker_after(s.breaker(), g.verdict(), g.probe(), ctx.now_ms(), cfg);
  ctx.persist(ev);
  if (!is_client_ref(g.payer()) && !validate_ref(g.payer()))
    ctx.send(g.payer(), result_of(g.order_id(), g.attempt(), g.verdict(), g.reason()));
}

void decide(const GatewayState& s, const inbound& in, ctx_t& ctx, const fulfillment_config& cfg) {
  if (GatewayAuthorize a; in.parse(a)) {
    on_authorize(s, a, in, ctx, cfg);
  } else if (GatewayComplete g; in.parse(g)) {
    if (!in.sender().empty())
      return ctx.reject("GatewayComplete is the gateway's own timer");
    on_complete(s, g, ctx, cfg);
  } else if (GatewaySettle st; in.parse(st)) {
    if (st.amount_cents() < 0)
      return ctx.reject("settle amount must not be negative");
    // Taken once per authorisation and kind: a payment sends a settle again when the first
    // one's delivery outcome is unknown (dead-lettered after an outage), as real gateways
    // take an idempotency key within a window.
    if (!st.auth_id().empty())
      for (auto& done : s.settled())
        if (done.auth_id() == st.auth_id() && done.kind() == st.kind())
          return;
    GatewayEvent ev;
    ev.mutable_settled()->set_kind(st.kind());
    ev.mutable_settled()->set_amount_cents(st.amount_cents());
    ev.mutable_settled()->set_auth_id(st.auth_id());
    ev.mutable_settled()->set_at_ms(ctx.now_ms());
    ev.mutable_settled()->set_forget_before_ms(ctx.now_ms() - cfg.gateway_settle_window_ms);
    ctx.persist(ev);
  } else if (in.is<GetGateway>()) {
    auto v = s;
    *v.mutable_breaker() = breaker_at(s.breaker(), ctx.now_ms());
    ctx.reply(v);
  } else if (DeliveryFailed df; in.sender().empty() && in.parse(df)) {
    // A result the runtime gave up delivering (an outage past retry.max-age-ms): the payment
    // waits for exactly this answer, and without it a captured charge is never recorded (or
    // voided). It is a fact, and the payment takes it once: a stale or second copy is voided
    // or ignored there.
    if (outcome_unknown(df) && df.type() == type_name_of<GatewayResult>())
      ctx.resend(df);
  } else if (in.is<Rejected>()) {
    // the payment refused a result: nothing the gateway can do about it
  } else {
    ctx.reject("gateway does not understand " + in.type());
  }
}

void apply(GatewayState& s, const GatewayEvent& ev) {
  switch (ev.kind_case()) {
    case GatewayEvent::kAdmitted:
      s.set_calls(s.calls() + 1);
      s.set_in_flight(s.in_flight() + 1);
      *s.mutable_breaker() = ev.admitted().breaker();
      break;
    case GatewayEvent::kRejected:
      s.set_rejected_open(s.rejected_open() + 1);
      *s.mutable_breaker() = ev.rejected().breaker();
      break;
    case GatewayEvent::kCompleted: {
      auto& c = ev.completed();
      s.set_in_flight(s.in_flight() > 0 ? s.in_flight() - 1 : 0);
      if (c.breaker().state() == OPEN && s.breaker().state() != OPEN)
        s.set_trips(s.trips() + 1);
      *s.mutable_breaker() = c.breaker();
      if (c.verdict() == APPROVED) {
        s.set_approved(s.approved() + 1);
        s.set_captured_cents(s.captured_cents() + c.amount_cents());
      } else if (c.verdict() == DECLINED) {
        s.set_declined(s.declined() + 1);
      } else if (c.verdict() == TIMEOUT) {
        s.set_timeouts(s.timeouts() + 1);
      } else {
        s.set_errors(s.errors() + 1);
      }
      break;
    }
    case GatewayEvent::kSettled: {
      auto& e = ev.settled();
      if (e.kind() == GatewaySettle::REFUND)
        s.set_refunded_cents(s.refunded_cents() + e.amount_cents());
      else
        s.set_voided_cents(s.voided_cents() + e.amount_cents());
      auto* kept = s.mutable_settled();
      auto stale = std::find_if(kept->begin(), kept->end(), [&](const SettledAuth& a) {
        return a.at_ms() >= e.forget_before_ms();
      });
      kept->erase(kept->begin(), stale);  // oldest first: the window's tail goes
      if (!e.auth_id().empty()) {
        auto* a = kept->Add();
        a->set_kind(e.kind());
        a->set_auth_id(e.auth_id());
        a->set_at_ms(e.at_ms());
      }
      break;
    }
    case GatewayEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("GatewayEvent of no kind (corrupt, or from a newer build)");
  }
}

} // namespace

std::pair<Verdict, std::string> simulate_call(const fulfillment_config& cfg,
                                              const GatewayAuthorize& call) {
  auto& card = call.card();
  if (call.attempt() <= forced_attempts(card, "timeout:"))
    return {TIMEOUT, "no answer from the gateway (test card)"};
  if (call.attempt() <= forced_attempts(card, "error:"))
    return {ERROR, "gateway error (test card)"};
  auto p = fulfillment::permille_of(call.order_id(), call.attempt());
  if (p < cfg.gateway_error_permille)
    return {ERROR, "gateway error (simulated)"};
  if (p < cfg.gateway_error_permille + cfg.gateway_timeout_permille)
    return {TIMEOUT, "no answer from the gateway (simulated)"};
  if (card == cfg.declined_card)
    return {DECLINED, "card declined"};
  if (call.amount_cents() > cfg.gateway_amount_limit_cents)
    return {DECLINED, "amount " + std::to_string(call.amount_cents())
                        + " cents exceeds the limit of "
                        + std::to_string(cfg.gateway_amount_limit_cents)};
  return {APPROVED, ""};
}

int64_t call_latency_ms(const fulfillment_config& cfg, const GatewayAuthorize& call,
                        Verdict verdict) {
  if (verdict == TIMEOUT)
    return cfg.gateway_timeout_ms;
  if (cfg.gateway_latency_jitter_ms <= 0)
    return cfg.gateway_latency_ms;
  auto h = stable_hash(call.order_id() + "#latency#" + std::to_string(call.attempt()));
  return cfg.gateway_latency_ms
         + static_cast<int64_t>(h % static_cast<uint64_t>(cfg.gateway_latency_jitter_ms + 1));
}

entity_logic_ptr make_gateway_logic(fulfillment::config_ptr cfg) {
  return std::make_shared<entity_definition<GatewayState, GatewayEvent>>(
    "gateway",
    [cfg](const GatewayState& s, const inbound& in, ctx_t& ctx) { decide(s, in, ctx, *cfg); },
    apply, cfg->snapshot_every);
}

} // namespace sagaforge::payment
