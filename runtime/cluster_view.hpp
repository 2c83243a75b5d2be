// cluster_view: what a node knows of the cluster it is part of, as plain data for the faces
// (admin API, metrics, console) — members and their states, the shard map it has confirmed,
// and per peer link the data plane's figures (the backlog towards that node among them).
// The cluster layer provides it (cluster_member::view), the node hands it to its faces; a
// single node has none, and the faces then say so. Here, below both, so that neither the
// HTTP face depends on the cluster nor the cluster on the face.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sagaforge {

struct cluster_view {
  struct member {
    std::string node;
    /// joining | up | leaving (a live registration) or down (in the roster, not live).
    std::string state;
    std::string roster_status;  // active | leaving | left | removed; "" for a client node
    std::string address;        // data plane host:port ("" while down)
    uint16_t http_port = 0;
    int64_t incarnation = 0;    // the lease of the live registration
    uint32_t shards = 0;        // shards the map gives it
  };
  struct shard {
    uint32_t index = 0;
    std::string owner;
    uint64_t epoch = 0;
    bool moving = false;        // a handoff is recorded on the row
  };
  struct peer {
    std::string node;
    std::string state;          // the link's: connecting | up | down ...
    uint64_t buffered_bytes = 0;  // encoded items waiting for a frame (the backlog there)
    uint64_t items_sent = 0;
    uint64_t items_dropped = 0;   // over the buffer bound (resent from durable outboxes)
    uint64_t frames_sent = 0;
    uint64_t bytes_sent = 0;
    // Deliveries waiting for this node because it cannot be reached: they stay in their
    // senders' outboxes; counted while attempted within twice the longest retry backoff.
    uint64_t held_envelopes = 0;
    uint64_t held_attempts = 0;   // every refused attempt since start
    bool held_saturated = false;  // held_envelopes is a lower bound (too many to track)
  };

  std::string self;
  std::string name;             // the cluster's name
  std::string role;             // member | client
  bool registered = false;      // this node's lease is held, as far as it knows
  int64_t map_revision = 0;
  uint32_t shard_count = 0;
  std::vector<member> members;  // roster and live members, by node id
  std::vector<shard> shards;    // index = shard
  std::vector<peer> peers;
  // The router's counters since start.
  uint64_t items_in = 0, frames_in = 0, bad_frames = 0, moved_in = 0, moved_out = 0,
           fenced = 0, held = 0;
  // Hellos refused (malformed, or a node id not proven) and frames or reads dropped from a
  // process that proved no node id (docs/cluster.md, "Authentication").
  uint64_t refused_hellos = 0, unproven = 0;
};

/// Builds the view on the caller's thread (an HTTP worker): thread-safe, cheap, never blocks
/// on the network.
using cluster_view_provider = std::function<cluster_view()>;

} // namespace sagaforge
