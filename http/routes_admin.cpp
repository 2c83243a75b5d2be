// The admin API's reads (/admin/v1, read or admin role): node info, entity types, entities
// by type (active or stored, paged, never activating), one entity (live report, or the
// stored image with ?stored=1), its journal (paged whole steps), and watch (the next
// committed state: a long poll on the committed-step subscription).
#include "http/report_json.hpp"
#include "http/routes.hpp"
#include "runtime/committed_watch.hpp"
#include "runtime/entity_peek.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::http {

namespace {

/// "{type}/{id}" from the path, validated; 404 for an unregistered type.
bool path_ref(face_context& fc, const httplib::Request& req, httplib::Response& res,
              std::string& ref) {
  ref = std::string{req.matches[1]} + "/" + std::string{req.matches[2]};
  if (auto err = validate_ref(ref)) {
    send_error(res, 400, "invalid_ref", describe(err), "ref");
    return false;
  }
  if (!fc.node.context().logic_for(ref_type(ref))) {
    send_error(res, 404, "unknown_type", "no entity type '" + std::string{ref_type(ref)} + "'");
    return false;
  }
  return true;
}

void node_info(face_context& fc, const httplib::Request&, httplib::Response& res) {
  auto& ctx = fc.node.context();
  auto& c = ctx.counters();
  auto& su = fc.node.startup();
  auto st = ctx.pipeline().stats();
  auto& s = fc.settings;
  send_json(res, 200,
            {{"data_dir", s.data_dir},
             {"durability", s.durability_name},
             {"shards", s.shard_count},
             {"healthy", ctx.pipeline().healthy()},
             {"waiting_for_space", ctx.pipeline().space_problem()},
             {"ready", fc.ready.load()},
             {"now_ms", ctx.now_ms()},
             {"startup",
              {{"seconds", su.seconds},
               {"log_records", su.log_records},
               {"snapshots", su.snapshots},
               {"entities_known", su.entities_known},
               {"reactivated", su.reactivated},
               {"dead_letters", su.dead_letters}}},
             {"entities",
              {{"active", ctx.dir().active_count()},
               {"known", ctx.dir().known_count()},
               {"idle_actors", ctx.dir().idle_count()}}},
             {"commit",
              {{"commits", st.commits},
               {"steps", st.steps},
               {"failed", st.failed},
               {"queued_steps", ctx.pipeline().queued_steps()}}},
             {"counters",
              {{"steps", c.steps.load()},
               {"duplicates", c.duplicates.load()},
               {"stale_envelopes", c.stale_envelopes.load()},
               {"resends", c.resends.load()},
               {"dead_letters", c.dead_letters.load()},
               {"crashes", c.crashes.load()},
               {"activations", c.activations.load()},
               {"passivations", c.passivations.load()},
               {"outbox_entries", static_cast<int64_t>(c.outbox_entries.load())}}}});
}

void types(face_context& fc, const httplib::Request&, httplib::Response& res) {
  json items = json::array();
  for (auto& [type, counts] : fc.node.context().dir().count_by_type()) {
    auto* logic = fc.node.context().logic_for(type);
    items.push_back({{"type", type},
                     {"active", counts.first},
                     {"known", counts.second},
                     {"registered", logic != nullptr},
                     {"state_type", logic ? logic->new_state()->GetTypeName() : ""},
                     {"snapshot_every", logic ? fc.node.context().snapshot_every(*logic) : 0}});
  }
  send_json(res, 200, {{"items", items}});
}

void entities(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  int64_t limit = 0;
  if (!query_int(req, res, "limit", 1, 1000, 50, limit))
    return;
  auto type = req.get_param_value("type");
  if (!type.empty() && !fc.node.context().logic_for(type))
    return send_error(res, 404, "unknown_type", "no entity type '" + type.substr(0, 40) + "'",
                      "type");
  auto rows
    = fc.node.context().dir().list(type, req.get_param_value("after"), static_cast<size_t>(limit),
                                   req.get_param_value("active") == "1");
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"ref", r.ref},
                     {"active", r.active},
                     {"last_log_seq", r.last_log_seq},
                     {"last_active_ms", r.last_active_ms},
                     {"oldest_unacked_ms", r.oldest_unacked_ms}});
  json next = rows.size() == static_cast<size_t>(limit) ? json(rows.back().ref) : json();
  send_json(res, 200, {{"items", items}, {"next", next}});
}

