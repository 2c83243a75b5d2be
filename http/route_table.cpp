// Route wrapping and installation (see route_table.hpp).
#include "http/route_table.hpp"

#include <chrono>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "http/face_metrics.hpp"
#include "http/json_io.hpp"
#include "runtime/commit_pipeline.hpp"
#include "runtime/steady_clock_ms.hpp"

namespace sagaforge::http {

namespace {

role needed(area a) {
  switch (a) {
    case area::admin_read:
      return role::read;
    case area::admin_write:
    case area::catalog_admin:
      return role::admin;
    default:
      return role::none;
  }
}

bool rate_limited(area a) {
  return a == area::business || a == area::catalog_admin;
}

/// Access checks, then the handler; false when the request was answered without it.
bool admit(const route& r, const access_guard& g, const httplib::Request& req,
           httplib::Response& res, role& who) {
  who = g.auth->of(req);
  if (!token_auth::allow(who, needed(r.where), req, res))
    return false;
  int64_t retry_after = 0;
  if (rate_limited(r.where) && !g.limiter->admit(client_key(req), steady_ms(), retry_after)) {
    res.set_header("Retry-After", std::to_string(retry_after));
    send_error(res, 429, "rate_limited",
               "too many requests from this client; retry after " + std::to_string(retry_after)
                 + " s");
    return false;
  }
  if (r.method != "GET" && r.where != area::open && g.pipeline->waiting_for_space()) {
    // Accepting a command now would only park it behind the stalled writer until the
    // client's timeout; say why instead (reads and GETs are still served).
    res.set_header("Retry-After", "5");
    send_error(res, 503, "no_space",
               "the node accepts no new work: " + g.pipeline->space_problem()
                 + "; it resumes by itself once space is freed");
    return false;
  }
  return true;
}

httplib::Server::Handler wrap(const route& r, const access_guard& g) {
  return [r, g](const httplib::Request& req, httplib::Response& res) {
    auto t0 = std::chrono::steady_clock::now();
    role who = role::none;
    try {
      if (admit(r, g, req, res, who))
        r.fn(req, res);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {} threw: {}", req.method, req.path, e.what());
      send_error(res, 500, "internal", "the request failed inside the node; see its log");
    }
    if (r.where != area::open && r.where != area::business)
      g.audit->record(req, who, res.status, res.has_header(dry_run_header));
    g.metrics->observe_request(
      r.name, res.status,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
}

void register_method(httplib::Server& srv, const std::string& method, const std::string& pattern,
                     httplib::Server::Handler h) {
  if (method == "GET")
    srv.Get(pattern, std::move(h));
  else if (method == "POST")
    srv.Post(pattern, std::move(h));
  else if (method == "PUT")
    srv.Put(pattern, std::move(h));
  else if (method == "DELETE")
    srv.Delete(pattern, std::move(h));
  else if (method == "PATCH")
    srv.Patch(pattern, std::move(h));
}

}  // namespace

void route_table::add(std::string method, std::string pattern, std::string name, area where,
                      handler fn) {
  routes_.push_back(
    route{std::move(method), std::move(pattern), std::move(name), where, std::move(fn)});
}

void route_table::install(httplib::Server& srv, const access_guard& guard) const {
  std::map<std::string, std::set<std::string>> methods;  // pattern -> methods it has
  for (auto& r : routes_) {
    register_method(srv, r.method, r.pattern, wrap(r, guard));
    methods[r.pattern].insert(r.method);
  }
  // httplib answers 404 for a known path with another method: say 405 and what is allowed.
  for (auto& [pattern, have] : methods) {
    std::string allow;
    for (auto& m : have)
      allow += (allow.empty() ? "" : ", ") + m;
    for (auto* m : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
      if (have.count(m))
        continue;
      register_method(
        srv, m, pattern,
        [allow, m, metrics = guard.metrics](const httplib::Request&, httplib::Response& res) {
          res.set_header("Allow", allow);
          send_error(res, 405, "method_not_allowed",
                     std::string{m} + " is not allowed here; allowed: " + allow);
          metrics->observe_request("method_not_allowed", 405, 0);
        });
    }
  }
}

std::string client_key(const httplib::Request& req) {
  auto h = req.get_header_value("Authorization");
  return h.empty() ? "addr:" + req.remote_addr : "auth:" + h;
}

}  // namespace sagaforge::http
