// test_node: one sagaforge node on CAF's deterministic test coordinator, for message-level
// tests. Commits are inline (synchronous), time moves only by advance(), and the store
// object outlives the node, so destroying a test_node and building another on the same
// store is a crash: whatever was not committed is gone, whatever was committed stays.
// Acks for the sender "client/test" are collected in `acks`.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "envelope.pb.h"
#include "runtime/memory_store.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime_records.pb.h"

namespace sagaforge::testing {

/// Settings for message-level tests: small windows and short timeouts, no sweeper.
runtime_settings test_settings();

class test_node {
public:
  test_node(store_ptr st, std::vector<entity_logic_ptr> types,
            runtime_settings settings = test_settings(), int64_t start_ms = 1'000'000'000);
  /// A crash: routing is severed first, so steps whose commits were not yet followed by
  /// their sends, acks and replies never send them; the store keeps what was committed.
  ~test_node();

  /// Runs messages (not timers) until nothing is left.
  void run();

  /// Runs exactly one message; false when idle.
  bool run_once();

  /// Moves the clock by `d` and runs everything due by then. A timer armed during the call
  /// for a time after it (a resend backoff, a retry timer) waits for the next call: loop
  /// advance() in small steps to play out several backoffs.
  void advance(std::chrono::milliseconds d);

  int64_t now_ms();

  /// Sends `msg` from `sender` (a client ref) on the next seq of that channel; returns seq.
  template <class T>
  uint64_t send(const std::string& to, const T& msg, const std::string& sender = "client/test") {
    return send_raw(to, typed_bytes::of(msg), sender);
  }

  uint64_t send_raw(const std::string& to, const typed_bytes& msg, const std::string& sender);

  /// Sends an envelope with an explicit seq (duplicates, reordering).
  void send_with_seq(const std::string& to, const typed_bytes& msg, uint64_t seq,
                     const std::string& sender = "client/test");

  /// Hands raw bytes to an entity as if they came off the network.
  void deliver_bytes(const std::string& to, std::string bytes);

  EntityReport report(const std::string& ref);

  template <class State>
  State state_of(const std::string& ref) {
    State s;
    s.ParseFromString(report(ref).state());
    return s;
  }

  /// The last ack received for (receiver, seq) from client/test, if any.
  const Ack* ack_for(const std::string& receiver, uint64_t seq) const;

  node_runtime& runtime() { return *rt_; }
  caf::actor_system& system() { return *sys_; }
  caf::scheduler::test_coordinator& sched() { return *sched_; }

  std::vector<Ack> acks;

private:
  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::unique_ptr<node_runtime> rt_;
  caf::actor collector_;
  std::map<std::string, uint64_t> seqs_;
};

} // namespace sagaforge::testing