void entity(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string ref;
  if (!path_ref(fc, req, res, ref))
    return;
  bool stored = req.get_param_value("stored") == "1";
  if (!fc.node.context().dir().find(ref))
    return send_error(res, 404, "not_found", "the node has no record of " + ref);
  auto rep = stored ? peek_entity(fc.node.context(), ref) : fc.node.inspect(ref, fc.ask_timeout);
  if (!rep)
    return send_runtime_error(res, rep.error());
  send_json(res, 200, entity_report_json(*rep, fc.node.context().now_ms()));
}

void journal(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string ref;
  int64_t from = 0, limit = 0;
  if (!path_ref(fc, req, res, ref) || !query_int(req, res, "from", 0, INT64_MAX, 0, from)
      || !query_int(req, res, "limit", 1, 500, 50, limit))
    return;
  auto page
    = journal_page(fc.node.context(), ref, static_cast<uint64_t>(from), static_cast<size_t>(limit));
  if (!page)
    return send_runtime_error(res, page.error());
  auto* logic = fc.node.context().logic_for(ref_type(ref));
  auto event = logic->new_event();
  json items = json::array();
  for (auto& e : *page) {
    auto& rec = e.record;
    json events = json::array();
    for (auto& bytes : rec.events())
      events.push_back(event->ParseFromString(bytes) ? to_json(*event) : json("unparsable"));
    json sends = json::array();
    for (auto& env : rec.outbox())
      sends.push_back(envelope_json(env));
    json timers = json::array();
    for (auto& t : rec.timers_set())
      timers.push_back({{"name", t.name()}, {"due_ms", t.due_ms()}, {"type", t.type()}});
    items.push_back(
      {{"log_seq", e.log_seq},
       {"at_ms", rec.at_ms()},
       {"inbound", rec.inbound_sender().empty()
                     ? json()
                     : json(rec.inbound_sender() + "#" + std::to_string(rec.inbound_seq()))},
       {"inbound_failed", rec.inbound_failed()},
       {"first_event_seq", rec.first_event_seq()},
       {"events", events},
       {"sends", sends},
       {"timers_set", timers},
       {"timers_cancelled", rec.timers_cancelled()},
       {"acked", rec.acked()}});
  }
  json next = page->size() == static_cast<size_t>(limit) ? json(page->back().log_seq + 1) : json();
  send_json(res, 200, {{"ref", ref}, {"items", items}, {"next", next}});
}

void watch(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  std::string ref;
  int64_t timeout = 0;
  if (!path_ref(fc, req, res, ref)
      || !query_int(req, res, "timeout_ms", 0, fc.settings.http_wait_max_ms, 10000, timeout))
    return;
  committed_watch w{fc.node.context(), ref, [](const pb_message&) { return true; }};
  auto next = w.wait_until(std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout});
  if (!next)
    return send_json(res, 200, {{"ref", ref}, {"changed", false}});
  auto m = new_message(fc.node.context().logic_for(ref_type(ref))->new_state()->GetTypeName());
  m->ParseFromString(*next);
  send_json(res, 200, {{"ref", ref}, {"changed", true}, {"state", to_json(*m)}});
}

}  // namespace

void add_admin_read_routes(route_table& t, face_context& fc) {
  auto* f = &fc;
  auto add = [&](std::string pattern, std::string name,
                 void (*fn)(face_context&, const httplib::Request&, httplib::Response&)) {
    t.add("GET", std::move(pattern), std::move(name), area::admin_read,
          [f, fn](auto& req, auto& res) { fn(*f, req, res); });
  };
  std::string ent = std::string{"/admin/v1/entities/"} + seg + "/" + seg;
  add("/admin/v1/node", "/admin/v1/node", node_info);
  add("/admin/v1/types", "/admin/v1/types", types);
  add("/admin/v1/entities", "/admin/v1/entities", entities);
  add(ent, "/admin/v1/entities/{type}/{id}", entity);
  add(ent + "/journal", "/admin/v1/entities/{type}/{id}/journal", journal);
  add(ent + "/watch", "/admin/v1/entities/{type}/{id}/watch", watch);
}

}  // namespace sagaforge::http
