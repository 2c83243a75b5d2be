// A node as a member of a cluster: the assembly of the control plane, the router, the
// gateway and the links, in the order a start needs (docs/cluster.md, "Start-up"):
//   1. publish the gateway on the data-plane port (TLS);
//   2. join the control plane with that address (bootstrap or check, roster, store, lease);
//   3. apply the first confirmed map: the router knows every shard's owner, links dial the
//      other members;
//   4. (the caller) start the runtime with configure()'s options: the cluster's router, the
//      serving rule for the start-up scan, a client named after the node;
//   5. attach(): the router binds the runtime, remote reads are installed, and map changes
//      flow from the control plane's watch to the router.
// Not copyable; lives as long as the node.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/expected.hpp"

#include "cluster/control/control_plane.hpp"
#include "cluster/transport/cluster_router.hpp"
#include "runtime/cluster_view.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::cluster {

class cluster_member {
public:
  /// Steps 1-3. `tls`: publish and dial through CAF's openssl module (cluster mode always;
  /// false only for tests on one machine without certificates). `identity`: how the data
  /// plane proves this node's id to its peers and checks theirs (peer_identity::load from
  /// the node's certificate files; null only without TLS).
  static caf::expected<std::unique_ptr<cluster_member>>
  join(caf::actor_system& sys, const runtime_settings& cfg, const std::string& store_id,
       control_plane_ptr control, bool tls, peer_identity_ptr identity = nullptr);

  ~cluster_member();

  /// Step 4: the node's options for a cluster.
  void configure(node_runtime::options& opts) const;

  /// Step 5.
  void attach(node_runtime& node);

  /// Deregisters and stops the links (the runtime shuts down after this).
  void leave();

  uint16_t port() const { return port_; }
  const std::string& node_id() const { return node_id_; }
  cluster_router& router() { return *router_; }
  /// What this node knows of the cluster, for the faces (thread-safe; keeps what it reads
  /// alive, so it may outlive the member).
  cluster_view_provider view_provider() const;
  control_plane& control() { return *control_; }

private:
  cluster_member() = default;

  caf::actor_system* sys_ = nullptr;
  control_plane_ptr control_;
  std::shared_ptr<cluster_router> router_;
  caf::actor gateway_;
  uint16_t port_ = 0;
  std::string node_id_;
  std::string cluster_name_;
  bool member_ = true;
  bool left_ = false;
};

} // namespace sagaforge::cluster
