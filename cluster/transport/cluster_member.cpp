// Cluster membership assembly (see cluster_member.hpp).
#include "cluster/transport/cluster_member.hpp"

#include <sstream>

#include <spdlog/spdlog.h>

#include "caf/all.hpp"
#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "cluster/transport/gateway.hpp"
#include "cluster/transport/openssl_error_queue.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::cluster {

namespace {

std::vector<std::string> split_roster(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty())
      out.push_back(item);
  return out;
}

caf::expected<uint16_t> publish_gateway(caf::actor_system& sys, const caf::actor& gw,
                                        const runtime_settings& cfg, bool tls) {
  auto port = static_cast<uint16_t>(cfg.cluster_port);
  auto* addr = cfg.cluster_listen_address.c_str();
  auto published = tls ? caf::openssl::publish(gw, port, addr, true)
                       : sys.middleman().publish(gw, port, addr, true);
  if (!published)
    return make_runtime_error(runtime_errc::invalid_config,
                              "cannot listen on " + cfg.cluster_listen_address + ":"
                                + std::to_string(port) + " for the data plane: "
                                + sys.render(published.error()));
  return *published;
}

} // namespace

caf::expected<std::unique_ptr<cluster_member>>
cluster_member::join(caf::actor_system& sys, const runtime_settings& cfg,
                     const std::string& store_id, control_plane_ptr control, bool tls,
                     peer_identity_ptr identity) {
  if (tls && (!identity || !identity->enabled()))
    return make_runtime_error(runtime_errc::invalid_config,
                              "a TLS data plane needs the node's identity (its certificate)");
  if (tls && !openssl_error_queue_guarded())
    spdlog::warn("cluster: TLS reads are not guarded against OpenSSL's stale error queue in "
                 "this executable: one peer's abrupt close can drop every other link "
                 "(cluster/transport/openssl_error_queue.cpp)");
  std::unique_ptr<cluster_member> m{new cluster_member};
  m->sys_ = &sys;
  m->control_ = std::move(control);
  m->node_id_ = cfg.cluster_node_id;
  m->cluster_name_ = cfg.cluster_name;
  m->member_ = cfg.cluster_role == "member";
  auto connector = tls ? caf::actor_cast<caf::actor>(sys.openssl_manager().actor_handle())
                       : caf::actor_cast<caf::actor>(sys.middleman().actor_handle());
  link_options lo;
  lo.frame_max_bytes = static_cast<size_t>(cfg.cluster_frame_max_bytes);
  lo.frames_in_flight = static_cast<size_t>(cfg.cluster_frames_in_flight);
  lo.dial_timeout_ms = cfg.cluster_connection_timeout_ms;
  // The incarnation is the lease the control plane grants; the router learns it after join.
  m->router_ = std::make_shared<cluster_router>(
    sys, cfg.cluster_node_id, 0, lo, static_cast<size_t>(cfg.cluster_peer_buffer_bytes),
    connector);
  if (identity)
    m->router_->set_identity(std::move(identity));
  // A held delivery is attempted at least every retry.max-backoff-ms: twice that without an
  // attempt, it is no longer waiting (acked after all, or dead-lettered).
  m->router_->set_backlog_window_ms(2 * cfg.retry_max_backoff_ms + 1000);
  m->gateway_ = spawn_gateway(sys, m->router_);
  m->router_->set_own_gateway(m->gateway_);
  auto port = publish_gateway(sys, m->gateway_, cfg, tls);
  if (!port)
    return port.error();
  m->port_ = *port;
  join_request req;
  req.self.node = cfg.cluster_node_id;
  req.self.host = cfg.cluster_listen_address;
  req.self.port = m->port_;
  // Where its HTTP face listens, for consoles that go to the node owning a ref (0 when the
  // port is picked at start: unknown here).
  req.self.http_port = static_cast<uint16_t>(cfg.http_port);
  req.store_id = store_id;
  req.shard_count = static_cast<uint32_t>(cfg.shard_count);
  req.bootstrap_roster = split_roster(cfg.cluster_roster);
  req.owns_shards = m->member_;
  if (auto err = m->control_->join(req))
    return err;
  auto map = m->control_->current();
  m->router_->update(map);
  size_t owned = 0;
  for (auto& s : map.shards)
    owned += s.owner == m->node_id_ ? 1 : 0;
  spdlog::info("cluster: {} joined '{}' as a {} (data plane on {}:{}): {} of {} shards, {} "
               "members, map revision {}",
               m->node_id_, cfg.cluster_name, cfg.cluster_role, cfg.cluster_listen_address,
               m->port_, owned, map.shards.size(), map.members.size(), map.revision);
  return m;
}

cluster_member::~cluster_member() {
  leave();
}

void cluster_member::configure(node_runtime::options& opts) const {
  auto r = router_;
  opts.serves_shard = [r](uint32_t shard) { return r->owns(shard); };
  opts.make_router = [r](runtime_context& ctx) {
    r->attach(ctx, false);  // inbound opens in attach(node), once the start-up scan is done
    return make_router_adapter(r);
  };
  opts.client_name = node_id_ + ":node";
}

void cluster_member::attach(node_runtime& node) {
  node.context().set_remote_reads(make_remote_reads(*sys_, router_));
  router_->open_inbound();  // node_runtime::start has scanned the store
  auto r = router_;
  control_->subscribe([r](const cluster_map& map) { r->update(map); });
  r->update(control_->current());  // what changed between join and the subscription
  if (auto err = control_->set_state("up"))
    spdlog::warn("cluster: cannot mark {} up: {}", node_id_, describe(err));
}

void cluster_member::leave() {
  if (left_)
    return;
  left_ = true;
  router_->detach();  // the runtime goes next; the control plane's watch may still call in
  if (auto err = control_->leave())
    spdlog::warn("cluster: leaving: {}", describe(err));
  router_->stop();
  if (gateway_)
    caf::anon_send_exit(gateway_, caf::exit_reason::user_shutdown);
}

} // namespace sagaforge::cluster
