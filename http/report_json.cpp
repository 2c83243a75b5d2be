// Entity reports as JSON (see report_json.hpp). The same fields as GET
// /admin/v1/entities/{type}/{id}, so a client reads the live and the stored view alike.
#include "http/report_json.hpp"

namespace sagaforge::http {

json entity_report_json(const EntityReport& r, int64_t now_ms) {
  json state;
  if (auto m = new_message(r.state_type()); m && m->ParseFromString(r.state()))
    state = to_json(*m);
  json outbox = json::array();
  for (auto& o : r.outbox_items())
    outbox.push_back({{"envelope", envelope_json(o.envelope())},
                      {"attempts", o.attempts()},
                      {"in_flight", o.in_flight()},
                      {"next_attempt_ms", o.next_attempt_ms()},
                      {"age_ms", now_ms - o.envelope().created_at_ms()}});
  json timers = json::array();
  for (auto& t : r.timer_entries())
    timers.push_back({{"name", t.name()}, {"due_ms", t.due_ms()}, {"type", t.type()}});
  json channels = json::array();
  for (auto& c : r.in_channels())
    channels.push_back(
      {{"sender", c.sender()}, {"watermark", c.watermark()}, {"last_seen_ms", c.last_seen_ms()}});
  return {{"ref", r.ref()},
          {"mode", r.mode()},
          {"stored", r.stored()},
          {"state_type", r.state_type()},
          {"state", state},
          {"event_seq", r.event_seq()},
          {"last_log_seq", r.last_log_seq()},
          {"outbox_size", r.outbox_size()},
          {"outbox", outbox},
          {"timers", timers},
          {"in_channels", channels},
          {"channels", r.channels()},
          {"parked", r.parked()},
          {"crash_count", r.crash_count()},
          {"last_active_ms", r.last_active_ms()},
          {"error", r.error()}};
}

}  // namespace sagaforge::http
