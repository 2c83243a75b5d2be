// cluster_metrics implementation: a line parser for the few families the benchmark needs
// (no general Prometheus parser: the node's own exposition, one sample a line).
#include "bench/cluster_metrics.hpp"

#include <cstdlib>
#include <sstream>

#include <httplib.h>

namespace sagaforge::bench {

namespace {

/// `name{peer="x"} value` or `name value`: the sample's name, its peer label ("" if none)
/// and value; false for comments and lines that do not parse.
bool parse_sample(const std::string& line, std::string& name, std::string& peer, double& value) {
  if (line.empty() || line[0] == '#')
    return false;
  auto name_end = line.find_first_of("{ ");
  if (name_end == std::string::npos)
    return false;
  name = line.substr(0, name_end);
  peer.clear();
  auto rest = name_end;
  if (line[name_end] == '{') {
    auto close = line.find('}', name_end);
    if (close == std::string::npos)
      return false;
    auto labels = line.substr(name_end + 1, close - name_end - 1);
    auto at = labels.find("peer=\"");
    if (at != std::string::npos) {
      auto start = at + 6;
      auto end = labels.find('"', start);
      if (end == std::string::npos)
        return false;
      peer = labels.substr(start, end - start);
    }
    rest = close + 1;
  }
  const char* begin = line.c_str() + rest;
  char* end = nullptr;
  value = std::strtod(begin, &end);  // also reads "1.5e+06" and "+Inf"
  return end != begin;
}

double sent_delta(const std::map<std::string, double>& before,
                  const std::map<std::string, double>& after, bool& lost) {
  double sum = 0;
  for (auto& [peer, v] : after) {
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
  std::string line, name, peer;
  double v = 0;
  while (std::getline(in, line)) {
    if (!parse_sample(line, name, peer, v))
      continue;
    if (name == "sagaforge_cluster_peer_frames_sent_total")
      c.frames_sent[peer] = v;
    else if (name == "sagaforge_cluster_peer_items_sent_total")
      c.items_sent[peer] = v;
    else if (name == "sagaforge_cluster_peer_bytes_sent_total")
      c.bytes_sent[peer] = v;
    else if (name == "sagaforge_cluster_frames_received_total")
      c.frames_received = v;
    else if (name == "sagaforge_cluster_items_received_total")
      c.items_received = v;
    else if (name == "process_cpu_seconds_total")
      c.cpu_s = v;
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

void plane_delta::add(const plane_counters& before, const plane_counters& after) {
  frames += sent_delta(before.frames_sent, after.frames_sent, series_lost);
  items += sent_delta(before.items_sent, after.items_sent, series_lost);
  bytes += sent_delta(before.bytes_sent, after.bytes_sent, series_lost);
  frames_received += after.frames_received - before.frames_received;
  items_received += after.items_received - before.items_received;
  cpu_s += after.cpu_s - before.cpu_s;
}

void plane_delta::add(const plane_delta& other) {
  frames += other.frames;
  items += other.items;
  bytes += other.bytes;
  frames_received += other.frames_received;
  items_received += other.items_received;
  cpu_s += other.cpu_s;
  series_lost = series_lost || other.series_lost;
}

} // namespace sagaforge::bench
