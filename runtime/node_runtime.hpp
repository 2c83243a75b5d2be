// node_runtime: one node's durable actor runtime, assembled. Opens the store, scans it at
// start-up (log seqs, entity index, entities with pending outbox or timers, which it
// re-activates so delivery resumes), runs the passivation sweeper, and offers the client
// API (ask, inspect) and the dead-letter API (list, replay).
// Construct and use from a non-actor thread (main, a test fixture); the blocking calls use
// a scoped actor.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/expected.hpp"

#include "envelope.pb.h"
#include "runtime/entity_logic.hpp"
#include "runtime/runtime_context.hpp"
#include "runtime_records.pb.h"

namespace sagaforge {

struct startup_report {
  uint64_t log_records = 0;
  uint64_t snapshots = 0;
  uint64_t entities_known = 0;
  uint64_t reactivated = 0;   // deliveries pending: re-activated (settle) at a bounded rate
  uint64_t timer_wakes = 0;   // only timers pending: woken when the first one is due
  uint64_t dead_letters = 0;
  double seconds = 0;
};

class node_runtime {
public:
  struct options {
    runtime_settings settings;
    store_ptr given_store;          // tests: keep a store across "crashes"
    bool threaded_commit = true;    // false: deterministic inline commits (test coordinator)
    bool run_sweeper = true;
    std::optional<int64_t> clock_base_ms;
    size_t client_max_in_flight = 100000;
    /// The shards this node serves (the cluster's map); start-up re-activates and wakes only
    /// entities of these. Empty: every shard (a single node).
    std::function<bool(uint32_t)> serves_shard;
    /// The node's client is "client/<client_name>-<incarnation>"; a cluster node prefixes
    /// its id ("n1:node") so that answers route back to it.
    std::string client_name = "node";
    /// The router to install instead of the single-node one (the cluster's), built once the
    /// runtime context exists and before the start-up scan sends anything.
    std::function<std::unique_ptr<router>(runtime_context&)> make_router;
  };

  /// The node's store opened and judged before the runtime starts (a cluster node needs
  /// the store's identity to join): lock, format, identity; pass it as given_store.
  struct opened_store {
    store_ptr st;
    std::string store_id;
  };
  static caf::expected<opened_store> open_store(const runtime_settings& cfg);

  static caf::expected<std::unique_ptr<node_runtime>>
  start(caf::actor_system& sys, options opts, std::vector<entity_logic_ptr> types);

  ~node_runtime();

  runtime_context& context() { return *ctx_; }
  const startup_report& startup() const { return startup_; }
  store_ptr backing_store() const { return store_; }

  /// The node's own client endpoint (for async use from actors or tests).
  caf::actor client() const { return client_; }

  /// Sends `msg` to `to` and waits for the ack; a rejection comes back as runtime.rejected.
  template <class T>
  caf::expected<Ack> ask(const std::string& to, const T& msg,
                         std::chrono::milliseconds timeout = std::chrono::seconds{10},
                         const std::string& correlation = {}) {
    return ask_raw(to, typed_bytes::of(msg), timeout, correlation);
  }

  caf::expected<Ack> ask_raw(const std::string& to, const typed_bytes& msg,
                             std::chrono::milliseconds timeout, const std::string& correlation);

  /// The entity's report (activates it), from the node that serves it.
  caf::expected<EntityReport> inspect(const std::string& ref,
                                      std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Every entity of `type` known here and, in a cluster, on the other nodes; sorted.
  std::vector<std::string> known_refs(const std::string& type);

  caf::expected<std::vector<DeadLetter>> dead_letters(uint64_t from_id = 0, size_t limit = 1000);

  /// Sends a dead letter's message again to its receiver, as a new message from the
  /// node's client (reliable: resent until acked), and marks the record replayed.
  /// Does not wait for the outcome; the receiver's state or a new dead letter tells it.
  caf::error replay_dead_letter(uint64_t id);

  /// Visits every journaled event of entities of `type` in log order (projections are
  /// rebuilt from this). The callback gets the ref, the event's journal seq, its bytes and
  /// the step time; return false to stop. Corrupt records are reported, not skipped silently.
  using event_visitor = std::function<bool(const std::string& ref, uint64_t event_seq,
                                           const std::string& event_bytes, int64_t at_ms)>;
  caf::error for_each_event(const std::string& type, const event_visitor& f);

  /// Asks idle entities (and the least recently used above the cap) to passivate.
  void sweep();

  /// Stops: active entities snapshot what no snapshot covers yet (bounded by
  /// entity.shutdown-timeout-ms; threaded nodes), then the actors exit without further
  /// steps and the writer drains what is queued.
  void shutdown();

private:
  node_runtime() = default;
  caf::error scan_store();
  void snapshot_active();

  store_ptr store_;
  std::unique_ptr<runtime_context> ctx_;
  caf::actor client_;
  caf::actor sweeper_;
  caf::actor waker_;
  caf::actor ticker_;
  caf::actor reactivator_;
  startup_report startup_;
  std::function<bool(uint32_t)> serves_;
  bool stopped_ = false;
  bool threaded_ = true;
};

} // namespace sagaforge
