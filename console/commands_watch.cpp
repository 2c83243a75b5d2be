// watch: repeat a read command every --interval, or follow one entity's committed steps
// (watch REF: long polls on /admin/v1/entities/{type}/{id}/watch, the runtime's committed-step
// subscription, so nothing is polled on the node). Ends after --count results, after --for,
// or at Ctrl-C. With --json one document holds every result, so --count or --for is needed.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "console/commands.hpp"

namespace sagaforge::console {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) {
  interrupted = true;
}

/// SIGINT stops the watch, not the console, while it is in scope.
struct interrupt_scope {
  struct sigaction old {};
  interrupt_scope() {
    interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old);
  }
  ~interrupt_scope() { ::sigaction(SIGINT, &old, nullptr); }
};

struct watch_opts {
  int64_t interval_ms = 2000, count = 0, for_ms = 0;
};

/// Leading --interval/--count/--for; the rest is the watched command or ref.
bool parse_watch(const std::vector<std::string>& w, watch_opts& o, size_t& first, std::string& why) {
  for (first = 0; first < w.size(); first += 2) {
    auto& f = w[first];
    if (f != "--interval" && f != "--count" && f != "--for")
      break;
    if (first + 1 >= w.size()) {
      why = f + " needs a value";
      return false;
    }
    auto& v = w[first + 1];
    bool ok = f == "--count" ? parse_count(v, 1, 100000, o.count)
              : f == "--for" ? parse_duration(v, o.for_ms)
                             : parse_duration(v, o.interval_ms) && o.interval_ms >= 200;
    if (!ok) {
      why = f == "--count" ? "--count is 1..100000"
            : f == "--for" ? "--for is a duration like 30s"
                           : "--interval is a duration of at least 200ms";
      return false;
    }
  }
  if (first >= w.size()) {
    why = "watch what? a read command (watch sagas) or a ref (watch order/ORD-1)";
    return false;
  }
  return true;
}

outcome follow(session& s, const std::string& ref, const watch_opts& o) {
  auto slash = ref.find('/');
  auto path = "/admin/v1/entities/" + url_encode(ref.substr(0, slash)) + "/"
              + url_encode(ref.substr(slash + 1)) + "/watch?timeout_ms=";
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds{o.for_ms};
  json items = json::array();
  interrupt_scope guard;
  if (!s.json_mode)
    std::cout << "following " << ref << "'s committed steps; Ctrl-C stops\n" << std::flush;
  while (!interrupted && (o.count == 0 || static_cast<int64_t>(items.size()) < o.count)) {
    int64_t wait = 5000;
    if (o.for_ms > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
      if (left <= 0)
        break;
      wait = std::min<int64_t>(wait, left);
    }
    auto r = s.node->get(path + std::to_string(wait), static_cast<int>(wait / 1000 + 10));
    if (interrupted)
      break;  // Ctrl-C cut the long poll short: not a failure of the node
    if (!r.ok())
      return failed(r);
    if (!r.body.value("changed", false))
      continue;
    json item = {{"at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count()},
                 {"state", r.body["state"]}};
    if (!s.json_mode)
      std::cout << bold(s.style, at_text(item["at_ms"].get<int64_t>())) << " "
                << r.body["state"].dump(-1, ' ', false, json::error_handler_t::replace) << "\n"
                << std::flush;
    items.push_back(std::move(item));
  }
  return answer({{"ref", ref}, {"items", items}}, "");
}

outcome repeat(session& s, const std::vector<std::string>& words, const watch_opts& o) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds{o.for_ms};
  json items = json::array();
  interrupt_scope guard;
  for (int64_t n = 0; !interrupted && (o.count == 0 || n < o.count); ++n) {
    auto res = run_line(s, words);
    if (res.code != exit_ok)
      return res;
    if (s.json_mode)
      items.push_back(res.doc);
    else
      std::cout << bold(s.style, "-- " + at_text(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch()).count())
                                   + "  every " + age_text(o.interval_ms) + ": " + words[0])
                << "\n" << res.text << std::flush;
    if (o.count > 0 && n + 1 >= o.count)
      break;
    for (int64_t slept = 0; slept < o.interval_ms && !interrupted; slept += 100)
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    if (o.for_ms > 0 && std::chrono::steady_clock::now() >= end)
      break;
  }
  return answer({{"items", items}}, "");
}

outcome watch(session& s, const parsed_args& a) {
  watch_opts o;
  size_t first = 0;
  std::string why;
  if (!parse_watch(a.positional, o, first, why))
    return usage_error("watch: " + why);
  if (s.json_mode && o.count == 0 && o.for_ms == 0)
    return usage_error("watch: --json prints one document at the end, so give --count N or --for D");
  std::vector<std::string> rest(a.positional.begin() + static_cast<long>(first), a.positional.end());
  if (rest.size() == 1 && rest[0].find('/') != std::string::npos) {
    if (!valid_ref(rest[0]))
      return usage_error("watch: '" + rest[0].substr(0, 80) + "' is not a ref type/id");
    return follow(s, rest[0], o);
  }
  if (rest[0] == "watch")
    return usage_error("watch: cannot watch a watch");
  for (auto& c : all_commands()) {
    auto sp = c.name.find(' ');
    bool same = sp == std::string::npos
                  ? c.name == rest[0]
                  : rest.size() > 1 && c.name == rest[0] + " " + rest[1];
    if (same && !c.read_only)
      return usage_error("watch: '" + c.name + "' changes things; watch repeats reads only");
  }
  return repeat(s, rest, o);
}

}  // namespace

void add_watch_command(std::vector<command>& out) {
  command c{"watch", "watch [--interval D] [--count N] [--for D] CMD... | watch REF",
            "repeat a read command, or follow an entity's committed steps live", {}, 1, 1000, true,
            watch};
  c.raw = true;
  out.push_back(std::move(c));
}

}  // namespace sagaforge::console
