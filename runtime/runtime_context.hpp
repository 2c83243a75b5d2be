// The node services every entity actor of one node shares: settings, store, group-commit
// pipeline, directory (routing seam), the registered entity types, the runtime clock and
// the node's counters. Owned by node_runtime; outlives every entity actor.
#pragma once

#include <array>
#include <chrono>
#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/expected.hpp"
#include "caf/message.hpp"

#include "runtime/commit_pipeline.hpp"
#include "runtime/directory.hpp"
#include "runtime/entity_logic.hpp"
#include "runtime/runtime_config.hpp"
#include "runtime/store.hpp"
#include "runtime/timer_service.hpp"
#include "runtime_records.pb.h"

namespace sagaforge {

/// Counters the console and /metrics read; relaxed atomics, written from any actor.
struct runtime_counters {
  std::atomic<uint64_t> steps{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> resends{0};
  std::atomic<uint64_t> dead_letters{0};
  std::atomic<uint64_t> crashes{0};
  std::atomic<uint64_t> invalid_envelopes{0};
  // Envelopes older than retry.dedup-retention-ms when they arrived (delayed past a long
  // pause): dropped unprocessed, since their de-dup record may be gone (docs/semantics.md).
  std::atomic<uint64_t> stale_envelopes{0};
  std::atomic<uint64_t> dropped_busy{0};
  std::atomic<uint64_t> activations{0};
  std::atomic<uint64_t> passivations{0};
  std::atomic<uint64_t> recovery_failures{0};
  std::atomic<uint64_t> outbox_entries{0};  // current, across entities
  std::atomic<uint64_t> held_sends{0};  // sends nothing could take (receiver's node unreachable)
  // Deliveries waiting inside entities (parked behind a pending commit, or held back for a
  // gap in their channel): the durable mailboxes' depth, across entities.
  std::atomic<uint64_t> inbound_waiting{0};
  // dead_letters split by reason (dead_letter_reasons), for /metrics' reason label.
  std::array<std::atomic<uint64_t>, 5> dead_letters_by_reason{};
};

/// The reasons a dead letter carries (DeadLetter.reason); the last one collects the rest.
inline constexpr std::array<const char*, 5> dead_letter_reasons{"max_attempts", "max_age",
                                                                "poison", "rejected", "other"};

inline size_t dead_letter_reason_index(const std::string& reason) {
  for (size_t i = 0; i + 1 < dead_letter_reasons.size(); ++i)
    if (reason == dead_letter_reasons[i])
      return i;
  return dead_letter_reasons.size() - 1;
}

/// Sees an entity's state after a commit, when no later step of that entity is in flight,
/// so what it sees is durable. Called on the entity's thread: it must be thread-safe, cheap,
/// must not block and must not (un)register observers (it runs under their lock).
/// Consecutive states may be coalesced into the last one.
using state_observer = std::function<void(const std::string& ref, const pb_message& state)>;

/// Routes a message to an entity ref. The single-node router resolves through the
/// directory; the cluster layer replaces the resolution, not the callers.
class router {
public:
  virtual ~router() = default;
  /// `activate`: spawn the receiver if needed (deliveries yes, acks no). False when nothing
  /// could take the message — no actor here, or the owner's node is unreachable: a sender
  /// holds it and tries again later, without counting an attempt.
  virtual bool route(const std::string& to, const caf::message& msg, bool activate) = 0;
};

/// Reads served by other nodes, installed by the cluster layer (none on a single node):
/// node_runtime::inspect and known_refs go through it for refs this node does not serve.
class remote_reads {
public:
  virtual ~remote_reads() = default;
  /// Whether `ref` is served here (its shard is owned by this node).
  virtual bool is_local(const std::string& ref) const = 0;
  /// The report of `ref` from the node that serves it.
  virtual caf::expected<EntityReport> inspect(const std::string& ref,
                                              std::chrono::milliseconds timeout) = 0;
  /// The refs of `type` every other node knows.
  virtual std::vector<std::string> known_refs(const std::string& type) = 0;
  /// For actors that cannot block: the handle that answers (inspect_atom, ref) with the
  /// serialized EntityReport of `ref`; invalid while its node is unreachable.
  virtual caf::actor inspector_for(const std::string& ref) const = 0;
};

class runtime_context {
public:
  runtime_context(caf::actor_system& sys, runtime_settings cfg, store_ptr st,
                  commit_pipeline::options commit_opts);

