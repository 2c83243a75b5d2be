// The order entity ("order/<id>"): create (validated; the id is the idempotency key), get,
// cancel; PENDING -> CONFIRMED | CANCELLED as the fulfillment saga reports, publishing
// sagaforge.order.OrderOutcome to notification/<customer> and points/<customer> when terminal.
// Messages in schemas/order.proto. Runs inside its entity actor; decide and apply are pure.
#pragma once

#include <string>

#include "actors/fulfillment/fulfillment_config.hpp"
#include "runtime/entity_logic.hpp"

namespace sagaforge::order {

class CreateOrder;

entity_logic_ptr make_order_logic(fulfillment::config_ptr cfg);

/// "" when `c` may create order `self_id`; otherwise the reason, naming the bad field.
std::string validate_create(const CreateOrder& c, const std::string& self_id,
                            const fulfillment::fulfillment_config& cfg);

} // namespace sagaforge::order
