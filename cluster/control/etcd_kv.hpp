// etcd_kv: the kv interface (kv.hpp) over etcd v3's JSON gateway (/v3/kv/*, /v3/lease/*,
// /v3/watch; etcd 3.4), through cpp-httplib's client. Every call has a connect and a read
// timeout and its errors name the endpoint. Unary calls borrow a client from a small pool
// (etcd_gateway: an httplib client runs one request at a time, so keepalives do not wait
// behind transactions); each watch runs on its own thread with its own client
// (etcd_watch), reconnects after an outage or restart from the last revision it delivered,
// and resyncs (range, then on_resync) when that revision was compacted away.
#pragma once

#include <cstdint>
#include <string>

#include "caf/expected.hpp"

#include "cluster/control/kv.hpp"

namespace sagaforge::cluster {

struct etcd_kv_options {
  std::string endpoint = "http://127.0.0.1:2379";  // http:// or https://
  int64_t connect_timeout_ms = 1000;
  int64_t request_timeout_ms = 2000;
  /// A watch with no event or progress notification for this long is reopened from its
  /// last revision (which loses nothing): it also bounds how long a dead etcd goes unseen.
  int64_t watch_idle_timeout_ms = 3000;
  /// Longest wait between two reconnection attempts of a watch.
  int64_t watch_retry_max_ms = 1000;
  /// mTLS (https endpoints): PEM paths of the client certificate, its key and the CA.
  std::string tls_certificate;
  std::string tls_key;
  std::string tls_ca;
};

/// Checks the endpoint (scheme, host, port; certificates for https) without contacting it.
caf::expected<kv_ptr> make_etcd_kv(const etcd_kv_options& opts);

} // namespace sagaforge::cluster
