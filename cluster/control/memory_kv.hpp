// memory_kv: an in-process fake of etcd's model behind the kv interface (kv.hpp): revisions,
// compare-and-swap transactions, leases that expire on a clock (keys deleted with them),
// watches from a revision with replay, compaction, and an outage switch. Several clients
// (one per simulated node) share one memory_kv_store. Used by the control plane's contract
// suite and by in-process multi-node tests. A reaper thread expires leases; each watch runs
// its own delivery thread.
#pragma once

#include <functional>
#include <memory>

#include "cluster/control/kv.hpp"

namespace sagaforge::cluster {

class memory_kv_store {
public:
  /// `clock_ms`: milliseconds on a monotonic clock (default: steady_clock); tests may pass
  /// their own to move lease expiry by hand.
  explicit memory_kv_store(std::function<int64_t()> clock_ms = {});
  ~memory_kv_store();

  memory_kv_store(const memory_kv_store&) = delete;
  memory_kv_store& operator=(const memory_kv_store&) = delete;

  /// A new client (a node's own connection): its own hold_watches switch.
  kv_ptr connect();

  /// Outage: while unavailable every call answers `timeout` and watches deliver nothing.
  /// Coming back resets every lease's TTL, as an etcd restart does.
  void set_available(bool up);

  int64_t revision() const;

  struct state;

private:
  std::shared_ptr<state> st_;
};

} // namespace sagaforge::cluster
