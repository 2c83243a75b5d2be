// Orders over HTTP (seeds 001-004): create (Idempotency-Key, 202 + Location, ?wait=), get,
// cancel, a customer's orders, payment and shipment status, the saga timeline.
// Commands go through the node's client (journaled, de-duplicated); reads take the entity's
// state without a step.
#include <regex>

#include "actors/fulfillment/fulfillment_config.hpp"
#include "fulfillment.pb.h"
#include "http/routes.hpp"
#include "order.pb.h"
#include "payment.pb.h"
#include "runtime/committed_watch.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "shipment.pb.h"

namespace sagaforge::http {

namespace {

using order::OrderState;

bool order_final(const pb_message& m) {
  auto& s = static_cast<const OrderState&>(m);
  return s.status() == "CONFIRMED" || s.status() == "CANCELLED";
}

/// An order as the API shows it: the fields of OrderView (the entity's reply), whether it
/// comes from a reply or from a committed state (the card token stays inside the node).
json order_json(const pb_message& view_or_state) {
  auto j = to_json(view_or_state);
  auto* view = order::OrderView::descriptor();
  json out = json::object();
  for (auto& [k, v] : j.items())
    if (view->FindFieldByName(k) && k != "existing")
      out[k] = v;
  return out;
}

/// The order entity's rejection text, mapped to the request field it is about.
std::string field_of(const std::string& why) {
  static const std::regex line{R"(line (\d+): (invalid SKU|unknown SKU|quantity|unit price))"};
  std::smatch m;
  if (std::regex_search(why, m, line)) {
    auto idx = std::to_string(std::stoi(m[1]) - 1);
    auto what = m[2].str();
    auto leaf = what == "quantity" ? "quantity" : what == "unit price" ? "unit_price_cents" : "sku";
    return "lines[" + idx + "]." + leaf;
  }
  for (auto* f : {"order_id", "customer_id", "card", "ship_to"})
    if (why.find(f) != std::string::npos)
      return f;
  return why.find("lines") != std::string::npos ? "lines" : "";
}

/// Same customer and lines: a repeated create, not another order under the same key.
bool same_order(const order::CreateOrder& c, const order::OrderView& v) {
  if (c.customer_id() != v.customer_id() || c.lines_size() != v.lines_size())
    return false;
  for (int i = 0; i < c.lines_size(); ++i)
    if (c.lines(i).SerializeAsString() != v.lines(i).SerializeAsString())
      return false;
  return true;
}

/// Answers with the order as the command left it, or, with ?wait=, as it is once final
/// (the committed-step subscription says when; no polling).
void answer_order(committed_watch& watch, const order::OrderView& v, int64_t wait_ms,
                  httplib::Response& res) {
  bool final = v.status() == "CONFIRMED" || v.status() == "CANCELLED";
  auto location = "/v1/orders/" + v.order_id();
  if (wait_ms > 0 && !final) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{wait_ms};
    if (auto done = watch.wait_until(until)) {
      OrderState s;
      s.ParseFromString(*done);
      return send_accepted(res, location, order_json(s), true);
    }
  }
  send_accepted(res, location, order_json(v), wait_ms > 0 && final);
}

void post_order(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  order::CreateOrder c;
  int64_t wait_ms = 0;
  if (!parse_body(req, res, c) || !wait_param(fc, req, res, wait_ms))
    return;
  if (c.order_id().empty())
    c.set_order_id(req.has_header("Idempotency-Key") ? id_from_key(req, "ord-") : fresh_id("ord-"));
  if (auto err = validate_id(c.order_id()))
    return send_error(res, 400, "invalid_id", "order_id: " + describe(err), "order_id");
  auto ref = fulfillment::order_ref(c.order_id());
  committed_watch watch{fc.node.context(), ref, order_final};
  auto ack = fc.node.ask(ref, c, fc.ask_timeout, c.order_id());
  if (!ack) {
    auto why = describe(ack.error());
    if (ack.error() == runtime_errc::rejected)
      return send_error(res, 400, "invalid_order", why, field_of(why));
    return send_runtime_error(res, ack.error());
  }
  order::OrderView v;
  v.ParseFromString(ack->reply_payload());
  if (v.existing() && !same_order(c, v))
    return send_error(res, 409, "idempotency_conflict",
                      "order " + c.order_id() + " exists with another customer or other lines",
                      "order_id");
  answer_order(watch, v, wait_ms, res);
}

void cancel_order(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string id;
  int64_t wait_ms = 0;
  if (!path_id(req, res, 1, "id", id) || !wait_param(fc, req, res, wait_ms))
    return;
  order::CancelOrder c;
  if (!req.body.empty() && !parse_body(req, res, c))
    return;
  auto ref = fulfillment::order_ref(id);
  if (!fc.node.context().dir().find(ref))
    return send_error(res, 404, "not_found", "no order " + id);
  committed_watch watch{fc.node.context(), ref, order_final};
  auto ack = fc.node.ask(ref, c, fc.ask_timeout, id);
  if (!ack) {
    auto why = describe(ack.error());
    if (ack.error() == runtime_errc::rejected)
      return send_error(res, why.find("no order") != std::string::npos ? 404 : 409,
                        why.find("no order") != std::string::npos ? "not_found" : "conflict", why);
    return send_runtime_error(res, ack.error());
  }
  order::OrderView v;
  v.ParseFromString(ack->reply_payload());
  answer_order(watch, v, wait_ms, res);
}

template <class State>
void get_state_of(face_context& fc, const httplib::Request& req, httplib::Response& res,
                  const char* type, const char* what) {
  std::string id;
  EntityReport rep;
  State s;
  if (!path_id(req, res, 1, "id", id)
      || !entity_state(fc, std::string{type} + "/" + id, what, res, rep) || !state_as(rep, res, s))
    return;
  if (s.ByteSizeLong() == 0)  // known only from a refused command: nothing was created
    return send_error(res, 404, "not_found", std::string{"no "} + what + " " + id);
  if constexpr (std::is_same_v<State, OrderState>)
    return send_json(res, 200, order_json(s));
  auto j = to_json(s);
  j.erase("card");
  send_json(res, 200, j);
}

void customer_orders(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string id;
  int64_t limit = 0;
  if (!path_id(req, res, 1, "id", id) || !query_int(req, res, "limit", 1, 1000, 50, limit))
    return;
  auto rows = fc.views->orders_of(id, req.get_param_value("after"), static_cast<size_t>(limit));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"order_id", r.order_id},
                     {"status", r.status},
                     {"total_cents", r.total_cents},
                     {"created_ms", r.created_ms},
                     {"finished_ms", r.finished_ms}});
  json next = rows.size() == static_cast<size_t>(limit) ? json(rows.back().order_id) : json();
  send_json(res, 200, {{"customer_id", id}, {"items", items}, {"next", next}});
}

