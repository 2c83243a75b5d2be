// Small helpers of the HTTP suites over httplib::Client: JSON POST/PUT/GET, and polling an
// order until it is final (for the scenarios that do not use ?wait=).
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "tests/http/node_process.hpp"

namespace sagaforge::testing {

inline httplib::Result post_json(httplib::Client& c, const std::string& path, const json& body,
                                 httplib::Headers h = {}) {
  return c.Post(path.c_str(), h, body.dump(), "application/json");
}

inline httplib::Result put_json(httplib::Client& c, const std::string& path, const json& body,
                                httplib::Headers h = {}) {
  return c.Put(path.c_str(), h, body.dump(), "application/json");
}

inline json get_json(httplib::Client& c, const std::string& path, httplib::Headers h = {}) {
  return body_of(c.Get(path.c_str(), h));
}

inline json order_body(const std::string& customer, const std::string& sku, int64_t qty,
                       int64_t price) {
  return {{"customer_id", customer},
          {"lines", json::array({{{"sku", sku}, {"quantity", qty}, {"unit_price_cents", price}}})}};
}

/// Polls GET /v1/orders/{id} until CONFIRMED or CANCELLED (or 30 s); returns the last body.
inline json await_order(httplib::Client& c, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  json o;
  while (std::chrono::steady_clock::now() < deadline) {
    o = get_json(c, "/v1/orders/" + id);
    if (o.is_object()
        && (o.value("status", "") == "CONFIRMED" || o.value("status", "") == "CANCELLED"))
      return o;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return o;
}

}  // namespace sagaforge::testing
