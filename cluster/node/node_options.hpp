// The node executable's configuration: the runtime's options (runtime_system_config) plus the
// node's own "node." group (the demo), and the checks every option must pass before anything
// starts. Exit codes are docs/operations.md's: 2 for anything refused here.
#pragma once

#include <cstdint>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "runtime/runtime_config.hpp"

namespace sagaforge::node {

class node_config : public runtime_system_config {
public:
  node_config();
};

/// What --node.demo drives; every size validated (a zero entity count divided by zero).
struct demo_settings {
  bool enabled = false;
  int64_t entities = 200;
  int64_t commands = 20000;
  int64_t orders = 2000;
  int64_t redemptions = 2000;
  int64_t timeout_s = 120;  // the whole demo's deadline: it never waits forever
};

caf::expected<demo_settings> load_demo_settings(const node_config& cfg);

/// Every check that must pass before the actor system starts: options outside sagaforge.*
/// (process_options.hpp), the runtime's own, the node's.
caf::error validate_node_config(node_config& cfg);

} // namespace sagaforge::node
