// The inventory item ("inventory/<sku>"): stock of one SKU, reservations per (order, line).
// Reserve is all or nothing for its line; release and commit are idempotent; a release that
// finds nothing leaves a tombstone so a late reserve of that line is refused. Invariant, checked
// before every write: received = available + reserved + shipped, none negative.
// Messages in schemas/inventory.proto. decide and apply are pure.
#pragma once

#include "actors/fulfillment/fulfillment_config.hpp"
#include "runtime/entity_logic.hpp"

namespace sagaforge::inventory {

entity_logic_ptr make_inventory_logic(fulfillment::config_ptr cfg);

} // namespace sagaforge::inventory
