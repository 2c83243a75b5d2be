// The admin API's transaction trace and bulk dead-letter replay (/admin/v1):
//   GET  /admin/v1/trace/{correlation}?limit=  (read) every step of one business
//        transaction across entities, oldest first (runtime/correlation_trace.hpp)
//   POST /admin/v1/dead-letters/replay  (admin) body {"filter": {"reason", "receiver_type",
//        "receiver", "replayed"}, "dry_run": bool, "max": 1..1000}: the matching dead letters
//        (dry run), or each replayed with a result per item. Audited by the route table.
#include "http/dead_letter_filter.hpp"
#include "http/routes.hpp"
#include "runtime/correlation_trace.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::http {

namespace {

constexpr uint64_t trace_scan_max = 5'000'000;  // log records read per pass

void trace(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string corr = req.matches[1];
  int64_t limit = 0;
  if (!query_int(req, res, "limit", 1, 1000, 200, limit))
    return;
  if (corr.empty() || corr.size() > 200)
    return send_error(res, 400, "invalid_id", "a correlation id is 1..200 bytes", "correlation");
  auto tr = trace_correlation(fc.node.context().backing_store(), corr,
                              static_cast<size_t>(limit), trace_scan_max);
  if (!tr)
    return send_runtime_error(res, tr.error());
  json items = json::array();
  for (auto& s : tr->steps) {
    auto& rec = s.record;
    json events = json::array();
    if (auto* logic = fc.node.context().logic_for(ref_type(s.ref))) {
      auto ev = logic->new_event();
      for (auto& bytes : rec.events())
        events.push_back(ev->ParseFromString(bytes) ? to_json(*ev) : json("unparsable"));
    }
    json sends = json::array();
    for (auto& env : rec.outbox())
      sends.push_back({{"id", env.id()}, {"receiver", env.receiver()}, {"type", env.type()},
                       {"correlation_id", env.correlation_id()}});
    items.push_back(
      {{"ref", s.ref}, {"log_seq", s.log_seq}, {"at_ms", rec.at_ms()},
       {"inbound", rec.inbound_sender().empty()
                     ? json()
                     : json(rec.inbound_sender() + "#" + std::to_string(rec.inbound_seq()))},
       {"inbound_failed", rec.inbound_failed()}, {"events", events}, {"sends", sends},
       {"timers_set", rec.timers_set_size()}});
  }
  send_json(res, 200, {{"correlation_id", corr}, {"items", items},
                       {"records_scanned", tr->scanned}, {"truncated", tr->truncated}});
}

/// Reads the body; false when answered (400).
bool parse_bulk(const httplib::Request& req, httplib::Response& res, dl_filter& f, bool& dry,
                int64_t& max) {
  auto body = json::parse(req.body, nullptr, false);
  auto bad = [&](const std::string& what) {
    send_error(res, 400, "invalid_json", what);
    return false;
  };
  if (body.is_discarded() || !body.is_object())
    return bad("the body is {\"filter\": {...}, \"dry_run\": bool, \"max\": N}");
  for (auto& [k, v] : body.items())
    if (k != "filter" && k != "dry_run" && k != "max")
      return bad("unknown field '" + k.substr(0, 40) + "'");
  if (body.contains("dry_run") && !body["dry_run"].is_boolean())
    return bad("dry_run is a boolean");
  dry = body.value("dry_run", false);
  if (body.contains("max") && !(body["max"].is_number_integer() && body["max"] >= 1
                                && body["max"] <= 1000))
    return bad("max is an integer 1..1000");
  max = body.value("max", int64_t{100});
  auto fl = body.value("filter", json::object());
  if (!fl.is_object())
    return bad("filter is an object");
  for (auto& [k, v] : fl.items()) {
    if (k == "replayed" && v.is_boolean())
      f.replayed = v.get<bool>() ? 1 : 0;
    else if ((k == "reason" || k == "receiver_type" || k == "receiver") && v.is_string()
             && v.get<std::string>().size() <= 200)
      (k == "reason" ? f.reason : k == "receiver" ? f.receiver : f.receiver_type) = v.get<std::string>();
    else
      return bad("filter." + k.substr(0, 40) + " is unknown or of the wrong type");
  }
  if (f.replayed < 0)
    f.replayed = 0;  // by default only what was never replayed: a bulk replay is not repeated
  return true;
}

void bulk_replay(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  dl_filter f;
  bool dry = false;
  int64_t max = 0;
  if (!parse_bulk(req, res, f, dry, max))
    return;
  std::vector<DeadLetter> picked;
  bool more = false;
  for (uint64_t from = 1;;) {
    auto page = fc.node.dead_letters(from, 1000);
    if (!page)
      return send_runtime_error(res, page.error());
    for (auto& dl : *page) {
      if (!f.matches(dl))
        continue;
      if (picked.size() == static_cast<size_t>(max)) {
        more = true;
        break;
      }
      picked.push_back(dl);
    }
    if (more || page->size() < 1000)
      break;
    from = page->back().id() + 1;
  }
  json items = json::array();
  size_t ok = 0;
  for (auto& dl : picked) {
    json item = {{"id", dl.id()}, {"receiver", dl.envelope().receiver()},
                 {"type", dl.envelope().type()}, {"reason", dl.reason()}};
    if (!dry) {
      if (auto err = fc.node.replay_dead_letter(dl.id())) {
        item["replayed"] = false;
        item["error"] = describe(err);
      } else {
        item["replayed"] = true;
        ++ok;
      }
    }
    items.push_back(std::move(item));
  }
  if (dry)
    res.set_header(dry_run_header, "1");
  send_json(res, 200, {{"dry_run", dry}, {"matched", picked.size()}, {"replayed", ok},
                       {"failed", dry ? 0 : picked.size() - ok}, {"more", more},
                       {"items", items}});
}

}  // namespace

void add_admin_bulk_routes(route_table& t, face_context& fc) {
  auto* f = &fc;
  t.add("GET", "/admin/v1/trace/([^/]+)", "/admin/v1/trace/{correlation}", area::admin_read,
        [f](auto& req, auto& res) { trace(*f, req, res); });
  t.add("POST", "/admin/v1/dead-letters/replay", "/admin/v1/dead-letters/replay",
        area::admin_write, [f](auto& req, auto& res) { bulk_replay(*f, req, res); });
}

}  // namespace sagaforge::http
