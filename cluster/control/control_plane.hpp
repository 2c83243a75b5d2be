// The cluster's control plane behind one interface (docs/cluster.md): who the nodes are
// (roster: expected nodes; members: live ones, each under a lease), and the shard map (owner
// and epoch of every shard, every write a compare-and-swap on its revision). Two
// implementations: static_control_plane (one node, all shards, no etcd: the embedded
// default) and the etcd one (kv_control_plane over an etcd v3 JSON gateway client, or over
// the in-memory fake that tests use). Nothing here knows what an entity is.
// Thread-safe: called from the node's main thread and its data plane.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace sagaforge::cluster {

/// One shard's row of the map. A node serves a shard only while the map it has confirmed
/// says it owns it at this epoch (the serving rule).
struct shard_entry {
  std::string owner;          // node id
  uint64_t epoch = 0;         // raised by every change of owner
  int64_t mod_revision = 0;   // revision of the last write of this row (what a CAS compares)
  std::string move;           // a move in progress (shard handoff), opaque JSON; "" = none

  bool operator==(const shard_entry& o) const {
    return owner == o.owner && epoch == o.epoch && move == o.move;
  }
};

/// A live node, registered under a lease.
struct member_info {
  std::string node;
  std::string host;             // data-plane listen address
  uint16_t port = 0;            // data-plane (CAF middleman) port
  uint16_t http_port = 0;       // the node's HTTP face, 0 = none
  int64_t incarnation = 0;      // the lease that holds the registration: new at every join
  std::string state = "joining";  // joining | up | leaving
};

/// An expected node (whether up or not). A crashed node stays `active`: its shards wait.
struct roster_entry {
  std::string node;
  std::string status = "active";  // active | leaving | left | removed
  std::string store_id;           // the data folder it serves from ("" until first join)
};

/// The whole picture, as of `revision` (the control plane's own revision counter).
struct cluster_map {
  int64_t revision = 0;
  uint32_t shard_count = 0;
  std::vector<shard_entry> shards;  // index = shard
  std::map<std::string, roster_entry> roster;
  std::map<std::string, member_info> members;  // live ones only

  /// "up" when a member with that state exists, "joining"/"leaving" likewise, "down" when
  /// only in the roster, "" when unknown.
  std::string state_of(const std::string& node) const;
};

/// How a node joins: its own description, its store's identity, the shard count of its
/// store, and the roster to create if the cluster does not exist yet (bootstrap).
struct join_request {
  member_info self;
  std::string store_id;
  uint32_t shard_count = 0;
  std::vector<std::string> bootstrap_roster;  // shards go round-robin over it at creation
  /// false for a client node (cluster.role=client): it registers as a member so that
  /// answers reach it, but is in no roster, owns no shard and has no store to check.
  bool owns_shards = true;
};

class control_plane {
public:
  using listener = std::function<void(const cluster_map&)>;

  virtual ~control_plane() = default;

  /// Creates the cluster when it does not exist (shard count fixed, roster, every shard
  /// assigned round-robin over the roster at epoch 1), or checks the shard count against
  /// it; checks that the node is in the roster and that its store is the one the roster
  /// names (recording it at a node's first join); takes a lease and registers the member.
  /// Refused: a second live process with the same node id, a store that is not the
  /// roster's, a node not in the roster, a shard count other than the cluster's.
  virtual caf::error join(const join_request& req) = 0;

  /// The newest map this node has confirmed (after join: read, then kept by the watch).
  virtual cluster_map current() const = 0;

  /// Called after every change of the map, on the control plane's thread; must not block.
  virtual void subscribe(listener f) = 0;

  /// Compare-and-swap of one shard row: succeeds only if the row's mod_revision is still
  /// `expected_mod_revision`; returns the new revision, or runtime.rejected with the row as
  /// it is now when it changed.
  virtual caf::expected<int64_t> cas_shard(uint32_t shard, int64_t expected_mod_revision,
                                           const shard_entry& next) = 0;

  /// Updates this node's member state (joining -> up -> leaving).
  virtual caf::error set_state(const std::string& state) = 0;

  /// Deregisters (revokes the lease); the roster entry stays.
  virtual caf::error leave() = 0;

  /// Whether this node's registration is currently held (its lease is alive as far as the
  /// node knows). An outage of the coordination service does not stop serving: this only
  /// informs operators and forced reassignment.
  virtual bool registered() const = 0;
};

using control_plane_ptr = std::shared_ptr<control_plane>;

/// One node, every shard, no coordination service: today's single-node runtime.
control_plane_ptr make_static_control_plane(const std::string& node_id, uint32_t shard_count);

} // namespace sagaforge::cluster
