// Target http_body: request bodies of the HTTP face. The first byte picks the route, the
// rest is the body:
//   0 POST /v1/orders (order::CreateOrder), 1 POST /v1/orders/{id}/cancel (order::CancelOrder),
//   2 PUT /v1/products/{sku} (catalog::UpsertProduct), 3 POST /v1/redemptions
//   (http::PlaceRedemption): parse_body (json_io.hpp), then to_json of what parsed, answered
//   with send_json, as the handlers echo it;
//   4 POST /admin/v1/entities/{type}/{id}/commands: the body's gate as send_command
//   (routes_admin_ops.cpp, file-local: its checks are repeated here), new_message of the
//   named type and parse_json_into of the payload.
// route_table.cpp wraps every handler in catch (const std::exception&) -> 500: so does this
// target (counted as caught); anything else escaping is a finding.
#include "http/face_context.hpp"
#include "http/json_io.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include "catalog.pb.h"
#include "http_api.pb.h"
#include "order.pb.h"

namespace sagaforge::fuzz {

namespace {

std::vector<std::string> seeds() {
  auto at = [](char route, const std::string& body) { return std::string(1, route) + body; };
  return {
    at(0, R"({"order_id": "O-1", "customer_id": "C-1", "lines": [{"sku": "SKU-1", "quantity": 2,)"
          R"( "unit_price_cents": 1250}], "card": "tok_visa", "ship_to": "eu"})"),
    at(0, R"({"order_id":"O-2","customer_id":"C-2","lines":[]})"),
    at(1, R"({"reason": "changed my mind"})"),
    at(2, R"({"name": "Lamp", "description": "a lamp", "category": "home", "price_cents": 4999,)"
          R"( "active": true})"),
    at(3, R"({"redemption_id": "R-1", "customer_id": "C-1", "reward_id": "W-1",)"
          R"( "expected_cost": "300"})"),
    at(4, R"({"type": "sagaforge.points.EarnPoints", "payload": {"transaction_id": "T-1",)"
          R"( "points": 100, "reason": "goodwill"}})"),
    at(4, R"({"type": "sagaforge.counter.Add", "payload": {"amount": "-9223372036854775808"}})"),
    at(4, R"({"type": "sagaforge.order.GetOrder"})"),
  };
}

void typed_body(google::protobuf::Message& msg, const std::string& body) {
  httplib::Request req;
  req.set_header("Content-Type", "application/json");
  req.body = body;
  httplib::Response res;
  if (http::parse_body(req, res, msg))
    http::send_json(res, 200, http::to_json(msg));
}

void admin_command(const std::string& text) {
  using http::json;
  auto body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("type")
      || !body["type"].is_string() || body.size() > 2
      || (body.size() == 2 && !(body.contains("payload") && body["payload"].is_object())))
    return;
  auto msg = http::new_message(body["type"].get<std::string>());
  if (!msg)
    return;
  auto payload = body.value("payload", json::object()).dump();
  if (http::parse_json_into(payload, *msg).empty())
    (void) msg->SerializeAsString();
}

} // namespace

target http_body_target() {
  target t;
  t.name = "http_body";
  t.seeds = seeds;
  t.max_len = 4096;
  t.dictionary = {"{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999", "-0",
                  "\"9223372036854775808\"", "\\u0000", "\\ud800", "\"lines\"", "\"payload\"",
                  "\"type\"", "\"sagaforge.points.EarnPoints\"", "\"order_id\"", "{\"a\":{}}"};
  t.run = [](std::string_view data, uint64_t& caught, uint64_t&) {
    if (data.empty())
      return;
    std::string body{data.substr(1)};
    try {
      switch (static_cast<unsigned char>(data[0]) % 5) {
        case 0: {
          order::CreateOrder m;
          typed_body(m, body);
          break;
        }
        case 1: {
          order::CancelOrder m;
          typed_body(m, body);
          break;
        }
        case 2: {
          catalog::UpsertProduct m;
          typed_body(m, body);
          break;
        }
        case 3: {
          http::PlaceRedemption m;
          typed_body(m, body);
          break;
        }
        case 4:
          admin_command(body);
          break;
      }
    } catch (const std::exception&) {
      ++caught;
    }
  };
  return t;
}

} // namespace sagaforge::fuzz
