// etcd_watch: one watch of a key prefix over etcd's JSON gateway (internal to cluster/control;
// etcd_kv hands it out). It runs on its own thread with its own cpp-httplib client: one
// streaming POST /v3/watch per connection (the gateway is half-duplex, so a new request per
// change), lines split on newlines (a replay packs several events per line). It reopens a
// quiet stream after watch_idle_timeout_ms, reconnects with backoff after an outage or a
// restart from the first revision it has not delivered, and when etcd answers that this
// revision was compacted, re-reads the prefix and hands it over (on_resync).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "cluster/control/etcd_gateway.hpp"
#include "cluster/control/kv.hpp"

namespace sagaforge::cluster::etcd_detail {

class etcd_watch : public kv_watch {
public:
  /// Closes the open stream at once (hold_watches): the thread then waits while held.
  virtual void interrupt() = 0;
};

/// `held`: the owning client's hold_watches switch.
std::unique_ptr<etcd_watch> start_etcd_watch(conn_ptr conn,
                                             std::shared_ptr<std::atomic<bool>> held,
                                             std::string prefix, int64_t from,
                                             kv_watch_handler handler);

} // namespace sagaforge::cluster::etcd_detail
