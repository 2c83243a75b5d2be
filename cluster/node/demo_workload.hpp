// The demo workload the README's run command drives: counters receiving adds and
// forwarding to each other through durable mailboxes, then the invariants checked.
#pragma once

#include <cstdint>

#include "runtime/node_runtime.hpp"

namespace sagaforge {

struct demo_options {
  int64_t entities = 200;
  int64_t commands = 20000;
  int64_t in_flight = 256;
  int64_t timeout_s = 120;  // each wait ends by then, or at once when the store fails
};

/// Runs the workload and prints what happened; returns 0 when every invariant held, 1 when
/// one failed or the demo could not finish (deadline, store failure: it says which).
int run_demo(node_runtime& node, const demo_options& opts);

} // namespace sagaforge
