// The console suites' fixture: a real sagaforge-node (tests/http/node_process.hpp: shipped
// config with the demo data, port 0, temp folder) and helpers that run sagaforge-console
// against it with the admin or read token, and that wait for a condition with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/console/console_run.hpp"
#include "tests/http/http_client.hpp"

namespace sagaforge::testing {

struct console_fixture : node_fixture {
  explicit console_fixture(const std::string& name = "console") : node_fixture(name) {}

  std::string url() const { return "http://127.0.0.1:" + std::to_string(node.port()); }

  /// sagaforge-console --url URL --token TOKEN --json -c CMD (admin token unless `token`).
  console_result json_cmd(const std::string& cmd, const char* token = admin_token) {
    return run_console({"--url", url(), "--token", token, "--json", "-c", cmd});
  }

  /// The same without --json (the text a person reads).
  console_result text_cmd(const std::string& cmd, const char* token = admin_token) {
    return run_console({"--url", url(), "--token", token, "-c", cmd});
  }

  /// Runs `cmd` (--json) until `ok(doc)` or 20 s; returns the last document.
  json json_until(const std::string& cmd, const std::function<bool(const json&)>& ok) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    json doc;
    do {
      doc = json_cmd(cmd).doc();
      if (ok(doc))
        return doc;
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    } while (std::chrono::steady_clock::now() < deadline);
    return doc;
  }

  /// Places an order and waits until it is final; returns its id.
  std::string confirmed_order(const std::string& customer, const std::string& sku, int qty,
                              int price, const std::string& ship_to = "") {
    auto body = order_body(customer, sku, qty, price);
    if (!ship_to.empty())
      body["ship_to"] = ship_to;
    auto r = post_json(*cli, "/v1/orders?wait=20s", body);
    return r ? body_of(r).value("order_id", "") : "";
  }
};

/// True when some item of doc["items"] has `key` equal to `value`.
inline bool has_item(const json& doc, const std::string& key, const json& value) {
  if (!doc.is_object() || !doc.contains("items"))
    return false;
  for (auto& i : doc["items"])
    if (i.contains(key) && i[key] == value)
      return true;
  return false;
}

}  // namespace sagaforge::testing
