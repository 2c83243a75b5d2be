// Runtime metric families (see runtime_collector.hpp).
#include "http/runtime_collector.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "http/live_views.hpp"

namespace sagaforge::http {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using labels = std::vector<ClientMetric::Label>;

MetricFamily& family(std::vector<MetricFamily>& out, const std::string& name,
                     const std::string& help, MetricType type) {
  out.push_back(MetricFamily{"sagaforge_" + name, help, type, {}});
  return out.back();
}

void add(MetricFamily& f, double v, labels l = {}) {
  ClientMetric m;
  m.label = std::move(l);
  if (f.type == MetricType::Counter)
    m.counter.value = v;
  else
    m.gauge.value = v;
  f.metric.push_back(std::move(m));
}

void one(std::vector<MetricFamily>& out, const std::string& name, const std::string& help,
         MetricType type, double v) {
  add(family(out, name, help, type), v);
}

void add_histogram(MetricFamily& f, const atomic_histogram::reading& r, labels l = {}) {
  ClientMetric m;
  m.label = std::move(l);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < r.bounds.size(); ++i) {
    cumulative += r.counts[i];
    m.histogram.bucket.push_back({cumulative, r.bounds[i]});
  }
  m.histogram.bucket.push_back({r.count, std::numeric_limits<double>::infinity()});
  m.histogram.sample_count = r.count;
  m.histogram.sample_sum = r.sum;
  f.metric.push_back(std::move(m));
}

double load(const std::atomic<uint64_t>& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

}  // namespace

runtime_collector::runtime_collector(node_runtime& node, const live_views* views,
                                     std::function<bool()> ready,
                                     const cluster_view_provider* cluster)
  : node_(node), views_(views), ready_(std::move(ready)), cluster_(cluster) {
  using namespace std::chrono;
  start_time_s_ = duration<double>(system_clock::now().time_since_epoch()).count();
}

std::vector<MetricFamily> runtime_collector::Collect() const {
  std::vector<MetricFamily> out;
  collect_runtime(out);
  collect_sagas(out);
  collect_process(out);
  if (cluster_ && *cluster_)
    collect_cluster(out);
  return out;
}

void runtime_collector::collect_cluster(std::vector<MetricFamily>& out) const {
  auto v = (*cluster_)();
  auto C = MetricType::Counter;
  auto G = MetricType::Gauge;
  one(out, "cluster_registered", "1 while this node's registration (lease) is held", G,
      v.registered ? 1 : 0);
  one(out, "cluster_map_revision", "Revision of the shard map this node has confirmed", G,
      static_cast<double>(v.map_revision));
  auto& members = family(out, "cluster_members", "Cluster nodes by state as this node sees them", G);
  for (auto* state : {"joining", "up", "leaving", "down"}) {
    double n = 0;
    for (auto& m : v.members)
      n += m.state == state ? 1 : 0;
    add(members, n, {{"state", state}});
  }
  double mine = 0;
  for (auto& s : v.shards)
    mine += s.owner == v.self ? 1 : 0;
  one(out, "cluster_shards_owned", "Shards the confirmed map gives this node", G, mine);
  auto& up = family(out, "cluster_peer_up", "1 while the link to the peer node is connected", G);
  auto& buffered = family(out, "cluster_peer_buffered_bytes",
                          "Encoded items waiting in the link buffer to the peer", G);
  auto& held = family(out, "cluster_peer_held_envelopes",
                      "Deliveries waiting for the peer because it cannot be reached (they stay "
                      "in their senders' outboxes)", G);
  auto& held_attempts = family(out, "cluster_peer_held_attempts_total",
                               "Send attempts refused because the peer could not be reached", C);
  auto& items = family(out, "cluster_peer_items_sent_total", "Frame items sent to the peer", C);
  auto& dropped = family(out, "cluster_peer_items_dropped_total",
                         "Items dropped over the link buffer bound (resent from outboxes)", C);
  auto& frames = family(out, "cluster_peer_frames_sent_total", "Frames sent to the peer", C);
  auto& bytes = family(out, "cluster_peer_bytes_sent_total", "Frame bytes sent to the peer", C);
  for (auto& p : v.peers) {
    labels l{{"peer", p.node}};
    add(up, p.state == "up" ? 1 : 0, l);
    add(buffered, static_cast<double>(p.buffered_bytes), l);
    add(held, static_cast<double>(p.held_envelopes), l);
    add(held_attempts, static_cast<double>(p.held_attempts), l);
    add(items, static_cast<double>(p.items_sent), l);
    add(dropped, static_cast<double>(p.items_dropped), l);
    add(frames, static_cast<double>(p.frames_sent), l);
    add(bytes, static_cast<double>(p.bytes_sent), l);
  }
  one(out, "cluster_frames_received_total", "Frames received from peers", C,
      static_cast<double>(v.frames_in));
  one(out, "cluster_items_received_total", "Frame items received from peers", C,
      static_cast<double>(v.items_in));
  one(out, "cluster_bad_frames_total", "Frames or items refused as malformed", C,
      static_cast<double>(v.bad_frames));
  auto& moved = family(out, "cluster_moved_total",
                       "Envelopes for a shard the receiver does not own (out: answered here; "
                       "in: answers received)", C);
  add(moved, static_cast<double>(v.moved_out), {{"direction", "out"}});
  add(moved, static_cast<double>(v.moved_in), {{"direction", "in"}});
  one(out, "cluster_fenced_total", "Envelopes dropped from a sender with an older map epoch", C,
      static_cast<double>(v.fenced));
  one(out, "cluster_hellos_refused_total",
      "Peer hellos refused: malformed, or a node id its certificate does not prove", C,
      static_cast<double>(v.refused_hellos));
  one(out, "cluster_unproven_total",
      "Frames or reads dropped from a process that proved no node id", C,
      static_cast<double>(v.unproven));
}

