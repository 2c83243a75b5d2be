// The order-fulfillment saga ("fulfillment/<order id>"), the supervisor of one order's steps
// (DESIGN §6): reserve every line -> charge -> schedule shipment -> finalize (commit stock,
// confirm the order). Business failures compensate in reverse; transient failures retry with
// backoff up to step_max_attempts, then compensate; each step has a durable timeout; late
// results are undone. docs/fulfillment.md has the state machine. Messages in
// schemas/fulfillment.proto; decide and apply are pure.
#pragma once

#include "actors/fulfillment/fulfillment_config.hpp"
#include "fulfillment.pb.h"
#include "runtime/entity_logic.hpp"

namespace sagaforge::fulfillment {

entity_logic_ptr make_saga_logic(config_ptr cfg);

/// Finished (Completed, Compensated or CompensationFailed) with no stock commit unconfirmed:
/// nothing more is expected, so the saga asks to be passivated.
bool is_settled(const SagaState& s);

/// Backoff before attempt `attempt + 1` of step `step` of order `order_id`: exponential from
/// retry_initial_backoff_ms, capped at retry_max_backoff_ms, plus up to 50 % derived jitter.
int64_t saga_backoff_ms(const fulfillment_config& cfg, const std::string& order_id, int step,
                        uint32_t attempt);

} // namespace sagaforge::fulfillment
