// sim_network: the node's router during a simulation. Everything the runtime routes (envelopes
// between entities and from clients, acks, wake-ups) lands in a pool instead of a mailbox; the
// simulator's scheduler picks which pooled message is delivered next, so messages are
// reordered across channels and within them. The seed's faults act here: a message may be
// delayed (held for virtual time), duplicated (delivered again later) or dropped (envelopes and
// acks only: their senders resend). The pool is process memory: a crash clears it.
// Planted bugs (sensitivity runs) also live here, outside the runtime: `fresh_id_duplicates`
// re-sends a duplicate under a new sender and seq, which no receiver's de-duplication can
// recognise; `swallow_compensations` acks a compensation to its sender without delivering it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "caf/message.hpp"

#include "runtime/runtime_context.hpp"
#include "tests/sim/sim_rng.hpp"
#include "tests/sim/sim_trace.hpp"

namespace sagaforge::sim {

struct net_faults {
  bool active = false;          // false once the run heals: no new faults
  int64_t duplicate_permille = 0;
  int64_t delay_permille = 0;
  int64_t max_delay_ms = 0;
  int64_t drop_permille = 0;
};

struct net_plants {
  bool fresh_id_duplicates = false;
  bool swallow_compensations = false;
};

class sim_network {
public:
  sim_network(sim_rng& rng, sim_trace& trace, net_faults faults, net_plants plants)
    : rng_(rng), trace_(trace), faults_(faults), plants_(plants) {}

  /// Installs this network as `ctx`'s router (after every node start).
  void attach(runtime_context& ctx);

  /// Called by the router: pools the message (with the seed's faults); true = taken.
  bool accept(const std::string& to, const caf::message& msg, bool activate);

  /// Messages deliverable at `now_ms`.
  size_t eligible(int64_t now_ms) const;

  /// Delivers the `k`-th message deliverable at `now_ms` and removes it from the pool.
  void deliver(size_t k, int64_t now_ms);

  /// Earliest time a held message becomes deliverable; -1 when the pool is empty.
  int64_t next_due() const;

  bool empty() const { return pool_.empty(); }

  /// A crash: in-flight messages are gone.
  void clear() { pool_.clear(); }

  void heal() { faults_.active = false; }

  uint64_t duplicates = 0, delays = 0, drops = 0, planted = 0;

private:
  struct pooled {
    std::string to;
    caf::message msg;
    bool activate;
    int64_t due_ms;
  };

  void push(const std::string& to, const caf::message& msg, bool activate, int64_t due_ms);
  caf::message ghost_of(const std::string& to, const caf::message& msg);

  sim_rng& rng_;
  sim_trace& trace_;
  net_faults faults_;
  net_plants plants_;
  runtime_context* ctx_ = nullptr;
  std::vector<pooled> pool_;
  std::map<std::string, uint64_t> ghost_seqs_;  // per receiver: survives crashes, as its watermark
};

/// One line naming a routed message (its envelope id and type, or the ack it carries).
std::string describe_message(const caf::message& msg);

} // namespace sagaforge::sim
