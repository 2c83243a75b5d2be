// Cross-entity views: stuck, timers, trace, top, metrics. The node does the walking
// (/admin/v1/stuck, /timers, /trace, /top); the console only renders.
#include <regex>

#include "console/commands.hpp"

namespace sagaforge::console {

namespace {

outcome stuck(session& s, const parsed_args& a) {
  int64_t older = 60000;
  if (a.has("--older-than") && !parse_duration(a.get("--older-than"), older))
    return usage_error("stuck: --older-than is a duration like 30s, 5m, 2h");
  auto r = s.node->get("/admin/v1/stuck?older_than_ms=" + std::to_string(older));
  if (!r.ok())
    return failed(r);
  table t{{"KIND", "REF", "AGE", "REASON"}};
  for (auto& i : r.body.value("items", json::array())) {
    s.refs.insert(cell(i["ref"]));
    t.row({cell(i["kind"]), cell(i["ref"]), age_text(i.value("age_ms", int64_t{0})), cell(i["reason"])});
  }
  auto text = t.size() == 0 ? "nothing stuck for " + age_text(older) + " or more\n" : t.str(s.style);
  return answer(r.body, text);
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
  auto r = s.node->get("/admin/v1/timers" + q);
  if (!r.ok())
    return failed(r);
  table t{{"DUE", "IN", "REF", "TIMER", "TYPE"}};
  for (auto& i : r.body.value("items", json::array())) {
    auto in = i.value("in_ms", int64_t{0});
    s.refs.insert(cell(i["ref"]));
    t.row({at_text(i.value("due_ms", int64_t{0})),
           in < 0 ? yellow(s.style, "overdue " + age_text(-in)) : age_text(in), cell(i["ref"]),
           cell(i["name"]), cell(i["type"])});
  }
  return answer(r.body, t.size() == 0 ? "no timers\n" : t.str(s.style));
}

outcome trace(session& s, const parsed_args& a) {
  auto corr = a.positional[0];
  if (corr.empty() || corr.size() > 200)
    return usage_error("trace: a correlation id is 1..200 characters");
  auto r = s.node->get("/admin/v1/trace/" + url_encode(corr));
  if (!r.ok())
    return failed(r);
  table t{{"AT", "REF", "LOG SEQ", "FROM", "EVENTS", "SENDS"}};
  for (auto& i : r.body.value("items", json::array())) {
    std::string sends;
    for (auto& e : i.value("sends", json::array()))
      sends += (sends.empty() ? "" : ", ") + cell(e["receiver"]);
    std::string events;
    for (auto& e : i.value("events", json::array()))
      events += (events.empty() ? "" : ", ")
                + (e.is_object() && !e.empty() ? e.begin().key() : cell(e));
    s.refs.insert(cell(i["ref"]));
    t.row({time_text(i.value("at_ms", int64_t{0})), cell(i["ref"]), cell(i["log_seq"]),
           cell(i["inbound"]), events, sends});
  }
  auto items = r.body.value("items", json::array());
  auto text = t.size() == 0 ? "no step carries correlation id " + corr + "\n"
                            : "correlation " + corr + ", " + std::to_string(items.size()) + " steps from "
                                + at_text(items.front().value("at_ms", int64_t{0})) + "\n" + t.str(s.style);
  if (r.body.value("truncated", false))
    text += "(stopped after " + cell(r.body["records_scanned"]) + " log records)\n";
  return answer(r.body, text);
}

outcome top(session& s, const parsed_args& a) {
  auto by = a.get("--by", "steps");
  if (by != "steps" && by != "outbox")
    return usage_error("top: --by is steps or outbox");
  int64_t n = 20;
  if (a.has("-n") && !parse_count(a.get("-n"), 1, 1000, n))
    return usage_error("top: -n is 1..1000");
  auto r = s.node->get("/admin/v1/top?by=" + by + "&limit=" + std::to_string(n));
  if (!r.ok())
    return failed(r);
  table t = by == "steps" ? table{{"REF", "LOG RECORDS", "ACTIVE", "LAST ACTIVE"}}
                          : table{{"REF", "OUTBOX", "PARKED", "OLDEST UNACKED"}};
  for (auto& i : r.body.value("items", json::array())) {
    s.refs.insert(cell(i["ref"]));
    if (by == "steps")
      t.row({cell(i["ref"]), cell(i["log_records"]), cell(i["active"]),
             at_text(i.value("last_active_ms", int64_t{0}))});
    else
      t.row({cell(i["ref"]), cell(i["outbox_size"]), cell(i["parked"]),
             at_text(i.value("oldest_unacked_ms", int64_t{0}))});
  }
  return answer(r.body, t.str(s.style));
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
  out.push_back({"stuck", "stuck [--older-than D]",
                 "everything not making progress, each with a reason (default: 1m)",
                 {{"--older-than"}, {}}, 0, 0, true, stuck});
  out.push_back({"timers", "timers [--overdue | --due-within D]", "pending timers across entities",
                 {{"--due-within"}, {"--overdue"}}, 0, 0, true, timers});
  out.push_back({"trace", "trace CORRELATION-ID",
                 "every step of one business transaction across entities, oldest first",
                 {}, 1, 1, true, trace});
  out.push_back({"top", "top [--by steps|outbox] [-n N]", "the busiest entities",
                 {{"--by", "-n"}, {}}, 0, 0, true, top});
  out.push_back({"metrics", "metrics [REGEX]", "the node's /metrics samples, filtered by REGEX",
                 {}, 0, 1, true, metrics});
}

}  // namespace sagaforge::console
