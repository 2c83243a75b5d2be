// The points account ("points/<customer id>"): earn, deduct and refund by transaction id,
// balance, and credits from orders (sagaforge.order.OrderOutcome: CONFIRMED credits once
// per order, REFUNDED takes the credit back). The balance never goes negative. Runs inside
// the runtime's entity actors; messages in schemas/points.proto.
#pragma once

#include "actors/redemption/loyalty_config.hpp"
#include "runtime/entity_logic.hpp"

namespace sagaforge::points {

entity_logic_ptr make_points_logic(const loyalty::loyalty_config& cfg = {});

} // namespace sagaforge::points