void runtime_collector::collect_runtime(std::vector<MetricFamily>& out) const {
  auto& c = node_.context().counters();
  auto C = MetricType::Counter;
  auto G = MetricType::Gauge;
  one(out, "steps_total", "Entity steps run (one input each)", C, load(c.steps));
  one(out, "duplicates_total", "Deliveries dropped as duplicates (acked again)", C,
      load(c.duplicates));
  one(out, "resends_total", "Envelopes sent again after no ack", C, load(c.resends));
  one(out, "stale_envelopes_total",
      "Deliveries dropped unprocessed: older than retry.dedup-retention-ms on arrival", C,
      load(c.stale_envelopes));
  auto& dl = family(out, "dead_letters_total", "Messages moved to the dead-letter store, by reason",
                   C);
  for (size_t i = 0; i < dead_letter_reasons.size(); ++i)
    add(dl, load(c.dead_letters_by_reason[i]), {{"reason", dead_letter_reasons[i]}});
  one(out, "mailbox_waiting_messages",
      "Deliveries waiting inside entities (behind a pending commit or a channel gap)", G,
      static_cast<double>(static_cast<int64_t>(c.inbound_waiting.load())));
  one(out, "entity_crashes_total", "Steps whose decide or apply threw", C, load(c.crashes));
  one(out, "invalid_envelopes_total", "Envelopes refused as malformed", C,
      load(c.invalid_envelopes));
  one(out, "deliveries_dropped_total", "Deliveries dropped unacked while the receiver was busy", C,
      load(c.dropped_busy));
  one(out, "activations_total", "Entity activations", C, load(c.activations));
  one(out, "passivations_total", "Entity passivations", C, load(c.passivations));
  one(out, "recovery_failures_total", "Entities that could not recover their state", C,
      load(c.recovery_failures));
  one(out, "outbox_entries", "Unacked outgoing envelopes, all entities", G,
      static_cast<double>(static_cast<int64_t>(c.outbox_entries.load())));
  auto& dir = node_.context().dir();
  auto oldest = dir.oldest_unacked_ms();
  one(out, "outbox_oldest_age_seconds", "Age of the oldest unacked envelope (outbox lag)", G,
      oldest == 0 ? 0.0 : static_cast<double>(node_.context().now_ms() - oldest) / 1000.0);
  auto& active = family(out, "entities_active", "Active entities, by type", G);
  auto& known = family(out, "entities_known", "Entities with stored records or active, by type", G);
  for (auto& [type, counts] : dir.count_by_type()) {
    add(active, static_cast<double>(counts.first), {{"entity_type", type}});
    add(known, static_cast<double>(counts.second), {{"entity_type", type}});
  }
  one(out, "actors_idle", "Entity actors kept for reuse", G, static_cast<double>(dir.idle_count()));
  auto& pipe = node_.context().pipeline();
  auto st = pipe.stats();
  one(out, "commits_total", "Group commits written", C, static_cast<double>(st.commits));
  one(out, "committed_steps_total", "Steps made durable by group commits", C,
      static_cast<double>(st.steps));
  one(out, "commit_failures_total", "Steps whose group commit failed", C,
      static_cast<double>(st.failed));
  one(out, "commit_queue_steps", "Steps waiting for the writer", G,
      static_cast<double>(pipe.queued_steps()));
  one(out, "commit_queue_capacity_steps", "Queued steps at which submitters block", G,
      static_cast<double>(node_.context().settings().commit_max_queue_steps));
  add_histogram(family(out, "commit_duration_seconds", "Store write time of one group commit",
                       MetricType::Histogram),
                pipe.commit_seconds().read());
  add_histogram(family(out, "commit_batch_steps", "Steps per group commit", MetricType::Histogram),
                pipe.batch_steps().read());
  one(out, "store_healthy", "1 while the writer accepts steps, 0 after a failed commit", G,
      pipe.healthy() ? 1 : 0);
  one(out, "store_waiting_for_space",
      "1 while commits wait for room on the store's file system (new work is refused)", G,
      pipe.waiting_for_space() ? 1 : 0);
  one(out, "ready", "1 when the node serves requests (/health/ready)", G, ready_() ? 1 : 0);
  auto& start = node_.startup();
  one(out, "startup_duration_seconds", "Start-up scan time", G, start.seconds);
  one(out, "startup_reactivated_entities", "Entities re-activated at start-up", G,
      static_cast<double>(start.reactivated));
  add(family(out, "build_info", "The node's version", G), 1, {{"version", "0.12.0"}});
}

