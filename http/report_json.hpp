// An entity report (EntityReport, live or stored) as the admin API's JSON: state decoded by
// its Protobuf type, outbox items with their age, timers, in-channels. Used by GET
// /admin/v1/entities/{type}/{id} and the console's views (routes_admin*.cpp). Pure.
#pragma once

#include "http/face_context.hpp"

namespace sagaforge::http {

/// `now_ms` is the runtime clock, for the outbox items' ages.
json entity_report_json(const EntityReport& r, int64_t now_ms);

}  // namespace sagaforge::http
