// The link to one peer node (an event-based actor): dials the peer's gateway through a
// connector (CAF's openssl middleman actor in a node; a stand-in in tests), proves this
// node's id and checks the peer's (messages.hpp, hello), monitors the gateway,
// sends the peer's outbox as frames with at most cluster.frames-in-flight unacknowledged
// (BASP itself has no back-pressure), and redials with backoff after the connection is lost
// while the peer is still a member. Frames lost with a connection need nothing: every item
// comes from a durable outbox or is an ack whose sender resends.
#pragma once

#include <cstdint>
#include <string>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"

#include "cluster/transport/authenticated_peers.hpp"
#include "cluster/transport/peer.hpp"
#include "cluster/transport/peer_identity.hpp"

namespace sagaforge::cluster {

struct link_options {
  std::string self;                // this node's id (the frame header)
  uint64_t incarnation = 0;
  std::string host;                // the peer's data-plane address
  uint16_t port = 0;
  size_t frame_max_bytes = 262144;
  size_t frames_in_flight = 8;
  int64_t dial_timeout_ms = 5000;
  int64_t redial_max_ms = 10000;
  /// true: this side dials (the smaller node id) and says hello with `own_gateway`; false:
  /// it waits for the peer's hello and adopts the gateway it names.
  bool dials = true;
  caf::actor own_gateway;
  /// Proves this node's id and checks the peer's on every new connection (none: no TLS).
  peer_identity_ptr identity;
  /// Where a dialling link binds the peer's process once it proved its id.
  std::shared_ptr<authenticated_peers> authenticated;
};

/// `connector` answers (connect_atom, host, port) with (node_id, strong_actor_ptr,
/// std::set<std::string>): io::middleman_actor's interface.
caf::actor spawn_peer_link(caf::actor_system& sys, peer_ptr p, link_options opts,
                           caf::actor connector);

/// Gives a non-dialling link the peer's gateway (from the peer's hello).
void adopt_peer_gateway(const caf::actor& link, const caf::actor& gateway);

/// Tells a link that its peer moved (a restart on another port): it drops the connection and
/// dials the new address.
void relocate_peer_link(const caf::actor& link, const std::string& host, uint16_t port);

} // namespace sagaforge::cluster
