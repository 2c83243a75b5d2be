// The payment of one order ("payment/<order id>"): charge (authorize + capture through the
// simulated gateway, one call in flight at a time) and refund. Charged at most once: a repeated
// Charge answers the recorded outcome, an approval for a superseded or cancelled attempt is
// voided; refunds are idempotent. Results go to the requester (the saga) as messages.
// Messages in schemas/payment.proto. decide and apply are pure.
#pragma once

#include "actors/fulfillment/fulfillment_config.hpp"
#include "runtime/entity_logic.hpp"

namespace sagaforge::payment {

entity_logic_ptr make_payment_logic(fulfillment::config_ptr cfg);

} // namespace sagaforge::payment
