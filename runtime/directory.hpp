// The node's entity directory: which entity actors are active, activation on first
// message, and the hand-over at passivation. One stripe per shard (the shard region of
// DESIGN §2), each with its own lock. Deliveries enqueue while holding the stripe lock and
// passivation removes an entry under the same lock, so after removal no routed message can
// reach the retiring incarnation: what it still holds it forwards to the next one. An actor whose
// incarnation ended is kept idle for the next activation (recycle): an actor's exit costs
// CAF a wake-up of its clock thread, ~10 % of a saga workload's CPU.
// With an activation log (activation_log.hpp) it records each activation's start before its
// actor exists and its end when the entry leaves (retire, or shutdown once the actors exited).
// Thread-safe; called from any actor.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_addr.hpp"
#include "caf/message.hpp"

#include "runtime/activation_log.hpp"

namespace sagaforge {

struct active_entry {
  caf::actor handle;
  /// Tells this activation from earlier ones on the same (recycled) actor: requests made
  /// from a handle the directory gave out carry it (passivation_candidates).
  uint64_t activation = 0;
  /// The shard's map epoch this node served it at when it activated (0: no map).
  uint64_t epoch = 0;
  std::atomic<int64_t> last_active_ms{0};
  std::atomic<bool> pinned{false};  // has work in flight: not a passivation candidate
  /// Newest log record of this entity known durable (the index value handed on at
  /// retirement). Starts at what the entity was activated with, so a broken entity that
  /// could not replay its journal never hands on a shorter end.
  std::atomic<uint64_t> durable_log_seq{0};
  /// Creation time of the oldest unacked outbox envelope (0: none), kept by the entity after
  /// each step and ack so /metrics reads the outbox lag without asking any actor.
  std::atomic<int64_t> oldest_unacked_ms{0};
};

/// One row of directory::list (admin API): never activates anything.
struct entity_listing {
  std::string ref;
  bool active = false;
  uint64_t last_log_seq = 0;  // newest log record known (active: durable so far)
  int64_t last_active_ms = 0; // active entities only
  int64_t oldest_unacked_ms = 0;
};

using active_entry_ptr = std::shared_ptr<active_entry>;

class directory {
public:
  /// Starts the actor of `ref` — in `idle`, a recycled actor, when that is valid, else a new
  /// one; `last_log_seq` is the newest log record known for it.
  using spawn_fn = std::function<caf::actor(const std::string& ref, uint64_t last_log_seq,
                                            active_entry_ptr, caf::actor idle)>;

  /// `max_idle`: recycled actors kept at most (each a few hundred bytes and a mailbox).
  directory(uint32_t shard_count, spawn_fn spawn, size_t max_idle = 1024);

  /// Enqueues `msg` at ref's actor; activates it when `activate` (never for clients).
  /// Returns false when nothing was there to take it.
  bool deliver(const std::string& ref, const caf::message& msg, bool activate);

  /// The actor of `ref`, activating it when `activate`; invalid if none.
  caf::actor lookup(const std::string& ref, bool activate);

  /// Called by an entity after its final commit (or when it stops for `why`); false if `who`
  /// is not the active one.
  bool retire(const std::string& ref, const caf::actor_addr& who, uint64_t last_log_seq,
              activation_end why);

  /// Keeps an entity actor whose incarnation has ended (retired, and everything it was sent
  /// before handled) for a later activation. False when full or closed: the caller exits.
  bool recycle(caf::actor idle);
  size_t idle_count() const;

  void register_client(const std::string& ref, caf::actor handle);
  void unregister_client(const std::string& ref);

  /// Start-up: the newest log record of an entity found by the scan.
  void seed(const std::string& ref, uint64_t last_log_seq);

  /// The entities the idle/LRU sweep should passivate: every unpinned one idle for
  /// `idle_timeout_ms`, and while more than `max_active` are active, the least recently
  /// active unpinned ones down to that bound, as (handle, activation). Copies handles only
  /// (not refs): it runs every sweep interval over every active entity.
  std::vector<std::pair<caf::actor, uint64_t>>
  passivation_candidates(int64_t now_ms, int64_t idle_timeout_ms, size_t max_active) const;
  size_t active_count() const;
  /// Every active entity's actor (clean shutdown asks each for a snapshot).
  std::vector<caf::actor> active_handles() const;
  /// The refs of every entity of `type` this node knows (active, passivated, or found by
  /// the start-up scan), sorted. Copies every matching ref: for checks and tools, not for
  /// the step path.
  std::vector<std::string> known_refs(std::string_view type) const;
  size_t known_count() const;

  /// The serving rule's last line (docs/cluster.md): no entity of a shard this node does not
  /// serve is ever activated here. Every shard is served (at epoch 0: no map) until the
  /// cluster layer says otherwise; `epoch` is the map's for the shard, kept for the log.
  void set_serving(uint32_t shard, bool serving, uint64_t epoch = 0);
  bool serving(uint32_t shard) const;

  /// Records activations from now on (set before anything activates; null: none).
  void set_activation_log(activation_log_ptr log);

  // -- introspection (directory_listing.cpp): reads under the stripe locks, never activates --

  /// Refs of `type` ("" = every type) sorted, after `after`, at most `limit`; `active_only`
  /// leaves out passivated ones. O(known) per page: an operator's tool.
  std::vector<entity_listing> list(const std::string& type, const std::string& after,
                                   size_t limit, bool active_only) const;
  /// The entity's row when it is active or has stored records; nothing otherwise.
  std::optional<entity_listing> find(const std::string& ref) const;
  /// Oldest unacked outbox envelope over the active entities (0: none).
  int64_t oldest_unacked_ms() const;
  /// Active and known entities per type.
  std::vector<std::pair<std::string, std::pair<size_t, size_t>>> count_by_type() const;

  /// Drops every handle, idle ones included, and refuses activations from now on
  /// (shutdown); the caller sends the returned actors an exit.
  std::vector<caf::actor> clear();
  /// Shutdown, once the actors clear() returned have exited: ends every activation clear()
  /// dropped in the activation log and closes it.
  void log_shutdown();

private:
  struct stripe {
    mutable std::mutex mtx;
    std::unordered_map<std::string, active_entry_ptr> active;
    std::unordered_map<std::string, uint64_t> last_log;  // passivated or not yet active
    std::unordered_map<std::string, caf::actor> clients;
  };

  stripe& stripe_of(const std::string& ref);
  caf::actor activate_locked(stripe& s, const std::string& ref);

  uint32_t shard_count_;
  std::vector<std::unique_ptr<stripe>> stripes_;
  /// Per shard, one word so that an activation reads both at once: epoch << 1 | serving.
  std::unique_ptr<std::atomic<uint64_t>[]> serving_;
  spawn_fn spawn_;
  std::atomic<size_t> active_count_{0};
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> activations_{0};
  size_t max_idle_;
  mutable std::mutex idle_mtx_;  // after a stripe's lock when both are held
  std::vector<caf::actor> idle_;
  activation_log_ptr log_;
  std::mutex closing_mtx_;
  struct dropped {  // an activation clear() dropped, for log_shutdown
    std::string ref;
    uint64_t epoch;
    uint64_t activation;
  };
  std::vector<dropped> closing_;
};

} // namespace sagaforge
