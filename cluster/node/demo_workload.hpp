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
};

/// Runs the workload and prints what happened; returns 0 when every invariant held.
int run_demo(node_runtime& node, const demo_options& opts);

} // namespace sagaforge
