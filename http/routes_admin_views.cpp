// The admin API's cross-entity views for the console and the web page (/admin/v1, read
// role): an active entity's live report without activating (`live`), everything not making
// progress with a reason (`stuck`), timers across entities (`timers`), the busiest entities
// (`top`), the delivery limits (`limits`). None activates an entity: active ones answer their live report, passivated ones
// are read from the store (entity_peek). Each walks at most `scan_max` entities (O(known)):
// an operator's tool, not a hot path.
#include <algorithm>

#include "http/report_json.hpp"
#include "http/routes.hpp"
#include "runtime/entity_peek.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/live_inspect.hpp"

namespace sagaforge::http {

namespace {

constexpr size_t scan_max = 10000;  // entities walked per view
constexpr std::chrono::milliseconds live_timeout{2000};

/// The live report when active, else the stored image; nothing when neither answers.
std::optional<EntityReport> report_of(face_context& fc, const entity_listing& row) {
  if (row.active) {
    if (auto r = inspect_if_active(fc.node.context(), row.ref, live_timeout))
      return std::move(*r);
  }
  if (auto r = peek_entity(fc.node.context(), row.ref))
    return std::move(*r);
  return std::nullopt;
}

void live(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  auto ref = std::string{req.matches[1]} + "/" + std::string{req.matches[2]};
  if (auto err = validate_ref(ref))
    return send_error(res, 400, "invalid_ref", describe(err), "ref");
  if (!fc.node.context().logic_for(ref_type(ref)))
    return send_error(res, 404, "unknown_type",
                      "no entity type '" + std::string{ref_type(ref)} + "'");
  auto rep = inspect_if_active(fc.node.context(), ref, live_timeout);
  if (!rep && rep.error() == runtime_errc::not_found)
    return send_error(res, 404, "not_active", ref + " is not active; ?stored=1 reads it");
  if (!rep)
    return send_runtime_error(res, rep.error());
  send_json(res, 200, entity_report_json(*rep, fc.node.context().now_ms()));
}

bool saga_running(const std::string& status) {
  return status == "RUNNING" || status == "COMPENSATING" || status == "STARTED"
         || status == "AWAITING_EVENTS" || status == "NEW";
}

/// What a saga is doing now, from its state: the current step, its attempts, last error.
json saga_detail(const json& state) {
  json d = {{"status", state.value("status", "")}, {"reason", state.value("reason", "")}};
  auto cur = state.value("current", -1);
  if (state.contains("steps") && state["steps"].is_array() && cur >= 0
      && static_cast<size_t>(cur) < state["steps"].size()) {
    auto& s = state["steps"][static_cast<size_t>(cur)];
    d["step"] = s.value("name", "");
    d["attempts"] = s.value("attempts", 0);
    d["compensation_attempts"] = s.value("compensation_attempts", 0);
    d["last_error"] = s.value("last_error", "");
  }
  return d;
}

/// "RUNNING, no step for 1.2 s, at ship to flaky:3 (attempt 2: carrier unavailable)".
std::string stalled_reason(const std::string& status, int64_t idle_ms, const json& d,
                           const std::string& fallback_step) {
  char idle[32];
  std::snprintf(idle, sizeof idle, "%.1f s", static_cast<double>(idle_ms) / 1000);
  auto text = status + ", no step for " + idle;
  auto step = d.value("step", fallback_step);
  if (!step.empty())
    text += ", at " + step;
  if (d.value("attempts", 0) > 0)
    text += " (attempt " + std::to_string(d.value("attempts", 0))
            + (d.value("last_error", "").empty() ? "" : ": " + d.value("last_error", "")) + ")";
  return text;
}

void stuck_entities(face_context& fc, int64_t now, int64_t older_ms, json& items) {
  for (auto& row : fc.node.context().dir().list("", "", scan_max, false)) {
    bool unacked = row.oldest_unacked_ms > 0 && now - row.oldest_unacked_ms >= older_ms;
    if (!row.active && !unacked)
      continue;
    auto rep = report_of(fc, row);
    if (!rep)
      continue;
    if (rep->mode() == "broken" || !rep->error().empty())
      items.push_back({{"kind", "broken"}, {"ref", row.ref}, {"age_ms", 0},
                       {"reason", "not running: " + rep->error()}, {"detail", {{"mode", rep->mode()}}}});
    if (rep->crash_count() > 0)
      items.push_back({{"kind", "crashing"}, {"ref", row.ref}, {"age_ms", 0},
                       {"reason", std::to_string(rep->crash_count()) + " input(s) crashed and are retried"},
                       {"detail", {{"crash_count", rep->crash_count()}}}});
    if (rep->parked() > 0)
      items.push_back({{"kind", "parked"}, {"ref", row.ref}, {"age_ms", 0},
                       {"reason", std::to_string(rep->parked()) + " deliveries parked"},
                       {"detail", {{"parked", rep->parked()}}}});
    for (auto& o : rep->outbox_items()) {
      auto age = now - o.envelope().created_at_ms();
      if (age < older_ms)
        continue;
      items.push_back({{"kind", "unacked"}, {"ref", row.ref}, {"age_ms", age},
                       {"reason", "unacked by " + o.envelope().receiver() + " after "
                                    + std::to_string(o.attempts()) + " attempt(s)"},
                       {"detail", {{"envelope_id", o.envelope().id()},
                                   {"receiver", o.envelope().receiver()},
                                   {"type", o.envelope().type()},
                                   {"attempts", o.attempts()},
                                   {"next_attempt_ms", o.next_attempt_ms()}}}});
    }
  }
}

void stuck_sagas(face_context& fc, int64_t now, int64_t older_ms, json& items) {
  std::string after;
  for (size_t walked = 0; walked < scan_max;) {
    auto rows = fc.views->sagas("", "", 0, after, 1000);
    for (auto& s : rows) {
      auto ref = s.type + "/" + s.id;
      bool failed = s.status == "COMPENSATION_FAILED";
      auto row = fc.node.context().dir().find(ref);
      int64_t last = row && row->last_active_ms > 0 ? row->last_active_ms : s.started_ms;
      bool stalled = saga_running(s.status) && now - last >= older_ms;
      if ((failed || stalled) && row) {
        auto rep = report_of(fc, *row);
        json state = rep ? entity_report_json(*rep, now)["state"] : json::object();
        auto d = saga_detail(state);
        d["last_step_ms"] = last;
        items.push_back({{"kind", failed ? "compensation_failed" : "saga_stalled"},
                         {"ref", ref},
                         {"age_ms", now - last},
                         {"reason", failed ? "compensation failed: " + d.value("reason", "")
                                           : stalled_reason(s.status, now - last, d, s.step)},
                         {"detail", d}});
      }
    }
    walked += rows.size();
    if (rows.size() < 1000)
      break;
    after = rows.back().type + "/" + rows.back().id;
  }
}

void stuck(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  int64_t older_ms = 0, limit = 0;
  if (!query_int(req, res, "older_than_ms", 0, INT64_MAX / 2, 60000, older_ms)
      || !query_int(req, res, "limit", 1, 1000, 100, limit))
    return;
  auto now = fc.node.context().now_ms();
  json items = json::array();
  stuck_sagas(fc, now, older_ms, items);
  stuck_entities(fc, now, older_ms, items);
  bool truncated = items.size() > static_cast<size_t>(limit);
  if (truncated)
    items.erase(items.begin() + limit, items.end());
  send_json(res, 200, {{"older_than_ms", older_ms}, {"now_ms", now}, {"items", items},
                       {"truncated", truncated}});
}

void timers(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  int64_t within = 0, limit = 0;
  if (!query_int(req, res, "due_within_ms", 0, INT64_MAX / 2, 0, within)
      || !query_int(req, res, "limit", 1, 1000, 100, limit))
    return;
  bool overdue = req.get_param_value("overdue") == "1";
  bool bounded = overdue || req.has_param("due_within_ms");
  auto now = fc.node.context().now_ms();
  auto until = overdue ? now : now + within;
  json items = json::array();
  size_t walked = 0;
  for (auto& row : fc.node.context().dir().list("", "", scan_max, false)) {
    ++walked;
    auto rep = report_of(fc, row);
    if (!rep)
      continue;
    for (auto& t : rep->timer_entries())
      if (!bounded || t.due_ms() <= until)
        items.push_back({{"ref", row.ref}, {"name", t.name()}, {"type", t.type()},
                         {"due_ms", t.due_ms()}, {"in_ms", t.due_ms() - now},
                         {"active", row.active}});
  }
  std::sort(items.begin(), items.end(),
            [](const json& a, const json& b) { return a["due_ms"] < b["due_ms"]; });
  bool truncated = items.size() > static_cast<size_t>(limit);
  if (truncated)
    items.erase(items.begin() + limit, items.end());
  send_json(res, 200, {{"now_ms", now}, {"items", items}, {"entities_scanned", walked},
                       {"truncated", truncated}});
}

void top(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  int64_t limit = 0;
  if (!query_int(req, res, "limit", 1, 1000, 20, limit))
    return;
  auto by = req.get_param_value("by");
  if (by.empty())
    by = "steps";
  if (by != "steps" && by != "outbox")
    return send_error(res, 400, "invalid_argument", "by is steps or outbox", "by");
  json items = json::array();
  auto rows = fc.node.context().dir().list("", "", scan_max, by == "outbox");
  for (auto& row : rows) {
    json item = {{"ref", row.ref}, {"active", row.active}, {"log_records", row.last_log_seq},
                 {"last_active_ms", row.last_active_ms}, {"oldest_unacked_ms", row.oldest_unacked_ms}};
    if (by == "outbox") {
      auto rep = inspect_if_active(fc.node.context(), row.ref, live_timeout);
      if (!rep)
        continue;
      item["outbox_size"] = rep->outbox_size();
      item["parked"] = rep->parked();
    }
    items.push_back(std::move(item));
  }
  auto key = by == "outbox" ? "outbox_size" : "log_records";
  std::stable_sort(items.begin(), items.end(),
                   [key](const json& a, const json& b) { return a[key] > b[key]; });
  if (items.size() > static_cast<size_t>(limit))
    items.erase(items.begin() + limit, items.end());
  send_json(res, 200, {{"by", by}, {"items", items}});
}

/// The delivery limits an outbox entry is dead-lettered by (console `outbox`).
void limits(face_context& fc, const httplib::Request&, httplib::Response& res) {
  auto& s = fc.settings;
  send_json(res, 200, {{"retry_initial_backoff_ms", s.retry_initial_backoff_ms},
                       {"retry_max_backoff_ms", s.retry_max_backoff_ms},
                       {"retry_max_attempts", s.retry_max_attempts},
                       {"retry_max_age_ms", s.retry_max_age_ms}});
}

}  // namespace

void add_admin_view_routes(route_table& t, face_context& fc) {
  auto* f = &fc;
  using fn_t = void (*)(face_context&, const httplib::Request&, httplib::Response&);
  auto add = [&](std::string pattern, std::string name, fn_t fn) {
    t.add("GET", std::move(pattern), std::move(name), area::admin_read,
          [f, fn](auto& req, auto& res) { fn(*f, req, res); });
  };
  std::string ent = std::string{"/admin/v1/entities/"} + seg + "/" + seg;
  add(ent + "/live", "/admin/v1/entities/{type}/{id}/live", live);
  add("/admin/v1/stuck", "/admin/v1/stuck", stuck);
  add("/admin/v1/timers", "/admin/v1/timers", timers);
  add("/admin/v1/top", "/admin/v1/top", top);
  add("/admin/v1/limits", "/admin/v1/limits", limits);
}

}  // namespace sagaforge::http
