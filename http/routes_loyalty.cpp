// Loyalty over HTTP (seed 000): start a redemption (Idempotency-Key, 202 + Location,
// ?wait=), get one, a customer's wallet (balance and rewards redeemed).
#include "actors/redemption/redemption.hpp"
#include "http/routes.hpp"
#include "http_api.pb.h"
#include "points.pb.h"
#include "redemption.pb.h"
#include "runtime/committed_watch.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::http {

namespace {

using redemption::RedemptionState;

bool settled(const pb_message& m) {
  return redemption::is_settled(static_cast<const RedemptionState&>(m));
}

void post_redemption(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  PlaceRedemption p;
  int64_t wait_ms = 0;
  if (!parse_body(req, res, p) || !wait_param(fc, req, res, wait_ms))
    return;
  if (p.redemption_id().empty())
    p.set_redemption_id(req.has_header("Idempotency-Key") ? id_from_key(req, "rdm-")
                                                          : fresh_id("rdm-"));
  if (auto err = validate_id(p.redemption_id()))
    return send_error(res, 400, "invalid_id", "redemption_id: " + describe(err), "redemption_id");
  redemption::StartRedemption start;
  start.set_customer_id(p.customer_id());
  start.set_reward_id(p.reward_id());
  start.set_expected_cost(p.expected_cost());
  auto ref = "redemption/" + p.redemption_id();
  committed_watch watch{fc.node.context(), ref, settled};
  auto ack = fc.node.ask(ref, start, fc.ask_timeout, p.redemption_id());
  if (!ack) {
    auto why = describe(ack.error());
    if (ack.error() != runtime_errc::rejected)
      return send_runtime_error(res, ack.error());
    if (why.find("already exists") != std::string::npos)
      return send_error(res, 409, "idempotency_conflict", why, "redemption_id");
    auto field = why.find("customer_id") != std::string::npos ? "customer_id"
                 : why.find("reward_id") != std::string::npos ? "reward_id"
                                                              : "expected_cost";
    return send_error(res, 400, "invalid_redemption", why, field);
  }
  RedemptionState s;
  s.ParseFromString(ack->reply_payload());
  if (wait_ms > 0 && !settled(s)) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{wait_ms};
    if (auto done = watch.wait_until(until))
      s.ParseFromString(*done);
  }
  auto body = to_json(s);
  body["redemption_id"] = p.redemption_id();
  send_accepted(res, "/v1/redemptions/" + p.redemption_id(), body, wait_ms > 0 && settled(s));
}

void get_redemption(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string id;
  EntityReport rep;
  RedemptionState s;
  if (!path_id(req, res, 1, "id", id)
      || !entity_state(fc, "redemption/" + id, "redemption", res, rep) || !state_as(rep, res, s))
    return;
  if (s.status() == redemption::NEW)
    return send_error(res, 404, "not_found", "no redemption " + id);
  auto body = to_json(s);
  body["redemption_id"] = id;
  send_json(res, 200, body);
}

void get_wallet(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string id;
  EntityReport rep;
  points::PointsState s;
  if (!path_id(req, res, 1, "id", id) || !entity_state(fc, "points/" + id, "customer", res, rep)
      || !state_as(rep, res, s))
    return;
  json rewards = json::array();
  for (auto& w : fc.views->wallet(id))
    rewards.push_back({{"redemption_id", w.redemption_id},
                       {"reward_id", w.reward_id},
                       {"reward_name", w.reward_name},
                       {"points", w.points},
                       {"at_ms", w.at_ms}});
  send_json(res, 200,
            {{"customer_id", id},
             {"balance", s.balance()},
             {"earned", s.earned()},
             {"spent", s.spent()},
             {"refunded", s.refunded()},
             {"rewards", rewards}});
}

}  // namespace

void add_loyalty_routes(route_table& t, face_context& fc) {
  auto* f = &fc;
  t.add("POST", "/v1/redemptions", "/v1/redemptions", area::business,
        [f](auto& req, auto& res) { post_redemption(*f, req, res); });
  t.add("GET", std::string{"/v1/redemptions/"} + seg, "/v1/redemptions/{id}", area::business,
        [f](auto& req, auto& res) { get_redemption(*f, req, res); });
  t.add("GET", std::string{"/v1/customers/"} + seg + "/wallet", "/v1/customers/{id}/wallet",
        area::business, [f](auto& req, auto& res) { get_wallet(*f, req, res); });
}

}  // namespace sagaforge::http
