// Cross-entity views: stuck, timers, trace, top, metrics. The node does the walking
// (/admin/v1/stuck, /timers, /trace, /top); the console renders, and in a cluster gathers
// the lists from every member (cluster_fanout.hpp; --local asks only the node it talks to).
#include <algorithm>
#include <regex>

#include "console/cluster_fanout.hpp"
#include "console/commands.hpp"

namespace sagaforge::console {

namespace {

/// A row with the answering member first when the list was gathered across members.
std::vector<std::string> member_row(const gathered& g, const json& item,
                                    std::vector<std::string> cells) {
  if (g.clustered)
    cells.insert(cells.begin(), cell(item["node"]));
  return cells;
}

std::vector<std::string> member_header(const gathered& g, std::vector<std::string> cols) {
  if (g.clustered)
    cols.insert(cols.begin(), "NODE");
  return cols;
}

/// Sorts gathered items by `key` (ascending, or descending), ties by node: each member's
/// list comes sorted, the merge must be too.
void sort_items(json& items, const std::string& key, bool descending) {
  std::stable_sort(items.begin(), items.end(), [&](const json& a, const json& b) {
    auto x = a.value(key, int64_t{0}), y = b.value(key, int64_t{0});
    if (x != y)
      return descending ? x > y : x < y;
    return a.value("node", "") < b.value("node", "");
  });
}

outcome stuck(session& s, const parsed_args& a) {
  int64_t older = 60000;
  if (a.has("--older-than") && !parse_duration(a.get("--older-than"), older))
    return usage_error("stuck: --older-than is a duration like 30s, 5m, 2h");
  gathered g;
  outcome o;
  if (!gather(s, "/admin/v1/stuck?older_than_ms=" + std::to_string(older), a.has("--local"), g, o))
    return o;
  if (g.clustered)
    sort_items(g.items, "age_ms", true);
  table t{member_header(g, {"KIND", "REF", "AGE", "REASON"})};
  for (auto& i : g.items) {
    s.refs.insert(cell(i["ref"]));
    t.row(member_row(g, i, {cell(i["kind"]), cell(i["ref"]),
                            age_text(i.value("age_ms", int64_t{0})), cell(i["reason"])}));
  }
  auto text = t.size() == 0 ? "nothing stuck for " + age_text(older) + " or more\n" : t.str(s.style);
  return answer(gathered_doc(g, g.items), text + partial_note(g));
}

outcome timers(session& s, const parsed_args& a) {
  std::string q;
  if (a.has("--overdue") && a.has("--due-within"))
    return usage_error("timers: --overdue or --due-within, not both");
  if (a.has("--overdue"))
    q = "?overdue=1";
  if (a.has("--due-within")) {
    int64_t ms = 0;
    if (!parse_duration(a.get("--due-within"), ms))
      return usage_error("timers: --due-within is a duration like 30s, 5m, 2h");
    q = "?due_within_ms=" + std::to_string(ms);
  }
  gathered g;
  outcome o;
  if (!gather(s, "/admin/v1/timers" + q, a.has("--local"), g, o))
    return o;
  if (g.clustered)
    sort_items(g.items, "due_ms", false);
  table t{member_header(g, {"DUE", "IN", "REF", "TIMER", "TYPE"})};
  for (auto& i : g.items) {
    auto in = i.value("in_ms", int64_t{0});
    s.refs.insert(cell(i["ref"]));
    t.row(member_row(g, i, {at_text(i.value("due_ms", int64_t{0})),
                            in < 0 ? yellow(s.style, "overdue " + age_text(-in)) : age_text(in),
                            cell(i["ref"]), cell(i["name"]), cell(i["type"])}));
  }
  return answer(gathered_doc(g, g.items), (t.size() == 0 ? "no timers\n" : t.str(s.style))
                                              + partial_note(g));
}

outcome trace(session& s, const parsed_args& a) {
  auto corr = a.positional[0];
  if (corr.empty() || corr.size() > 200)
    return usage_error("trace: a correlation id is 1..200 characters");
  gathered g;
  outcome o;
  if (!gather(s, "/admin/v1/trace/" + url_encode(corr), a.has("--local"), g, o))
    return o;
  // Across members the steps are ordered by their commit times: the members' wall clocks
  // (docs/console.md says what clock skew does to it).
  if (g.clustered)
    sort_items(g.items, "at_ms", false);
  table t{member_header(g, {"AT", "REF", "LOG SEQ", "FROM", "EVENTS", "SENDS"})};
  for (auto& i : g.items) {
    std::string sends;
    for (auto& e : i.value("sends", json::array()))
      sends += (sends.empty() ? "" : ", ") + cell(e["receiver"]);
    std::string events;
    for (auto& e : i.value("events", json::array()))
      events += (events.empty() ? "" : ", ")
                + (e.is_object() && !e.empty() ? e.begin().key() : cell(e));
    s.refs.insert(cell(i["ref"]));
    t.row(member_row(g, i, {time_text(i.value("at_ms", int64_t{0})), cell(i["ref"]),
                            cell(i["log_seq"]), cell(i["inbound"]), events, sends}));
  }
  auto& items = g.items;
  auto text = t.size() == 0 ? "no step carries correlation id " + corr + "\n"
                            : "correlation " + corr + ", " + std::to_string(items.size()) + " steps from "
                                + at_text(items.front().value("at_ms", int64_t{0})) + "\n" + t.str(s.style);
  bool truncated = false;
  int64_t scanned = 0;
  for (auto& b : g.bodies) {
    truncated = truncated || b.value("truncated", false);
    scanned += b.value("records_scanned", int64_t{0});
  }
  if (truncated)
    text += "(stopped after " + std::to_string(scanned) + " log records)\n";
  auto doc = gathered_doc(g, items);
  doc["truncated"] = truncated;
  doc["records_scanned"] = scanned;
  return answer(doc, text + partial_note(g));
}

outcome top(session& s, const parsed_args& a) {
  auto by = a.get("--by", "steps");
  if (by != "steps" && by != "outbox")
    return usage_error("top: --by is steps or outbox");
  int64_t n = 20;
  if (a.has("-n") && !parse_count(a.get("-n"), 1, 1000, n))
    return usage_error("top: -n is 1..1000");
  gathered g;
  outcome o;
  if (!gather(s, "/admin/v1/top?by=" + by + "&limit=" + std::to_string(n), a.has("--local"), g, o))
    return o;
  if (g.clustered) {
    sort_items(g.items, by == "steps" ? "log_records" : "outbox_size", true);
    if (g.items.size() > static_cast<size_t>(n))
      g.items.erase(g.items.begin() + n, g.items.end());
  }
  table t = by == "steps" ? table{member_header(g, {"REF", "LOG RECORDS", "ACTIVE", "LAST ACTIVE"})}
                          : table{member_header(g, {"REF", "OUTBOX", "PARKED", "OLDEST UNACKED"})};
  for (auto& i : g.items) {
    s.refs.insert(cell(i["ref"]));
    if (by == "steps")
      t.row(member_row(g, i, {cell(i["ref"]), cell(i["log_records"]), cell(i["active"]),
                              at_text(i.value("last_active_ms", int64_t{0}))}));
    else
      t.row(member_row(g, i, {cell(i["ref"]), cell(i["outbox_size"]), cell(i["parked"]),
                              at_text(i.value("oldest_unacked_ms", int64_t{0}))}));
  }
  return answer(gathered_doc(g, g.items), t.str(s.style) + partial_note(g));
}

/// One exposition line "name{labels} value" as JSON; false for comments and blanks.
bool sample_of(const std::string& line, json& out) {
  if (line.empty() || line[0] == '#')
    return false;
  auto sp = line.rfind(' ');
  if (sp == std::string::npos)
    return false;
  auto key = line.substr(0, sp);
  auto brace = key.find('{');
  json labels = json::object();
  if (brace != std::string::npos) {
    static const std::regex pair{R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re"};
    auto body = key.substr(brace);
    for (std::sregex_iterator i{body.begin(), body.end(), pair}, end; i != end; ++i)
      labels[(*i)[1].str()] = (*i)[2].str();
  }
  char* end = nullptr;
  auto text = line.substr(sp + 1);
  double v = std::strtod(text.c_str(), &end);
  out = {{"name", key.substr(0, brace)}, {"labels", labels}, {"value", v}};
  return true;
}

outcome metrics(session& s, const parsed_args& a) {
  std::regex filter;
  bool filtered = !a.positional.empty();
  if (filtered) {
    try {
      filter = std::regex{a.positional[0]};
    } catch (const std::regex_error& e) {
      return usage_error("metrics: '" + a.positional[0].substr(0, 80) + "' is not a regex: " + e.what());
    }
  }
  auto r = s.node->get("/metrics");
  if (!r.ok())
    return failed(r);
  json samples = json::array();
  std::string text;
  size_t start = 0;
  while (start < r.text.size()) {
    auto nl = r.text.find('\n', start);
    auto line = r.text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? r.text.size() : nl + 1;
    json smp;
    if (!sample_of(line, smp) || (filtered && !std::regex_search(line, filter)))
      continue;
    samples.push_back(smp);
    text += line + "\n";
  }
  if (text.empty())
    text = "no sample matches\n";
  return answer({{"samples", samples}}, text);
}

}  // namespace

void add_view_commands(std::vector<command>& out) {
  out.push_back({"stuck", "stuck [--older-than D] [--local]",
                 "everything not making progress, each with a reason (default: 1m)",
                 {{"--older-than"}, {"--local"}}, 0, 0, true, stuck});
  out.push_back({"timers", "timers [--overdue | --due-within D] [--local]",
                 "pending timers across entities",
                 {{"--due-within"}, {"--overdue", "--local"}}, 0, 0, true, timers});
  out.push_back({"trace", "trace CORRELATION-ID [--local]",
                 "every step of one business transaction across entities, oldest first",
                 {{}, {"--local"}}, 1, 1, true, trace});
  out.push_back({"top", "top [--by steps|outbox] [-n N] [--local]", "the busiest entities",
                 {{"--by", "-n"}, {"--local"}}, 0, 0, true, top});
  out.push_back({"metrics", "metrics [REGEX]", "the node's /metrics samples, filtered by REGEX",
                 {}, 0, 1, true, metrics});
}

}  // namespace sagaforge::console
