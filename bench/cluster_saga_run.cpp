// cluster_saga_run implementation. The client's stdout is read line by line as it is printed;
// each phase's header line and result line trigger a scrape of every node's /metrics, so the
// traffic counted is the phase's (its restock or seeding, its sagas, their settling). At the
// end the members are read while the client is held still (SIGSTOP): after its last line it
// exits at once, and a member forgets a peer's counters once the peer has left.
#include "bench/cluster_saga_run.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <vector>

#include "bench/demo_lines.hpp"
#include "bench/local_cluster.hpp"
#include "bench/proc_stats.hpp"
#include "bench/report.hpp"

namespace sagaforge::bench {

namespace {

using clock_type = std::chrono::steady_clock;

struct sample {
  std::vector<std::optional<plane_counters>> members;
  std::optional<plane_counters> client;
  clock_type::time_point at;
};

std::vector<std::optional<plane_counters>> scrape_members(const std::vector<uint16_t>& ports) {
  std::vector<std::optional<plane_counters>> out;
  for (auto p : ports)
    out.push_back(scrape_plane(p));
  return out;
}

/// The client's counters during an open phase: read every 250 ms, because at the end of the
/// last phase the client prints its result and exits at once, often before it can be read.
struct client_reading {
  std::optional<plane_counters> last;
  clock_type::time_point at;     // of `last`
  clock_type::time_point tried;  // the last attempt

