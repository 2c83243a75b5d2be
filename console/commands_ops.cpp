// Operator commands: dead letters (ls, show, replay of one or of a filter with a dry run, a
// cap, confirmation and a result per item; drop), send (a command through the journaled
// path: the node's client, de-duplicated, no state editing), passivate, and watch (repeat a
// read, or follow an entity's committed steps). Actions need the admin token; the node
// audits each.
#include <chrono>
#include <csignal>
#include <thread>

#include "console/commands.hpp"

namespace sagaforge::console {

namespace {

std::string dl_path(const std::string& id) {
  return "/admin/v1/dead-letters/" + url_encode(id);
}

bool valid_dl_id(const std::string& id) {
  int64_t n = 0;
  return parse_count(id, 1, INT64_MAX / 2, n);
}

std::string dl_row_text(const json& d) {
  return "#" + cell(d["id"]) + " to " + cell(d["envelope"]["receiver"]) + " ("
         + cell(d["envelope"]["type"]) + "), " + cell(d["reason"]);
}

outcome dl_ls(session& s, const parsed_args& a) {
  int64_t n = 50, after = 0;
  if (a.has("-n") && !parse_count(a.get("-n"), 1, 1000, n))
    return usage_error("dl ls: -n is 1..1000");
  if (a.has("--after") && !parse_count(a.get("--after"), 0, INT64_MAX / 2, after))
    return usage_error("dl ls: --after is a dead letter id");
  // The node filters (a page holds n matches, not n records of which some match).
  std::string path = "/admin/v1/dead-letters?after=" + std::to_string(after)
                     + "&limit=" + std::to_string(n);
  for (auto [flag, param] : {std::pair{"--reason", "reason"},
                             std::pair{"--receiver-type", "receiver_type"},
                             std::pair{"--receiver", "receiver"}})
    if (a.has(flag))
      path += std::string{"&"} + param + "=" + url_encode(a.get(flag));
  auto r = s.node->get(path);
  if (!r.ok())
    return failed(r);
  json items = json::array();
  table t{{"ID", "AT", "RECEIVER", "TYPE", "REASON", "ATTEMPTS", "REPLAYED", "LAST ERROR"}};
  for (auto& d : r.body.value("items", json::array())) {
    auto to = cell(d["envelope"]["receiver"]);
    s.dead_letter_ids.insert(cell(d["id"]));
    items.push_back(d);
    t.row({cell(d["id"]), at_text(d.value("at_ms", int64_t{0})), to, cell(d["envelope"]["type"]),
           cell(d["reason"]), cell(d["attempts"]), cell(d["replayed"]), cell(d["last_error"])});
  }
  auto text = t.size() == 0 ? std::string{"no dead letters\n"} : t.str(s.style);
  if (!r.body["next"].is_null())
    text += "more: dl ls --after " + cell(r.body["next"]) + "\n";
  return answer({{"items", items}, {"next", r.body["next"]}}, text);
}

outcome dl_show(session& s, const parsed_args& a) {
  auto id = a.positional[0];
  if (!valid_dl_id(id))
    return usage_error("dl show: a dead letter id is a positive number");
  auto r = s.node->get(dl_path(id));
  if (!r.ok())
    return failed(r);
  auto& d = r.body;
  s.dead_letter_ids.insert(id);
  auto text = fields({{"id", cell(d["id"])}, {"at", at_text(d.value("at_ms", int64_t{0}))},
                      {"reason", cell(d["reason"])}, {"where", cell(d["where"])},
                      {"attempts", cell(d["attempts"])}, {"last error", cell(d["last_error"])},
                      {"replayed", cell(d["replayed"])}, {"receiver", cell(d["envelope"]["receiver"])},
                      {"sender", cell(d["envelope"]["sender"])}, {"type", cell(d["envelope"]["type"])},
                      {"correlation", cell(d["envelope"]["correlation_id"])}})
              + bold(s.style, "payload") + "\n"
              + d["envelope"]["payload"].dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return answer(d, text);
}

outcome replay_one(session& s, const parsed_args& a) {
  auto id = a.positional[0];
  if (!valid_dl_id(id))
    return usage_error("dl replay: a dead letter id is a positive number");
  auto d = s.node->get(dl_path(id));
  if (!d.ok())
    return failed(d);
  if (a.has("--dry-run"))
    return answer({{"dry_run", true}, {"matched", 1}, {"items", json::array({d.body})}},
                  "would replay " + dl_row_text(d.body) + "\n");
  outcome o;
  if (!confirmed(s, a, "replay " + dl_row_text(d.body), o))
    return o;
  auto r = s.node->post(dl_path(id) + "/replay" + (a.has("--force") ? "?force=1" : ""), json::object());
  if (!r.ok())
    return failed(r);
  return answer({{"dry_run", false}, {"matched", 1}, {"replayed", 1}, {"failed", 0},
                 {"items", json::array({{{"id", d.body["id"]}, {"replayed", true}}})}},
                "replayed #" + id + "\n");
}

outcome replay_filter(session& s, const parsed_args& a) {
  json filter = json::object();
  if (a.has("--reason"))
    filter["reason"] = a.get("--reason");
  if (a.has("--receiver-type"))
    filter["receiver_type"] = a.get("--receiver-type");
  if (a.has("--receiver"))
    filter["receiver"] = a.get("--receiver");
  if (filter.empty() && !a.has("--all"))
    return usage_error("dl replay: give an id, or a filter (--reason, --receiver-type, --receiver) or --all");
  int64_t max = 100;
  if (a.has("--max") && !parse_count(a.get("--max"), 1, 1000, max))
    return usage_error("dl replay: --max is 1..1000");
  json req = {{"filter", filter}, {"dry_run", true}, {"max", max}};
  auto preview = s.node->post("/admin/v1/dead-letters/replay", req);
  if (!preview.ok())
    return failed(preview);
  std::string text;
  for (auto& i : preview.body.value("items", json::array()))
    text += "  #" + cell(i["id"]) + " to " + cell(i["receiver"]) + " (" + cell(i["type"]) + "), "
            + cell(i["reason"]) + "\n";
  auto matched = preview.body.value("matched", 0);
  auto head = std::to_string(matched) + " dead letter(s) match"
              + (preview.body.value("more", false) ? " (capped at --max " + std::to_string(max) + ")" : "");
  if (a.has("--dry-run") || matched == 0)
    return answer(preview.body, head + (matched ? ", would replay:\n" : "\n") + text);
  if (!s.json_mode)
    text = head + ":\n" + text;
  outcome o;
  if (s.interactive && !a.has("--yes") && !s.assume_yes)
    std::fputs(text.c_str(), stdout);
  if (!confirmed(s, a, "replay these " + std::to_string(matched), o))
    return o;
  req["dry_run"] = false;
  req["max"] = matched;  // no more than what was confirmed
  auto r = s.node->post("/admin/v1/dead-letters/replay", req);
  if (!r.ok())
    return failed(r);
  std::string res;
  for (auto& i : r.body.value("items", json::array()))
    res += "  #" + cell(i["id"]) + " " + (i.value("replayed", false) ? "replayed" : "FAILED: " + cell(i["error"])) + "\n";
  auto out = answer(r.body, "replayed " + cell(r.body["replayed"]) + ", failed " + cell(r.body["failed"]) + "\n" + res);
  if (r.body.value("failed", 0) > 0)
    out.code = exit_failed, out.error = "some dead letters were not replayed";
  return out;
}

outcome dl_replay(session& s, const parsed_args& a) {
  return a.positional.empty() ? replay_filter(s, a) : replay_one(s, a);
}

outcome dl_drop(session& s, const parsed_args& a) {
  auto id = a.positional[0];
  if (!valid_dl_id(id))
    return usage_error("dl drop: a dead letter id is a positive number");
  auto d = s.node->get(dl_path(id));
  if (!d.ok())
    return failed(d);
  outcome o;
  if (!confirmed(s, a, "drop " + dl_row_text(d.body) + " for good", o))
    return o;
  auto r = s.node->del(dl_path(id));
  if (!r.ok())
    return failed(r);
  s.dead_letter_ids.erase(id);
  return answer(r.body, "dropped #" + id + "\n");
}

outcome send(session& s, const parsed_args& a) {
  auto ref = a.positional[0];
  if (!valid_ref(ref))
    return usage_error("send: '" + ref.substr(0, 80) + "' is not a ref type/id");
  auto payload = json::parse(a.positional.size() > 2 ? a.positional[2] : "{}", nullptr, false);
  if (payload.is_discarded() || !payload.is_object())
    return usage_error("send: the payload is a JSON object, e.g. '{\"reason\":\"x\"}'");
  auto slash = ref.find('/');
  auto r = s.node->post("/admin/v1/entities/" + url_encode(ref.substr(0, slash)) + "/"
                          + url_encode(ref.substr(slash + 1)) + "/messages",
                        {{"type", a.positional[1]}, {"payload", payload}});
  if (!r.ok())
    return failed(r);
  s.refs.insert(ref);
  return answer(r.body, "sent; reply " + cell(r.body["reply_type"]) + ":\n"
                          + r.body["reply"].dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

outcome passivate(session& s, const parsed_args& a) {
  auto ref = a.positional[0];
  if (!valid_ref(ref))
    return usage_error("passivate: '" + ref.substr(0, 80) + "' is not a ref type/id");
  auto slash = ref.find('/');
  auto r = s.node->post("/admin/v1/entities/" + url_encode(ref.substr(0, slash)) + "/"
                          + url_encode(ref.substr(slash + 1)) + "/passivate", json::object());
  if (!r.ok())
    return failed(r);
  return answer(r.body, ref + " will snapshot and passivate once idle\n");
}

}  // namespace

void add_ops_commands(std::vector<command>& out) {
  out.push_back({"dl ls", "dl ls [--after ID] [-n N] [--reason R] [--receiver-type T] [--receiver REF]",
                 "dead letters, paged by id, filtered by the node",
                 {{"--after", "-n", "--reason", "--receiver-type", "--receiver"}, {}},
                 0, 0, true, dl_ls});
  out.push_back({"dl show", "dl show ID", "one dead letter with its payload", {}, 1, 1, true, dl_show});
  out.push_back({"dl replay",
                 "dl replay ID [--force] | dl replay --reason R|--receiver-type T|--receiver REF|--all "
                 "[--max N] [--dry-run] [--yes]",
                 "send dead letters again (asks first; a result per item)",
                 {{"--reason", "--receiver-type", "--receiver", "--max"}, {"--force", "--dry-run", "--yes", "--all"}},
                 0, 1, false, dl_replay});
  out.push_back({"dl drop", "dl drop ID [--yes]", "delete a dead letter (asks first)",
                 {{}, {"--yes"}}, 1, 1, false, dl_drop});
  out.push_back({"send", "send REF TYPE [JSON]",
                 "an operator command through the journaled path (no state editing)", {}, 2, 3, false, send});
  out.push_back({"passivate", "passivate REF", "snapshot and passivate an active entity", {}, 1, 1,
                 false, passivate});
  add_watch_command(out);
}

}  // namespace sagaforge::console
