// Notifications of one customer ("notification/<customer id>"): consumes
// sagaforge.order.OrderOutcome and records the message that would be sent (email, plus an
// SMS for cancellations), once per (order, status): a redelivered outcome notifies nobody.
// The history kept for that check is bounded (notification_history_max per customer).
// Messages in schemas/notification.proto. decide and apply are pure.
#pragma once

#include "actors/fulfillment/fulfillment_config.hpp"
#include "runtime/entity_logic.hpp"

namespace sagaforge::notification {

entity_logic_ptr make_notification_logic(fulfillment::config_ptr cfg);

} // namespace sagaforge::notification