void get_saga(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string id;
  if (!path_id(req, res, 1, "id", id))
    return;
  auto type = req.has_param("type") ? req.get_param_value("type") : std::string{"fulfillment"};
  if (type != "fulfillment" && type != "redemption")
    return send_error(res, 400, "invalid_argument", "type is fulfillment or redemption", "type");
  EntityReport rep;
  if (!entity_state(fc, type + "/" + id, "saga", res, rep))
    return;
  auto state = new_message(rep.state_type());
  if (!state || !state->ParseFromString(rep.state()))
    return send_error(res, 500, "corrupt_state", "the saga's state does not parse");
  send_json(res, 200, {{"saga", type}, {"id", id}, {"state", to_json(*state)}});
}

}  // namespace

void add_order_routes(route_table& t, face_context& fc) {
  auto* f = &fc;
  t.add("POST", "/v1/orders", "/v1/orders", area::business,
        [f](auto& req, auto& res) { post_order(*f, req, res); });
  t.add("GET", std::string{"/v1/orders/"} + seg, "/v1/orders/{id}", area::business,
        [f](auto& req, auto& res) { get_state_of<OrderState>(*f, req, res, "order", "order"); });
  t.add("POST", std::string{"/v1/orders/"} + seg + "/cancel", "/v1/orders/{id}/cancel",
        area::business, [f](auto& req, auto& res) { cancel_order(*f, req, res); });
  t.add("GET", std::string{"/v1/customers/"} + seg + "/orders", "/v1/customers/{id}/orders",
        area::business, [f](auto& req, auto& res) { customer_orders(*f, req, res); });
  t.add("GET", std::string{"/v1/payments/"} + seg, "/v1/payments/{order}", area::business,
        [f](auto& req, auto& res) {
          get_state_of<payment::PaymentState>(*f, req, res, "payment", "payment for order");
        });
  t.add("GET", std::string{"/v1/shipments/"} + seg, "/v1/shipments/{order}", area::business,
        [f](auto& req, auto& res) {
          get_state_of<shipment::ShipmentState>(*f, req, res, "shipment", "shipment for order");
        });
  t.add("GET", std::string{"/v1/sagas/"} + seg, "/v1/sagas/{id}", area::business,
        [f](auto& req, auto& res) { get_saga(*f, req, res); });
}

}  // namespace sagaforge::http
