// Entity commands: status, types, ls, show, history, outbox. None activates an entity:
// `show` and `outbox` read an active entity's live report and a passivated one's stored
// image (GET .../live, then ?stored=1).
#include "console/commands.hpp"

namespace sagaforge::console {

namespace {

outcome status(session& s, const parsed_args&) {
  auto r = s.node->get("/admin/v1/node");
  if (!r.ok())
    return failed(r);
  auto& b = r.body;
  auto su = b.value("startup", json::object());
  auto en = b.value("entities", json::object());
  auto cm = b.value("commit", json::object());
  auto ct = b.value("counters", json::object());
  std::string text = fields({
    {"node", s.node->url()},
    {"data dir", cell(b["data_dir"])},
    {"durability", cell(b["durability"]) + ", " + cell(b["shards"]) + " shards"},
    {"health", std::string{b.value("healthy", false) ? green(s.style, "healthy") : red(s.style, "STORE FAILED")}
                 + (b.value("ready", false) ? ", ready" : ", not ready")},
    {"commits", cell(cm["commits"]) + " (" + cell(cm["steps"]) + " steps, " + cell(cm["failed"])
                  + " failed, " + cell(cm["queued_steps"]) + " queued)"},
    {"start-up", cell(su["seconds"]) + " s, " + cell(su["log_records"]) + " records, "
                   + cell(su["entities_known"]) + " entities, " + cell(su["reactivated"])
                   + " re-activated"},
    {"entities", cell(en["active"]) + " active, " + cell(en["known"]) + " known, "
                   + cell(en["idle_actors"]) + " idle actors"},
    {"counters", "steps " + cell(ct["steps"]) + ", dead letters " + cell(ct["dead_letters"])
                   + ", crashes " + cell(ct["crashes"]) + ", resends " + cell(ct["resends"])
                   + ", duplicates " + cell(ct["duplicates"]) + ", outbox " + cell(ct["outbox_entries"])},
  });
  return answer(b, text);
}

outcome types(session& s, const parsed_args&) {
  auto r = s.node->get("/admin/v1/types");
  if (!r.ok())
    return failed(r);
  table t{{"TYPE", "ACTIVE", "KNOWN", "STATE", "SNAPSHOT EVERY"}};
  for (auto& i : r.body.value("items", json::array())) {
    s.types.insert(cell(i["type"]));
    t.row({cell(i["type"]), cell(i["active"]), cell(i["known"]), cell(i["state_type"]),
           cell(i["snapshot_every"])});
  }
  return answer(r.body, t.str(s.style));
}

outcome ls(session& s, const parsed_args& a) {
  auto type = a.positional[0];
  int64_t n = 50;
  if (a.has("-n") && !parse_count(a.get("-n"), 1, 1000, n))
    return usage_error("ls: -n is 1..1000");
  auto mode = a.get("--mode", "any");
  if (mode != "any" && mode != "active" && mode != "passivated")
    return usage_error("ls: --mode is active, passivated or any");
  auto path = "/admin/v1/entities?type=" + url_encode(type) + "&limit=" + std::to_string(n)
              + (mode == "active" ? "&active=1" : "")
              + (a.has("--after") ? "&after=" + url_encode(a.get("--after")) : "");
  auto r = s.node->get(path);
  if (!r.ok())
    return failed(r);
  s.types.insert(type);
  json items = json::array();
  table t{{"REF", "ACTIVE", "LOG RECORDS", "LAST ACTIVE", "OLDEST UNACKED"}};
  for (auto& i : r.body.value("items", json::array())) {
    if (mode == "passivated" && i.value("active", false))
      continue;  // the node filters active only; passivated is the complement of a page
    s.refs.insert(cell(i["ref"]));
    items.push_back(i);
    t.row({cell(i["ref"]), cell(i["active"]), cell(i["last_log_seq"]),
           at_text(i.value("last_active_ms", int64_t{0})),
           at_text(i.value("oldest_unacked_ms", int64_t{0}))});
  }
  auto text = t.str(s.style);
  if (!r.body["next"].is_null())
    text += "more: ls " + type + " --after " + cell(r.body["next"]) + "\n";
  return answer({{"items", items}, {"next", r.body["next"]}}, text);
}

/// The entity's report without activating it: live when active, else stored.
reply report_of(session& s, const std::string& ref, bool stored_only) {
  auto slash = ref.find('/');
  auto path = "/admin/v1/entities/" + url_encode(ref.substr(0, slash)) + "/"
              + url_encode(ref.substr(slash + 1));
  if (!stored_only) {
    auto live = s.node->get(path + "/live");
    if (live.ok() || live.error_code != "not_active")
      return live;
  }
  return s.node->get(path + "?stored=1");
}

std::string outbox_table(session& s, const json& rep, const json& limits) {
  table t{{"RECEIVER", "SEQ", "TYPE", "ATTEMPT", "AGE", "NEXT RESEND", "DEAD-LETTERED"}};
  auto max_attempts = limits.value("retry_max_attempts", int64_t{0});
  auto max_age = limits.value("retry_max_age_ms", int64_t{0});
  for (auto& o : rep.value("outbox", json::array())) {
    auto& env = o["envelope"];
    auto attempts = o.value("attempts", int64_t{0});
    std::string dead = "-";
    if (max_age > 0)
      dead = "at " + at_text(env.value("created_at_ms", int64_t{0}) + max_age);
    if (max_attempts > 0)
      dead += " or after " + std::to_string(std::max<int64_t>(0, max_attempts - attempts))
              + " more attempt(s)";
    t.row({cell(env["receiver"]), cell(env["channel_seq"]), cell(env["type"]),
           std::to_string(attempts) + (o.value("in_flight", false) ? " (in flight)" : ""),
           age_text(o.value("age_ms", int64_t{0})), at_text(o.value("next_attempt_ms", int64_t{0})),
           dead});
  }
  return t.str(s.style);
}

outcome show(session& s, const parsed_args& a) {
  auto ref = a.positional[0];
  if (!valid_ref(ref))
    return usage_error("show: '" + ref.substr(0, 80) + "' is not a ref type/id");
  auto r = report_of(s, ref, a.has("--stored"));
  if (!r.ok())
    return failed(r);
  auto& b = r.body;
  s.refs.insert(ref);
  std::string text = fields({
    {"ref", ref},
    {"mode", cell(b["mode"]) + (b.value("stored", false) ? " (read from the store)" : " (live)")},
    {"state type", cell(b["state_type"])},
    {"event seq", cell(b["event_seq"])},
    {"last step", "log record " + cell(b["last_log_seq"])
                    + (b.value("last_active_ms", int64_t{0}) > 0
                         ? " at " + at_text(b.value("last_active_ms", int64_t{0})) : "")},
    {"outbox", cell(b["outbox_size"]) + " pending"},
    {"timers", std::to_string(b.value("timers", json::array()).size())},
    {"parked", cell(b["parked"])},
    {"crashes", cell(b["crash_count"])},
    {"last error", b.value("error", "").empty() ? "-" : red(s.style, cell(b["error"]))},
  });
  text += bold(s.style, "state") + "\n" + b["state"].dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  if (!b.value("timers", json::array()).empty()) {
    table t{{"TIMER", "TYPE", "DUE"}};
    for (auto& tm : b["timers"])
      t.row({cell(tm["name"]), cell(tm["type"]), at_text(tm.value("due_ms", int64_t{0}))});
    text += bold(s.style, "timers") + "\n" + t.str(s.style);
  }
  if (!b.value("in_channels", json::array()).empty()) {
    table t{{"FROM", "WATERMARK", "LAST SEEN"}};
    for (auto& c : b["in_channels"])
      t.row({cell(c["sender"]), cell(c["watermark"]), at_text(c.value("last_seen_ms", int64_t{0}))});
    text += bold(s.style, "in-channels") + "\n" + t.str(s.style);
  }
  if (!b.value("outbox", json::array()).empty())
    text += bold(s.style, "outbox") + "\n" + outbox_table(s, b, json::object());
  return answer(b, text);
}

outcome history(session& s, const parsed_args& a) {
  auto ref = a.positional[0];
  if (!valid_ref(ref))
    return usage_error("history: '" + ref.substr(0, 80) + "' is not a ref type/id");
  int64_t from = 0, n = 50;
  if (a.has("--from") && !parse_count(a.get("--from"), 0, INT64_MAX / 2, from))
    return usage_error("history: --from is a log seq (a number)");
  if (a.has("-n") && !parse_count(a.get("-n"), 1, 500, n))
    return usage_error("history: -n is 1..500");
  auto slash = ref.find('/');
  auto r = s.node->get("/admin/v1/entities/" + url_encode(ref.substr(0, slash)) + "/"
                       + url_encode(ref.substr(slash + 1)) + "/journal?from="
                       + std::to_string(from) + "&limit=" + std::to_string(n));
  if (!r.ok())
    return failed(r);
  s.refs.insert(ref);
  std::string text;
  for (auto& st : r.body.value("items", json::array())) {
    text += bold(s.style, "#" + cell(st["log_seq"])) + "  " + at_text(st.value("at_ms", int64_t{0}))
            + "  from " + cell(st["inbound"]) + (st.value("inbound_failed", false) ? red(s.style, " (dead-lettered)") : "")
            + "\n";
    for (auto& e : st.value("events", json::array()))
      text += "  event  " + e.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    for (auto& e : st.value("sends", json::array()))
      text += "  send   " + cell(e["receiver"]) + "  " + cell(e["type"]) + "  #" + cell(e["channel_seq"]) + "\n";
    for (auto& t : st.value("timers_set", json::array()))
      text += "  timer  " + cell(t["name"]) + " due " + at_text(t.value("due_ms", int64_t{0})) + "\n";
    for (auto& t : st.value("timers_cancelled", json::array()))
      text += "  timer  " + cell(t) + " cancelled or fired\n";
    if (!st.value("acked", json::array()).empty())
      text += "  acked  " + std::to_string(st["acked"].size()) + " envelope(s)\n";
  }
  if (!r.body["next"].is_null())
    text += "more: history " + ref + " --from " + cell(r.body["next"]) + "\n";
  if (text.empty())
    text = "no steps from log seq " + std::to_string(from) + "\n";
  return answer(r.body, text);
}

outcome outbox(session& s, const parsed_args& a) {
  auto ref = a.positional[0];
  if (!valid_ref(ref))
    return usage_error("outbox: '" + ref.substr(0, 80) + "' is not a ref type/id");
  auto r = report_of(s, ref, false);
  if (!r.ok())
    return failed(r);
  auto lim = s.node->get("/admin/v1/limits");
  if (!lim.ok())
    return failed(lim);
  json items = json::array();
  for (auto& o : r.body.value("outbox", json::array())) {
    auto created = o["envelope"].value("created_at_ms", int64_t{0});
    items.push_back({{"receiver", o["envelope"]["receiver"]},
                     {"channel_seq", o["envelope"]["channel_seq"]},
                     {"type", o["envelope"]["type"]},
                     {"id", o["envelope"]["id"]},
                     {"attempts", o["attempts"]},
                     {"in_flight", o["in_flight"]},
                     {"age_ms", o["age_ms"]},
                     {"next_attempt_ms", o["next_attempt_ms"]},
                     {"dead_letter_at_ms", created + lim.body.value("retry_max_age_ms", int64_t{0})},
                     {"attempts_left", std::max<int64_t>(0, lim.body.value("retry_max_attempts", int64_t{0})
                                                              - o.value("attempts", int64_t{0}))}});
  }
  auto text = items.empty() ? ref + ": the outbox is empty\n" : outbox_table(s, r.body, lim.body);
  return answer({{"ref", ref}, {"mode", r.body["mode"]}, {"items", items}}, text);
}

}  // namespace

void add_entity_commands(std::vector<command>& out) {
  out.push_back({"status", "status", "the node: store, durability, health, commits, start-up, counters",
                 {}, 0, 0, true, status});
  out.push_back({"types", "types", "entity types with active and known counts", {}, 0, 0, true, types});
  out.push_back({"ls", "ls TYPE [--mode active|passivated|any] [--after REF] [-n N]",
                 "entities of a type, sorted, paged (never activates)",
                 {{"--mode", "--after", "-n"}, {}}, 1, 1, true, ls});
  out.push_back({"show", "show REF [--stored]",
                 "one entity: state, event seq, mode, last step, outbox, timers, in-channels, errors",
                 {{}, {"--stored"}}, 1, 1, true, show});
  out.push_back({"history", "history REF [--from SEQ] [-n N]",
                 "its journal, step by step: time, inbound, events, sends, timers",
                 {{"--from", "-n"}, {}}, 1, 1, true, history});
  out.push_back({"outbox", "outbox REF",
                 "its unacked sends: receiver, seq, type, attempt, age, next resend, when dead-lettered",
                 {}, 1, 1, true, outbox});
}

}  // namespace sagaforge::console