void runtime_collector::collect_sagas(std::vector<MetricFamily>& out) const {
  if (!views_)
    return;
  auto s = views_->stats();
  auto& now = family(out, "sagas", "Sagas known, by saga type and status", MetricType::Gauge);
  for (auto& [key, n] : s.by_status)
    add(now, static_cast<double>(n), {{"saga", key.first}, {"status", key.second}});
  auto& done = family(out, "sagas_finished_total",
                      "Sagas that reached a terminal status while this process ran (or "
                      "found so at start-up), by saga type and outcome",
                      MetricType::Counter);
  for (auto& [key, n] : s.finished)
    add(done, static_cast<double>(n), {{"saga", key.first}, {"outcome", key.second}});
  auto& dur = family(out, "saga_duration_seconds", "Start to terminal status of a saga",
                     MetricType::Histogram);
  for (auto& [type, r] : s.duration_seconds)
    add_histogram(dur, r, {{"saga", type}});
  auto& br = family(out, "circuit_breakers", "Payment gateways by circuit breaker state",
                    MetricType::Gauge);
  for (auto* state : {"CLOSED", "OPEN", "HALF_OPEN"}) {
    auto i = s.breakers.find(state);
    add(br, i == s.breakers.end() ? 0.0 : static_cast<double>(i->second), {{"state", state}});
  }
}

void runtime_collector::collect_process(std::vector<MetricFamily>& out) const {
  auto push = [&](const char* name, const char* help, MetricType t, double v) {
    out.push_back(MetricFamily{name, help, t, {}});
    add(out.back(), v);
  };
  long ticks = ::sysconf(_SC_CLK_TCK);
  unsigned long utime = 0, stime = 0;
  long rss_pages = 0;
  if (auto* f = std::fopen("/proc/self/stat", "r")) {
    // Fields 14/15 are utime/stime, 24 is rss; the name (field 2) is in parentheses.
    if (std::fscanf(f,
                    "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
                    "%*d %*d %*d %*d %*d %*d %*u %*u %ld",
                    &utime, &stime, &rss_pages)
        != 3)
      utime = stime = 0;
    std::fclose(f);
  }
  push("process_cpu_seconds_total", "User and system CPU time", MetricType::Counter,
       static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100));
  push("process_resident_memory_bytes", "Resident memory", MetricType::Gauge,
       static_cast<double>(rss_pages) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
  push("process_start_time_seconds", "Start time since the epoch", MetricType::Gauge,
       start_time_s_);
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  push("process_open_fds", "Open file descriptors", MetricType::Gauge, fds);
}

}  // namespace sagaforge::http
