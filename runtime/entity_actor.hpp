// The persistent entity actor: one per active entity. It owns the entity's image
// (state + durable mailbox), runs steps (DESIGN §3), pipelines commits (the next step
// starts while the previous one commits; only sends, acks, replies and timers wait for
// their commit), delivers its outbox with per-channel windows, resends with backoff and
// jitter, dead-letters what the retry policy gives up on, restarts itself from the last
// committed state when decide throws, and hands over cleanly at passivation.
// Runs in its own CAF actor context only.
#pragma once

#include <cstdint>
#include <string>

#include "caf/actor.hpp"

#include "runtime/directory.hpp"

namespace sagaforge {

class runtime_context;

/// Starts the actor of `ref`: in `idle` (an actor the directory recycled) when valid, which
/// then returns it, else in a new actor. Recovery runs as its first action.
caf::actor spawn_entity(runtime_context& rt, const std::string& ref, uint64_t last_log_seq,
                        active_entry_ptr entry, caf::actor idle = {});

} // namespace sagaforge
