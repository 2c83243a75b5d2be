// The catalog over HTTP (seed 004): PUT one product (admin role; a command to its catalog
// entity), GET one, and search the read model (catalog_view: never a journal scan).
#include "actors/catalog/catalog.hpp"
#include "catalog.pb.h"
#include "http/routes.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::http {

namespace {

void put_product(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string sku;
  catalog::UpsertProduct u;
  if (!path_id(req, res, 1, "sku", sku) || !parse_body(req, res, u))
    return;
  if (auto err = catalog::validate_product(u); !err.empty()) {
    auto field = err.substr(0, err.find(' '));
    return send_error(res, 400, "invalid_product", err, field);
  }
  auto ack = fc.node.ask(catalog::catalog_ref(sku), u, fc.ask_timeout, sku);
  if (!ack)
    return send_runtime_error(res, ack.error());
  catalog::Product p;
  p.ParseFromString(ack->reply_payload());
  fc.catalog->upsert(p);  // read-your-write: the observer may run a moment later
  res.set_header("Location", "/v1/catalog/" + sku);
  send_json(res, 200, to_json(p));
}

void get_product(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string sku;
  if (!path_id(req, res, 1, "sku", sku))
    return;
  auto p = fc.catalog->get(sku);
  if (!p)
    return send_error(res, 404, "not_found", "no product " + sku);
  send_json(res, 200, to_json(*p));
}

void search(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  int64_t limit = 0;
  if (!query_int(req, res, "limit", 1, 100, 20, limit))
    return;
  catalog::catalog_view::query q;
  q.text = req.get_param_value("q").substr(0, 200);
  q.category = req.get_param_value("category").substr(0, 40);
  q.after = req.get_param_value("after").substr(0, 64);
  q.limit = static_cast<size_t>(limit);
  auto found = fc.catalog->search(q);
  json items = json::array();
  for (auto& p : found)
    items.push_back(to_json(p));
  json next = found.size() == q.limit ? json(found.back().sku()) : json();
  send_json(res, 200, {{"items", items}, {"next", next}});
}

}  // namespace

void add_catalog_routes(route_table& t, face_context& fc) {
  if (!fc.catalog)
    return;
  auto* f = &fc;
  t.add("PUT", std::string{"/v1/catalog/"} + seg, "/v1/catalog/{sku}", area::catalog_admin,
        [f](auto& req, auto& res) { put_product(*f, req, res); });
  t.add("GET", std::string{"/v1/catalog/"} + seg, "/v1/catalog/{sku}", area::business,
        [f](auto& req, auto& res) { get_product(*f, req, res); });
  t.add("GET", "/v1/catalog", "/v1/catalog", area::business,
        [f](auto& req, auto& res) { search(*f, req, res); });
}

}  // namespace sagaforge::http
