// Saga commands: sagas (the live list by type, status and age) and saga (one saga's
// timeline: its steps with attempts and errors, and the compensation ledger).
#include <algorithm>

#include "console/cluster_fanout.hpp"
#include "console/commands.hpp"

namespace sagaforge::console {

namespace {

outcome sagas(session& s, const parsed_args& a) {
  std::string q = "?limit=";
  int64_t n = 50;
  if (a.has("-n") && !parse_count(a.get("-n"), 1, 1000, n))
    return usage_error("sagas: -n is 1..1000");
  q += std::to_string(n);
  if (a.has("--type")) {
    auto t = a.get("--type");
    if (t != "fulfillment" && t != "redemption")
      return usage_error("sagas: --type is fulfillment or redemption");
    q += "&type=" + t;
  }
  if (a.has("--status"))
    q += "&status=" + url_encode(a.get("--status"));
  if (a.has("--older-than")) {
    int64_t ms = 0;
    if (!parse_duration(a.get("--older-than"), ms))
      return usage_error("sagas: --older-than is a duration like 30s, 5m, 2h");
    q += "&older_than_ms=" + std::to_string(ms);
  }
  if (a.has("--after"))
    q += "&after=" + url_encode(a.get("--after"));
  gathered g;
  outcome o;
  if (!gather(s, "/admin/v1/sagas" + q, a.has("--local"), g, o))
    return o;
  json next = g.first_body.is_object() ? g.first_body.value("next", json()) : json();
  if (g.clustered) {
    // Each member answered its first n after the cursor, ordered by type/id: the first n of
    // the merge are the cluster's, and the last of them is the next cursor when any member
    // had more.
    auto key = [](const json& i) { return cell(i["saga"]) + "/" + cell(i["id"]); };
    std::stable_sort(g.items.begin(), g.items.end(),
                     [&](const json& x, const json& y) { return key(x) < key(y); });
    bool more = g.items.size() > static_cast<size_t>(n);
    for (auto& b : g.bodies)
      more = more || (b.is_object() && !b.value("next", json()).is_null());
    if (g.items.size() > static_cast<size_t>(n))
      g.items.erase(g.items.begin() + n, g.items.end());
    next = more && !g.items.empty() ? json(key(g.items.back())) : json();
  }
  table t{g.clustered ? std::vector<std::string>{"NODE", "SAGA", "STATUS", "STEP", "STARTED", "FINISHED", "AGE"}
                      : std::vector<std::string>{"SAGA", "STATUS", "STEP", "STARTED", "FINISHED", "AGE"}};
  for (auto& i : g.items) {
    auto ref = cell(i["saga"]) + "/" + cell(i["id"]);
    s.refs.insert(ref);
    auto st = cell(i["status"]);
    auto painted = st == "COMPLETED" ? green(s.style, st)
                   : st.find("COMPENSAT") != std::string::npos ? yellow(s.style, st) : st;
    if (st == "COMPENSATION_FAILED" || st == "FAILED")
      painted = red(s.style, st);
    std::vector<std::string> row{ref, painted, cell(i["step"]),
                                 at_text(i.value("started_ms", int64_t{0})),
                                 at_text(i.value("finished_ms", int64_t{0})),
                                 age_text(i.value("age_ms", int64_t{0}))};
    if (g.clustered)
      row.insert(row.begin(), cell(i["node"]));
    t.row(row);
  }
  auto text = t.str(s.style);
  if (!next.is_null())
    text += "more: sagas --after " + cell(next) + "\n";
  auto doc = gathered_doc(g, g.items);
  doc["next"] = next;
  return answer(doc, text + partial_note(g));
}

std::string fulfillment_text(session& s, const json& st) {
  std::string text = fields({{"status", cell(st["status"])},
                             {"reason", st.value("reason", "").empty() ? "-" : cell(st["reason"])},
                             {"started", at_text(st.value("started_ms", int64_t{0}))},
                             {"finished", at_text(st.value("finished_ms", int64_t{0}))}});
  table steps{{"#", "STEP", "STATUS", "ATTEMPTS", "STARTED", "FINISHED", "LAST ERROR"}};
  int i = 0;
  for (auto& x : st.value("steps", json::array()))
    steps.row({std::to_string(i++), cell(x["name"]), cell(x["status"]),
               cell(x["attempts"]) + (x.value("compensation_attempts", 0) > 0
                                        ? " +" + cell(x["compensation_attempts"]) + " undo" : ""),
               at_text(x.value("started_ms", int64_t{0})), at_text(x.value("finished_ms", int64_t{0})),
               x.value("last_error", "").empty() ? "-" : cell(x["last_error"])});
  text += bold(s.style, "timeline") + "\n" + steps.str(s.style);
  table ledger{{"AT", "KIND", "STEP", "DETAIL"}};
  for (auto& x : st.value("ledger", json::array()))
    ledger.row({at_text(x.value("at_ms", int64_t{0})), cell(x["kind"]), cell(x["step"]), cell(x["detail"])});
  text += bold(s.style, "compensation ledger") + "\n"
          + (ledger.size() == 0 ? std::string{"(empty)\n"} : ledger.str(s.style));
  return text;
}

std::string redemption_text(session& s, const json& st) {
  std::string text = fields({{"status", cell(st["status"])},
                             {"reason", st.value("reason", "").empty() ? "-" : cell(st["reason"])},
                             {"started", at_text(st.value("started_at_ms", int64_t{0}))},
                             {"finished", at_text(st.value("finished_at_ms", int64_t{0}))}});
  table branches{{"BRANCH", "OUTCOME", "SENT", "RESOLVED", "DETAIL"}};
  for (auto* b : {"validation", "points", "inventory"})
    if (st.contains(b) && st[b].is_object())
      branches.row({b, cell(st[b]["outcome"]), at_text(st[b].value("sent_at_ms", int64_t{0})),
                    at_text(st[b].value("resolved_at_ms", int64_t{0})), cell(st[b]["detail"])});
  text += bold(s.style, "timeline") + "\n" + branches.str(s.style);
  text += bold(s.style, "compensation ledger") + "\n";
  auto comp = st.value("compensations", json::array());
  if (comp.empty())
    text += "(empty)\n";
  for (auto& c : comp)
    text += "  " + c.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return text;
}

outcome saga(session& s, const parsed_args& a) {
  auto id = a.positional[0];
  auto type = a.get("--type", "fulfillment");
  if (auto slash = id.find('/'); slash != std::string::npos) {  // "redemption/RDM-1"
    type = id.substr(0, slash);
    id = id.substr(slash + 1);
  }
  if (type != "fulfillment" && type != "redemption")
    return usage_error("saga: the type is fulfillment or redemption");
  if (id.empty() || id.size() > 128)
    return usage_error("saga: an id is 1..128 characters");
  auto r = s.node->get("/v1/sagas/" + url_encode(id) + "?type=" + type);
  if (!r.ok())
    return failed(r);
  auto st = r.body.value("state", json::object());
  s.refs.insert(type + "/" + id);
  auto text = bold(s.style, type + "/" + id) + "\n"
              + (type == "fulfillment" ? fulfillment_text(s, st) : redemption_text(s, st));
  return answer(r.body, text);
}

}  // namespace

void add_saga_commands(std::vector<command>& out) {
  out.push_back({"sagas", "sagas [--type T] [--status S] [--older-than D] [--after C] [-n N] [--local]",
                 "sagas by type, status and age",
                 {{"--type", "--status", "--older-than", "--after", "-n"}, {"--local"}},
                 0, 0, true, sagas});
  out.push_back({"saga", "saga ID|TYPE/ID [--type fulfillment|redemption]",
                 "one saga's timeline and compensation ledger", {{"--type"}, {}}, 1, 1, true, saga});
}

}  // namespace sagaforge::console