  void refresh(uint16_t port) {
    auto now = clock_type::now();
    if (port == 0 || now - tried < std::chrono::milliseconds{250})
      return;
    tried = now;
    if (auto c = scrape_plane(port)) {
      last = std::move(c);
      at = now;
    }
  }
};

/// The client, busy from here on (restocking, seeding), is read first and then held still
/// while the members are read, so that both readings see the same frames.
sample phase_start(client_process& client, const std::vector<uint16_t>& member_ports,
                   uint16_t client_port, client_reading& reading) {
  sample s;
  if (client_port != 0)
    s.client = scrape_plane(client_port);
  client.pause();
  s.at = clock_type::now();
  s.members = scrape_members(member_ports);
  client.resume();
  reading = client_reading{s.client, s.at, s.at};
  return s;
}

/// The client is held still (SIGSTOP) while the members are read, so it cannot leave the
/// cluster in between (its link's counters would vanish from the members' metrics).
sample phase_end(client_process& client, const std::vector<uint16_t>& member_ports,
                 uint16_t client_port, const client_reading& reading, phase_figures& ph) {
  sample s;
  client.pause();
  s.at = clock_type::now();
  s.members = scrape_members(member_ports);
  client.resume();
  if (client_port != 0)
    s.client = scrape_plane(client_port);
  if (!s.client && reading.last) {
    s.client = reading.last;
    ph.client_lag_s = std::chrono::duration<double>(s.at - reading.at).count();
  }
  return s;
}

void close_window(phase_figures& ph, const sample& before, const sample& after,
                  const std::set<std::string>& member_ids) {
  ph.window_s = std::chrono::duration<double>(after.at - before.at).count();
  ph.members_ok = true;
  for (size_t i = 0; i < before.members.size(); ++i) {
    if (before.members[i] && after.members[i])
      ph.members.add(*before.members[i], *after.members[i], member_ids);
    else
      ph.members_ok = false;
  }
  ph.client_read = before.client && after.client;
  if (ph.client_read)
    ph.client.add(*before.client, *after.client, member_ids);
}

/// The phase's rate from its count and seconds (the demo prints the rate rounded to 1/s).
void set_rate(phase_figures& ph, double printed) {
  ph.per_s = ph.seconds > 0 ? static_cast<double>(ph.done) / ph.seconds : printed;
}

std::vector<std::string> client_args(const cluster_saga_options& o) {
  bool orders = o.mode != "redemption", redemptions = o.mode != "order";
  return {"--node.demo",
          // The counter phase cannot be switched off; 1 counter and 0 commands make it a
          // single inspection.
          "--node.demo-entities=1", "--node.demo-commands=0",
          "--node.demo-orders=" + std::to_string(orders ? o.orders : 0),
          "--node.demo-redemptions=" + std::to_string(redemptions ? o.redemptions : 0),
          "--node.demo-timeout-s=" + std::to_string(o.timeout_s)};
}

/// Reads the client's output to its end, scraping at the phase lines. False with `error`
/// set when interrupted or past the deadline (the client is then stopped).
bool follow_client(client_process& client, const std::vector<uint16_t>& member_ports,
                   int members, clock_type::time_point deadline, config_figures& f) {
  std::set<std::string> member_ids;  // cluster/local names its members n1 ... nN
  for (int k = 1; k <= members; ++k)
    member_ids.insert("n" + std::to_string(k));
  uint16_t client_port = 0;
  sample order_before, redemption_before;
  client_reading reading;
  bool in_phase = false;
  std::string line;
  bool eof = false;
  while (!eof) {
    if (interrupted() || clock_type::now() > deadline) {
      f.error = interrupted() ? "interrupted" : "the client did not finish by the deadline";
      client.terminate();
      return false;
    }
    if (in_phase)
      reading.refresh(client_port);
    if (!client.read_line(line, 200, eof))
      continue;
    std::fprintf(stderr, "  [%d member%s, c1] %s\n", members, members == 1 ? "" : "s",
                 line.c_str());
    auto d = parse_demo_line(line);
    switch (d.kind) {
    case demo_line_kind::http_port:
      client_port = d.port;
      break;
    case demo_line_kind::order_phase:
      f.orders.ran = in_phase = true;
      order_before = phase_start(client, member_ports, client_port, reading);
      break;
    case demo_line_kind::order_counts:
      f.orders.done = d.count;
      f.orders.seconds = d.seconds;
      f.orders.rejected = d.rejected;
      f.orders.unsettled = d.unsettled;
      break;
    case demo_line_kind::order_rates:
      close_window(f.orders, order_before,
                   phase_end(client, member_ports, client_port, reading, f.orders), member_ids);
      f.orders.finished = true;
      in_phase = false;
      f.orders.p50_ms = d.p50_ms;
      f.orders.p99_ms = d.p99_ms;
      set_rate(f.orders, d.per_s);
      break;
    case demo_line_kind::redemption_phase:
      f.redemptions.ran = in_phase = true;
      redemption_before = phase_start(client, member_ports, client_port, reading);
      break;
    case demo_line_kind::redemption_counts:
      f.redemptions.rejected = d.rejected;
      f.redemptions.unsettled = d.unsettled;
      f.redemptions.done = d.count - d.rejected - d.unsettled;
      break;
    case demo_line_kind::redemption_rates:
      close_window(f.redemptions, redemption_before,
                   phase_end(client, member_ports, client_port, reading, f.redemptions),
                   member_ids);
      f.redemptions.finished = true;
      in_phase = false;
      f.redemptions.seconds = d.seconds;
      f.redemptions.p50_ms = d.p50_ms;
      f.redemptions.p99_ms = d.p99_ms;
      set_rate(f.redemptions, d.per_s);
      break;
    case demo_line_kind::other:
      break;
    }
  }
  return true;
}

} // namespace

double phase_figures::sagas_timed() const {
  auto n = members.sagas_timed.find(saga_type);
  return n == members.sagas_timed.end() ? 0.0 : n->second;
}

double phase_figures::saga_mean_ms() const {
  auto n = sagas_timed();
  auto sum = members.saga_seconds.find(saga_type);
  if (!members_ok || n <= 0 || sum == members.saga_seconds.end())
    return std::numeric_limits<double>::quiet_NaN();
  return sum->second / n * 1000.0;
}

plane_totals phase_figures::total() const {
  constexpr double unknown = std::numeric_limits<double>::quiet_NaN();
  plane_totals t;
  if (!members_ok || members.series_lost)
    return plane_totals{unknown, unknown, unknown, unknown, false};
  t.frames = members.frames + client_frames();
  t.items = members.items + client_items();
  t.cpu_s = members.cpu_s + (client_read ? client.cpu_s : 0);
  double client_bytes = unknown;
  if (client_items() <= 0)
    client_bytes = 0;
  else if (client_read && client_lag_s == 0)
    client_bytes = client.bytes;
  else if (client_read && client.items > 0) {
    // Read before its last items went out: its own bytes per item, over all it sent.
    client_bytes = client.bytes / client.items * client_items();
    t.bytes_estimated = true;
  }
  t.bytes = members.bytes + client_bytes;
  return t;
}

config_figures run_configuration(const cluster_saga_options& o, int members, int64_t port_base,
                                 int64_t etcd_port) {
  config_figures f;
  f.members = members;
  f.orders.saga_type = "fulfillment";
  f.redemptions.saga_type = "redemption";
  f.loadavg_before = load_average_1m();
  try {
    local_cluster_options lo;
    lo.script = o.script;
    lo.node_bin = o.node_bin;
    lo.node_args = "--sagaforge.store.durability=" + o.durability
                   + (o.node_args.empty() ? "" : " " + o.node_args);
    // Its own cluster name too: a node of the other configuration could never join it.
    lo.cluster_name = "bench" + std::to_string(::getpid()) + "m" + std::to_string(members);
    lo.members = members;
    lo.port_base = port_base;
    lo.etcd_port = etcd_port;
    lo.shards = o.shards;
    lo.keep_folder = o.keep_data;
    local_cluster cluster{lo};
    progress("%d member%s: cluster/local up %d in %s (HTTP ports %lld.., etcd %lld, load %.2f)",
             members, members == 1 ? "" : "s", members, cluster.folder().c_str(),
             static_cast<long long>(9471 + port_base), static_cast<long long>(etcd_port),
             f.loadavg_before);
    auto t0 = clock_type::now();
    if (!cluster.up()) {
      f.error = "cluster/local up " + std::to_string(members) + " failed (its output is above)";
      return f;  // the destructor runs `down` on whatever it started
    }
    f.up_s = std::chrono::duration<double>(clock_type::now() - t0).count();
    if (interrupted()) {
      f.error = "interrupted";
      return f;
    }
    progress("%d member%s up in %.1f s; client c1 runs the demo", members,
             members == 1 ? "" : "s", f.up_s);
    auto phases = (o.mode == "both" ? 2 : 1);
    auto deadline = clock_type::now() + std::chrono::seconds{phases * (3 * o.timeout_s + 60)};
    auto client = cluster.start_client("c1", client_args(o));
    bool followed = follow_client(client, cluster.member_http_ports(), members, deadline, f);
    f.client_exit = client.wait();
    if (followed && f.client_exit != 0)
      f.error = "the demo exited " + std::to_string(f.client_exit)
                + " (unfinished sagas or an invariant violated: its output is above)";
    // A cross-check on stderr: the client's frames as it counted them (when it could be
    // read at the end) and as the members received them.
    for (auto* ph : {&f.orders, &f.redemptions})
      if (ph->finished)
        progress("%s: %.0f %s sagas timed by the members; frames sent by the members %.0f, "
                 "by the client %.0f (its own count: %s)",
                 ph == &f.orders ? "orders" : "redemptions", ph->sagas_timed(),
                 ph->saga_type.c_str(), ph->members.frames,
                 ph->client_frames(),
                 ph->client_read ? (std::to_string(static_cast<long long>(ph->client.frames))
                                    + (ph->client_lag_s > 0 ? ", read early" : ""))
                                     .c_str()
                                 : "not read");
    progress("%d member%s: cluster/local down", members, members == 1 ? "" : "s");
    cluster.down();
  } catch (const std::exception& e) {
    f.error = e.what();
  }
  for (auto* ph : {&f.orders, &f.redemptions})
    if (f.error.empty() && ph->ran && !ph->finished)
      f.error = "a demo phase printed no figures (has the demo's output format changed?)";
  return f;
}

} // namespace sagaforge::bench
