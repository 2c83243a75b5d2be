// cluster_metrics implementation: a line parser for the few families the benchmark needs
// (no general Prometheus parser: the node's own exposition, one sample a line).
#include "bench/cluster_metrics.hpp"

#include <cstdlib>
#include <sstream>

#include <httplib.h>

namespace sagaforge::bench {

namespace {

/// The value of label `key` in `labels` (`a="x",b="y"`), "" if absent.
std::string label(const std::string& labels, const std::string& key) {
  auto at = labels.find(key + "=\"");
  if (at == std::string::npos || (at > 0 && labels[at - 1] != ','))
    return {};
  auto start = at + key.size() + 2;
  auto end = labels.find('"', start);
  return end == std::string::npos ? std::string{} : labels.substr(start, end - start);
}

struct sample_line {
  std::string name, peer, saga;  // labels "" when absent
  double value = 0;
};

/// `name{labels} value` or `name value`; false for comments and lines that do not parse.
bool parse_sample(const std::string& line, sample_line& out) {
  if (line.empty() || line[0] == '#')
    return false;
  auto name_end = line.find_first_of("{ ");
  if (name_end == std::string::npos)
    return false;
  out.name = line.substr(0, name_end);
  out.peer.clear();
  out.saga.clear();
  auto rest = name_end;
  if (line[name_end] == '{') {
    auto close = line.find('}', name_end);
    if (close == std::string::npos)
      return false;
    auto labels = line.substr(name_end + 1, close - name_end - 1);
    out.peer = label(labels, "peer");
    out.saga = label(labels, "saga");
    rest = close + 1;
  }
  const char* begin = line.c_str() + rest;
  char* end = nullptr;
  out.value = std::strtod(begin, &end);  // also reads "1.5e+06" and "+Inf"
  return end != begin;
}

/// after - before summed over the peers (those `only` names, when given).
double sent_delta(const std::map<std::string, double>& before,
                  const std::map<std::string, double>& after, bool& lost,
                  const std::set<std::string>* only = nullptr) {
  double sum = 0;
  for (auto& [peer, v] : after) {
    if (only != nullptr && only->count(peer) == 0)
      continue;
    auto b = before.find(peer);
    double d = v - (b == before.end() ? 0.0 : b->second);
    if (d < 0)
      lost = true;  // the link's counters restarted: this window's share is unknown
    else
      sum += d;
  }
  for (auto& [peer, v] : before)
    if (after.count(peer) == 0 && v > 0)
      lost = true;
  return sum;
}

} // namespace

plane_counters parse_plane_metrics(const std::string& text) {
  plane_counters c;
  std::istringstream in{text};
  std::string line;
  sample_line x;
  while (std::getline(in, line)) {
    if (!parse_sample(line, x))
      continue;
    if (x.name == "sagaforge_cluster_peer_frames_sent_total")
      c.frames_sent[x.peer] = x.value;
    else if (x.name == "sagaforge_cluster_peer_items_sent_total")
      c.items_sent[x.peer] = x.value;
    else if (x.name == "sagaforge_cluster_peer_bytes_sent_total")
      c.bytes_sent[x.peer] = x.value;
    else if (x.name == "sagaforge_cluster_frames_received_total")
      c.frames_received = x.value;
    else if (x.name == "sagaforge_cluster_items_received_total")
      c.items_received = x.value;
    else if (x.name == "process_cpu_seconds_total")
      c.cpu_s = x.value;
    else if (x.name == "sagaforge_saga_duration_seconds_sum")
      c.saga_seconds[x.saga] = x.value;
    else if (x.name == "sagaforge_saga_duration_seconds_count")
      c.sagas_timed[x.saga] = x.value;
  }
  return c;
}

std::optional<plane_counters> scrape_plane(uint16_t port) {
  httplib::Client cli{"127.0.0.1", port};
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(2, 0);
  auto res = cli.Get("/metrics");
  if (!res || res->status != 200)
    return std::nullopt;
  return parse_plane_metrics(res->body);
}

void plane_delta::add(const plane_counters& before, const plane_counters& after,
                      const std::set<std::string>& members) {
  frames += sent_delta(before.frames_sent, after.frames_sent, series_lost);
  items += sent_delta(before.items_sent, after.items_sent, series_lost);
  bytes += sent_delta(before.bytes_sent, after.bytes_sent, series_lost);
  frames_to_members += sent_delta(before.frames_sent, after.frames_sent, series_lost, &members);
  items_to_members += sent_delta(before.items_sent, after.items_sent, series_lost, &members);
  frames_received += after.frames_received - before.frames_received;
  items_received += after.items_received - before.items_received;
  cpu_s += after.cpu_s - before.cpu_s;
  for (auto& [saga, v] : after.saga_seconds) {
    auto b = before.saga_seconds.find(saga);
    saga_seconds[saga] += v - (b == before.saga_seconds.end() ? 0.0 : b->second);
  }
  for (auto& [saga, v] : after.sagas_timed) {
    auto b = before.sagas_timed.find(saga);
    sagas_timed[saga] += v - (b == before.sagas_timed.end() ? 0.0 : b->second);
  }
}

} // namespace sagaforge::bench
