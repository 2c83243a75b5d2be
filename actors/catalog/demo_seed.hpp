// The demo data set a node seeds on an empty store when asked (node option
// `node.seed-demo`, on in config/node.conf): catalog products, their stock, customers with
// points, and rewards, all sent as ordinary commands through the node's client, so they are
// journaled like any other input. Seeded once: a marker in the store's meta table records
// that the set is complete; a run cut short seeds again (every command used is idempotent,
// and stock is only added to SKUs that never received any).
// Call from a non-actor thread after the node started.
#pragma once

#include <string>
#include <vector>

#include "caf/error.hpp"

#include "runtime/node_runtime.hpp"

namespace sagaforge::catalog {

struct demo_product {
  const char* sku;
  const char* name;
  const char* category;
  int64_t price_cents;
};

/// The demo catalog (also what docs/http-api.md's examples use).
const std::vector<demo_product>& demo_products();

constexpr const char* demo_seed_marker = "demo.seeded";
constexpr int64_t demo_stock_per_sku = 1000;
constexpr int64_t demo_customers = 10;  // CUST-0001 ... CUST-0010
constexpr int64_t demo_points_per_customer = 5000;

/// Seeds unless the marker says it was done; `seeded` tells which happened.
caf::error seed_demo_data(node_runtime& node, bool& seeded);

}  // namespace sagaforge::catalog
