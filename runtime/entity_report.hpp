// The operator's view of an entity's durable mailbox inside an EntityReport: unacked outbox
// entries, timers and de-dup watermarks (runtime_records.proto). Shared by the live report
// (entity_core::report, on the entity's actor) and the stored one (entity_peek.hpp).
#pragma once

#include <cstddef>

#include "runtime/durable_mailbox.hpp"
#include "runtime_records.pb.h"

namespace sagaforge {

/// Lists in a report stop here: an entity may hold thousands of channels.
constexpr size_t report_list_max = 200;

/// Fills the report's outbox, timer_entries, in_channels and their counts from `mb`.
void add_mailbox_details(const durable_mailbox& mb, EntityReport& r);

}  // namespace sagaforge
