// The cluster's router: where every message an entity or client sends goes (DESIGN §2, §7).
// An entity ref goes by its shard's owner in the map this node has confirmed: to the local
// directory when this node owns the shard, else into the owner's peer outbox as a frame item
// (returning false — "held" — while that peer is unreachable or not a member, so the sender
// keeps it and tries again without counting an attempt). A client ref "client/<node>:..."
// goes back to the node that runs the client. Incoming items (accept) are checked against
// the map before delivery: an envelope for a shard this node does not own is answered with
// `moved` and dropped, one from a sender whose map epoch is older than ours is dropped; a
// `moved` answer received is kept as a hint per shard (a newer epoch than the confirmed map's)
// and the sender's resends go to the named owner at once, until its own map catches up.
// Thread-safe: route() runs on entity threads, accept() on the gateway's, update() on the
// control plane's.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/message.hpp"

#include "cluster/control/control_plane.hpp"
#include "cluster/transport/frame.hpp"
#include "cluster/transport/held_backlog.hpp"
#include "cluster/transport/peer.hpp"
#include "cluster/transport/peer_link.hpp"
#include "runtime/runtime_context.hpp"

namespace sagaforge::cluster {

struct router_counters {
  std::atomic<uint64_t> items_out{0};
  std::atomic<uint64_t> items_in{0};
  std::atomic<uint64_t> frames_in{0};
  std::atomic<uint64_t> bad_frames{0};
  std::atomic<uint64_t> moved_out{0};   // envelopes for a shard we do not own, answered
  std::atomic<uint64_t> moved_in{0};
  std::atomic<uint64_t> fenced{0};      // envelopes from a sender with an older epoch
  std::atomic<uint64_t> held{0};        // routes refused: owner unreachable or unknown
  std::atomic<uint64_t> refused_hellos{0};  // malformed, or a node id not proven
  std::atomic<uint64_t> unproven{0};    // frames or reads from a process that proved no id
};

struct peer_status {
  std::string node;
  std::string state;
  uint64_t buffered_bytes = 0;
  uint64_t items_sent = 0;
  uint64_t items_dropped = 0;
  uint64_t frames_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t held_envelopes = 0;  // deliveries waiting for this node (held_backlog.hpp)
  uint64_t held_attempts = 0;
  bool held_saturated = false;
};

class cluster_router {
public:
  cluster_router(caf::actor_system& sys, std::string self, uint64_t incarnation,
                 link_options link_defaults, size_t peer_buffer_bytes, caf::actor connector);
  ~cluster_router();

  const std::string& self() const { return self_; }

  /// How this node proves its id and checks its peers' (none until set: no TLS).
  void set_identity(peer_identity_ptr id);
  const peer_identity_ptr& identity() const { return identity_; }
  const std::shared_ptr<authenticated_peers>& authenticated() const { return authenticated_; }

  // -- runtime side --
  /// Binds the runtime (its directory); routes are refused until then. With `inbound` false,
  /// what peers send is still dropped (and resent by them) until open_inbound(): a node binds
  /// its runtime before the start-up scan, and an entity activated by a peer's envelope
  /// before the scan has seeded the directory and the shards' log positions would start
  /// from an empty history and overwrite log records.
  void attach(runtime_context& ctx, bool inbound = true);
  /// Takes what peers send from now on (after the runtime's start-up scan).
  void open_inbound() { inbound_.store(true); }
  bool inbound_open() const { return inbound_.load(); }
  runtime_context* context() const { return ctx_.load(); }
  /// Unbinds the runtime before it is destroyed: map changes that the control plane's watch
  /// still delivers afterwards touch nothing of it.
  void detach();
  bool route(const std::string& to, const caf::message& msg, bool activate);
  bool owns(uint32_t shard) const;
  /// Where a send for `shard` goes, and under which epoch: the confirmed map's owner, or a
  /// newer owner a `moved` answer named (a hint, until the map catches up; never this node:
  /// it serves a shard only by its own confirmed map).
  std::pair<std::string, uint64_t> destination(uint32_t shard) const;
  bool is_local(const std::string& ref) const;
  /// The gateway of the node that serves `ref` (invalid when local, unknown or unreachable).
  caf::actor gateway_for(const std::string& ref, std::string& node) const;
  std::vector<peer_ptr> connected_peers() const;

  // -- gateway side --
  void accept(const decoded_frame& frame);
  /// This node's own gateway, named in the hellos its links send (set before update()).
  void set_own_gateway(caf::actor gw);
  /// A peer's hello: the larger id of a pair adopts the gateway the smaller one named.
  void hello(const std::string& node, const caf::actor& gateway);

  // -- control plane side --
  /// Applies a map: owners and epochs, peers to dial or forget, serving flags.
  void update(const cluster_map& map);

  // -- introspection --
  std::vector<peer_status> peers() const;
  /// The peer `node` (its outbox and link), null if never a member: for tests and tools.
  peer_ptr peer_of(const std::string& node) const;
  router_counters& counters() { return counters_; }
  /// How long a held delivery counts in its destination's backlog without a new attempt.
  void set_backlog_window_ms(int64_t ms) { backlog_.set_window_ms(ms); }
  int64_t map_revision() const { return revision_.load(); }

  /// Stops every link (shutdown).
  void stop();

private:
  struct shard_row {
    std::string owner;
    uint64_t epoch = 0;
  };

  /// `held_key`: a delivery's envelope id ("" for acks and replies), kept in the backlog
  /// while `node` is unreachable.
  bool to_peer(const std::string& node, const frame_item& item, const std::string& held_key);
  bool route_client(const std::string& to, const caf::message& msg);
  void deliver_local(const frame_item& item, const std::string& from);
  void note_moved(const frame_item& item, const std::string& from);
  void add_peer(const member_info& m);

  caf::actor_system& sys_;
  std::string self_;
  uint64_t incarnation_;
  link_options link_defaults_;
  size_t peer_buffer_bytes_;
  caf::actor connector_;
  std::atomic<runtime_context*> ctx_{nullptr};
  std::atomic<bool> inbound_{false};
  mutable std::shared_mutex mtx_;  // guards rows_ and peers_
  std::vector<shard_row> rows_;
  std::vector<shard_row> hints_;  // per shard: a newer owner from a `moved` answer, or empty
  std::map<std::string, peer_ptr> peers_;
  std::map<std::string, caf::actor> hellos_;  // the last hello per peer (its gateway)
  caf::actor own_gateway_;
  peer_identity_ptr identity_;
  std::shared_ptr<authenticated_peers> authenticated_ = std::make_shared<authenticated_peers>();
  std::atomic<int64_t> revision_{0};
  router_counters counters_;
  // Window: twice the longest retry backoff (cluster_member sets it); 100,000 ids per node.
  mutable held_backlog backlog_{60000, 100000};  // read() prunes
};

/// The runtime's router interface over a cluster_router (node_runtime owns this adapter).
std::unique_ptr<router> make_router_adapter(std::shared_ptr<cluster_router> r);

/// Remote reads (inspect, known refs) through the peers' gateways.
std::shared_ptr<remote_reads> make_remote_reads(caf::actor_system& sys,
                                                std::shared_ptr<cluster_router> r);

} // namespace sagaforge::cluster