  caf::actor_system& system() { return sys_; }
  const runtime_settings& settings() const { return cfg_; }
  store& backing_store() { return *store_; }
  commit_pipeline& pipeline() { return *pipeline_; }
  directory& dir() { return *dir_; }
  /// For exit hooks of actors that may outlive the runtime during shutdown.
  std::weak_ptr<directory> dir_weak() { return dir_; }
  void set_directory(std::shared_ptr<directory> d) { dir_ = std::move(d); }
  runtime_counters& counters() { return counters_; }

  void set_router(std::unique_ptr<router> r) { router_ = std::move(r); }
  void set_remote_reads(std::shared_ptr<remote_reads> r) { remote_ = std::move(r); }
  remote_reads* remote() const { return remote_.get(); }
  bool route(const std::string& to, const caf::message& msg, bool activate) {
    return router_->route(to, msg, activate);
  }

  void register_type(entity_logic_ptr logic);
  const entity_logic* logic_for(std::string_view type) const;

  /// Runtime clock, ms since the epoch: a wall-clock base plus CAF's actor clock, so the
  /// test coordinator's advance_time moves it and durable due times survive restarts.
  int64_t now_ms() const;
  void set_clock_base_ms(int64_t base) { clock_base_ms_ = base; }

  uint32_t shard_count() const { return static_cast<uint32_t>(cfg_.shard_count); }

  /// Next log seq of a shard (seeded at start-up from the store's last key).
  uint64_t next_log_seq(uint32_t shard) { return log_seq_[shard].fetch_add(1) + 1; }
  void seed_log_seq(uint32_t shard, uint64_t last) { log_seq_[shard].store(last); }

  /// Highest log seq of a shard whose record could not be attributed at start-up (0: none).
  uint64_t unattributable_until(uint32_t shard) const { return unattributable_[shard]; }
  void mark_unattributable(uint32_t shard, uint64_t seq) {
    unattributable_[shard] = std::max(unattributable_[shard], seq);
  }

  uint64_t next_dead_letter_id() { return dead_letter_id_.fetch_add(1) + 1; }
  void seed_dead_letter_id(uint64_t last) { dead_letter_id_.store(last); }

  uint32_t snapshot_every(const entity_logic& logic) const;

  /// Registers an observer of the committed states of one entity type; returns its id.
  uint64_t observe(const std::string& type, state_observer f);
  void unobserve(uint64_t id);
  /// For entity_core: whether any observer exists (one relaxed load on the step path).
  bool has_observers() const { return observer_count_.load(std::memory_order_relaxed) > 0; }
  void notify_committed(const entity_logic& logic, const std::string& ref,
                        const pb_message& state);

  /// Every delayed message of the runtime goes through here (see timer_service.hpp).
  timer_service& timers() { return *timers_; }

  /// Re-activates `ref` at `at_ms` (a passivated entity's next timer).
  void schedule_wake(const std::string& ref, int64_t at_ms);
  void set_waker(caf::actor waker) { waker_ = std::move(waker); }

private:
  caf::actor_system& sys_;
  runtime_settings cfg_;
  store_ptr store_;
  std::unique_ptr<commit_pipeline> pipeline_;
  std::shared_ptr<directory> dir_;
  std::unique_ptr<router> router_;
  std::shared_ptr<remote_reads> remote_;
  std::unordered_map<std::string, entity_logic_ptr> types_;
  runtime_counters counters_;
  int64_t clock_base_ms_ = 0;
  std::unique_ptr<std::atomic<uint64_t>[]> log_seq_;
  std::vector<uint64_t> unattributable_;  // written only during the start-up scan
  std::atomic<uint64_t> dead_letter_id_{0};
  caf::actor waker_;
  std::unique_ptr<timer_service> timers_;
  struct observer_entry {
    uint64_t id;
    std::string type;
    state_observer f;
  };
  std::shared_mutex observers_mu_;
  std::vector<observer_entry> observers_;
  uint64_t next_observer_id_ = 0;
  std::atomic<size_t> observer_count_{0};
};

} // namespace sagaforge
