// The client endpoint: how callers outside the entity world (HTTP, the demo driver, tests,
// the console) send to entities with the same guarantees entities get from each other.
// A client has a unique ref "client/<name>-<incarnation>", numbers its messages per
// receiver only while some are pending to it (a new run starts above every seq used, and
// the channel floor tells the receiver the seqs below are settled), resends until acked (receivers de-duplicate) and answers each request with the
// receiver's Ack (which carries decide's reply or rejection). A bound on requests in
// flight answers runtime.overloaded instead of growing memory.
#pragma once

#include <cstdint>
#include <string>

#include "caf/actor.hpp"
#include "caf/atom.hpp"

namespace sagaforge {

class runtime_context;

using send_atom = caf::atom_constant<caf::atom("send")>;

/// Request interface of the client actor:
///   (send_atom, receiver, type, payload, correlation_id) -> std::string (Ack bytes)
caf::actor spawn_client(runtime_context& rt, const std::string& name, size_t max_in_flight);

} // namespace sagaforge
