// The simulated card gateway ("gateway/g-<n>", one per shard of order ids) together with the
// client-side circuit breaker around it (breaker.hpp). A call's outcome is a pure function of
// (order id, attempt, amount, card) and the config: forced test cards ("timeout:N",
// "error:N": the first N attempts fail that way), random transient errors and timeouts at the
// configured rates, then the decline rules (the declined card, the amount limit). Latency is a
// durable timer; a timeout answers after gateway_timeout_ms. It also keeps the ledger of
// money captured, voided and refunded. Messages in schemas/payment.proto.
#pragma once

#include <string>
#include <utility>

#include "actors/fulfillment/fulfillment_config.hpp"
#include "payment.pb.h"
#include "runtime/entity_logic.hpp"

namespace sagaforge::payment {

entity_logic_ptr make_gateway_logic(fulfillment::config_ptr cfg);

/// The simulated outcome of one call and its reason.
std::pair<Verdict, std::string> simulate_call(const fulfillment::fulfillment_config& cfg,
                                              const GatewayAuthorize& call);

/// How long the call takes in ms (0: answered in the same step).
int64_t call_latency_ms(const fulfillment::fulfillment_config& cfg, const GatewayAuthorize& call,
                        Verdict verdict);

} // namespace sagaforge::payment
