// The shipment of one order ("shipment/<order id>"): schedule (refused for regions the
// carrier does not serve: a business failure; carrier hiccups at the configured rate, or for
// "flaky:N" regions on the first N attempts: transient), cancel (idempotent; refused once the
// parcel is in transit), dispatch (the carrier moves it on) and track.
// Messages in schemas/shipment.proto. decide and apply are pure.
#pragma once

#include "actors/fulfillment/fulfillment_config.hpp"
#include "runtime/entity_logic.hpp"

namespace sagaforge::shipment {

entity_logic_ptr make_shipment_logic(fulfillment::config_ptr cfg);

} // namespace sagaforge::shipment
