// The node's gateway: the one actor a node publishes on its data-plane port. Peer links send
// it frames (acked at once, so their credit returns; the items go to the router, which checks
// them against the map before delivering); peers' remote reads ask it for an entity's report
// (inspect_atom, ref) or for the refs of a type it knows (known_atom, type); a dialling peer
// says hello and proves its node id first (messages.hpp). With TLS, frames and reads are taken
// only from a process that proved the node id the frame names. Bytes that do not decode are
// counted and dropped, never trusted.
#pragma once

#include <memory>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"

#include "cluster/transport/cluster_router.hpp"

namespace sagaforge::cluster {

caf::actor spawn_gateway(caf::actor_system& sys, std::shared_ptr<cluster_router> router);

} // namespace sagaforge::cluster
