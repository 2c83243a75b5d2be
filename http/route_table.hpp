// The routes of the HTTP face and what wraps each handler: access (open, business with the
// rate limit, the admin API's read and admin roles), the audit log for the admin API, the
// request counter and latency histogram by route template (never the raw path), JSON
// answers for exceptions, and 405 with `Allow` for a known path with another method.
// Handlers run on the server's worker threads (never on an actor): they may block on the
// runtime's scoped-actor calls.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <httplib.h>

#include "http/access.hpp"

namespace sagaforge {
class commit_pipeline;
}

namespace sagaforge::http {

class face_metrics;

enum class area : uint8_t {
  open,           // health, metrics
  business,       // /v1/...: rate limited per client
  catalog_admin,  // /v1/... that changes the catalog: rate limited, admin role, audited
  admin_read,     // /admin/v1/... reads: read or admin role, audited
  admin_write,    // /admin/v1/... actions: admin role, audited
};

using handler = std::function<void(const httplib::Request&, httplib::Response&)>;

struct route {
  std::string method;   // GET, POST, PUT, DELETE
  std::string pattern;  // std::regex over the path
  std::string name;     // the template, e.g. "/v1/orders/{id}": the metrics label
  area where;
  handler fn;
};

/// What the wrappers need; owned by the face, outliving the server.
struct access_guard {
  token_auth* auth;
  rate_limiter* limiter;
  audit_log* audit;
  face_metrics* metrics;
  const commit_pipeline* pipeline;  // new work is refused while it waits for space
};

class route_table {
public:
  void add(std::string method, std::string pattern, std::string name, area where, handler fn);
  /// Registers every route (wrapped) and the 405 answers on `srv`.
  void install(httplib::Server& srv, const access_guard& guard) const;
  const std::vector<route>& routes() const { return routes_; }

private:
  std::vector<route> routes_;
};

/// The client key the rate limit counts by: the bearer token if any, else the address.
std::string client_key(const httplib::Request& req);

}  // namespace sagaforge::http
