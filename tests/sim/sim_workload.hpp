// sim_workload: what a seed asks of the node — the client commands with their send times
// (restocks, points earned, rewards defined, orders with cancels, redemptions, counter adds,
// forwards and timers) and the expectations the checker derives from them. Plus the client:
// it sends on its own per-receiver seqs (so they survive node restarts), resends whatever is
// unacked (the same envelope id: receivers drop the duplicate) and keeps every ack as history.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "envelope.pb.h"
#include "runtime/entity_logic.hpp"
#include "tests/sim/sim_rng.hpp"
#include "tests/support/test_node.hpp"

namespace sagaforge::sim {

struct command {
  int64_t at_ms = 0;  // after the run's start, runtime clock
  std::string to;
  typed_bytes msg;
  std::string what;
};

struct workload_plan {
  std::vector<command> commands;  // by at_ms
  std::vector<std::string> skus, customers, rewards, counters, orders, redemptions;
  std::string timer_counter = "counter/timers";
  std::map<std::string, int64_t> restocked;        // sku -> units sent in Restocks
  std::map<std::string, int64_t> earned;           // customer -> points sent in EarnPoints
  std::map<std::string, int64_t> counter_value;    // counter -> value once everything applied
  std::map<std::string, int64_t> counter_applied;  // counter -> Add effects
  int64_t timers = 0, timer_amount = 0;            // SetTimers sent to timer_counter
};

workload_plan make_plan(sim_rng& rng);

/// The simulated client ("client/test" on every node incarnation).
class sim_client {
public:
  struct record {
    std::string to;
    uint64_t seq = 0;
    typed_bytes msg;
    std::string what;
    int64_t created_ms = 0;
    int64_t last_sent_ms = 0;
    bool acked = false;
    bool given_up = false;  // unacked past the max age: its outcome is unknown
    Ack ack;
  };

  void send(testing::test_node& node, const command& c);
  /// Resends what has waited `after_ms` without an ack (all of it when after_ms is 0). Like
  /// every sender (semantics.md, retention of de-dup records) it never resends an envelope
  /// older than `max_age_ms`: it gives up on it instead, and its outcome stays unknown.
  void resend(testing::test_node& node, int64_t after_ms, int64_t max_age_ms);
  /// Earliest time a resend is due; -1 when nothing is unacked.
  int64_t next_resend(int64_t after_ms) const;
  /// Takes the acks the node's client collected since the last call.
  void harvest(testing::test_node& node);
  /// A new node incarnation: its ack list starts empty.
  void restarted() { seen_ = 0; }

  /// Nothing is left waiting for an ack (acknowledged or given up).
  bool all_acked() const { return unacked_ == 0; }
  const std::vector<record>& history() const { return sent_; }

private:
  void transmit(testing::test_node& node, const record& r) const;

  std::map<std::string, uint64_t> seqs_;
  std::vector<record> sent_;
  std::map<std::string, size_t> by_key_;  // "to#seq" -> index
  size_t seen_ = 0;
  size_t unacked_ = 0;
};

} // namespace sagaforge::sim
