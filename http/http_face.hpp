// The node's HTTP/1.1 face (DESIGN §8): business API under /v1, admin API under /admin/v1,
// /health/live, /health/ready and /metrics, served by cpp-httplib on a bounded pool of
// worker threads with body, URL and header limits, read/write and keep-alive timeouts and
// optional TLS; every error is JSON. Requests become client messages to the runtime and are
// answered once the step is durable; the HTTP threads never run on an entity's actor.
// Start it after the node's runtime is up; stop it before the runtime shuts down.
// docs/http-api.md is the reference; the options are sagaforge.http.* (configuration.md).
#pragma once

#include <memory>
#include <string>

#include "caf/expected.hpp"

#include "runtime/cluster_view.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::catalog {
class catalog_view;
}

namespace sagaforge::http {

class http_face {
public:
  /// Binds (port 0: any free one), logs "http: listening on ADDR:PORT" and serves from a
  /// thread of its own. `catalog` (may be null: no catalog routes) must be attached to the
  /// node already and outlive the face. `cluster`: what the node knows of its cluster
  /// (/admin/v1/cluster, the cluster metrics); empty on a single node.
  static caf::expected<std::unique_ptr<http_face>>
  start(node_runtime& node, const runtime_settings& settings, catalog::catalog_view* catalog,
        cluster_view_provider cluster = {});

  ~http_face();

  int port() const;

  /// /health/ready answers 200 from now on (start-up work done).
  void set_ready(bool ready);

  /// Stops accepting connections, lets the requests in flight finish, joins the threads.
  void stop();

  struct impl;

private:
  explicit http_face(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace sagaforge::http
