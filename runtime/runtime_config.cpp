// Option table and strict validation of the runtime's configuration.
#include "runtime/runtime_config.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "caf/atom.hpp"
#include "caf/config_option_adder.hpp"
#include "caf/config_value.hpp"
#include "caf/deep_to_string.hpp"
#include "caf/dictionary.hpp"

#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

using rs = runtime_settings;
constexpr int64_t big = int64_t{1} << 40;

option_spec int_opt(const char* sec, const char* name, const char* help, int64_t lo, int64_t hi,
                    int64_t rs::*f) {
  return option_spec{sec, name, help, lo, hi, f, nullptr};
}

option_spec str_opt(const char* sec, const char* name, const char* help, std::string rs::*f) {
  return option_spec{sec, name, help, 0, 0, nullptr, f};
}

caf::error bad(const std::string& key, const std::string& what) {
  return make_runtime_error(runtime_errc::invalid_config, "sagaforge." + key + ": " + what);
}

} // namespace

/// Node ids name processes in etcd keys, client refs and certificates: short and plain.
std::string validate_node_id(const std::string& id) {
  if (id.empty() || id.size() > 32)
    return "'" + id + "' must be 1 to 32 characters";
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return "'" + id + "' may hold only a-z, 0-9 and '-'";
  return {};
}

durability runtime_settings::mode() const {
  auto d = parse_durability(durability_name);
  return d ? *d : durability::fsync;
}

const std::vector<option_spec>& runtime_options() {
  static const std::vector<option_spec> table = {
    str_opt("store", "data-dir", "folder of the node's LMDB environment", &rs::data_dir),
    str_opt("store", "durability", "fsync | nosync | memory", &rs::durability_name),
    int_opt("store", "map-size-mb", "LMDB map size (virtual address space; MiB)", 16, 1048576,
            &rs::map_size_mb),
    str_opt("store", "verify-on-start", "pages | off: walk every page of the store in a child "
            "process before the start-up scan (a damaged store is reported, not fatal)",
            &rs::verify_on_start),
    int_opt("store", "shard-count", "shards S; fixed when the cluster is created", 1, 65536,
            &rs::shard_count),
    int_opt("commit", "max-batch-steps", "steps per group commit at most", 1, 1000000,
            &rs::commit_max_batch_steps),
    int_opt("commit", "max-delay-us", "wait this long for a fuller batch (0: commit at once)", 0,
            1000000, &rs::commit_max_delay_us),
    int_opt("commit", "max-queue-steps", "queued steps before submitters block", 1, 10000000,
            &rs::commit_max_queue_steps),
    int_opt("entity", "snapshot-every-records", "snapshot interval (0: the entity type's own)",
            0, 10000000, &rs::snapshot_every_records),
    int_opt("entity", "idle-timeout-ms", "passivate an entity idle this long", 1, big,
            &rs::idle_timeout_ms),
    int_opt("entity", "max-active", "active entities at most (LRU passivation above)", 1,
            100000000, &rs::max_active_entities),
    int_opt("entity", "sweep-interval-ms", "how often idle/LRU passivation runs", 1, big,
            &rs::sweep_interval_ms),
    int_opt("entity", "timer-granularity-ms", "timers and resend ticks due within this many ms "
            "share one clock tick (fire up to that late)", 1, 1000, &rs::timer_granularity_ms),
    int_opt("entity", "reactivate-per-second", "entities with deliveries pending that start-up "
            "re-activates per second at most", 1, 10000000, &rs::reactivate_per_second),
    int_opt("entity", "shutdown-timeout-ms", "how long a clean shutdown waits for active "
            "entities' snapshots", 0, 3600000, &rs::shutdown_timeout_ms),
    int_opt("mailbox", "channel-window", "unacked envelopes in flight per (sender, receiver)",
            1, 100000, &rs::channel_window),
    int_opt("mailbox", "outbox-max", "outbox entries at which an entity stops consuming", 1,
            10000000, &rs::outbox_max),
    int_opt("mailbox", "parked-max", "deliveries an entity parks while busy; more are dropped "
            "unacked (the sender resends)", 1, 10000000, &rs::parked_max),
    int_opt("mailbox", "holdback-max", "out-of-order envelopes kept per channel", 1, 100000,
            &rs::holdback_max),
    int_opt("retry", "initial-backoff-ms", "first resend delay", 1, big,
            &rs::retry_initial_backoff_ms),
    int_opt("retry", "max-backoff-ms", "resend delay cap", 1, big, &rs::retry_max_backoff_ms),
    int_opt("retry", "max-attempts", "sends before a dead letter", 1, 1000000,
            &rs::retry_max_attempts),
    int_opt("retry", "max-age-ms", "age before a dead letter", 1, big, &rs::retry_max_age_ms),
    int_opt("retry", "dedup-retention-ms", "keep a channel's de-dup record this long after its "
            "last message; must exceed max-age-ms + max-backoff-ms", 1, big,
            &rs::dedup_retention_ms),
    int_opt("supervision", "max-restarts", "crashes on one message before it is poison", 1,
            1000, &rs::max_restarts),
    int_opt("supervision", "restart-window-ms", "window for max-restarts", 1, big,
            &rs::restart_window_ms),
    int_opt("limits", "max-events-per-step", "events one decide may record", 1, 100000,
            &rs::max_events_per_step),
    int_opt("limits", "max-sends-per-step", "messages one decide may send", 1, 1000000,
            &rs::max_sends_per_step),
    int_opt("limits", "max-payload-bytes", "payload size of one envelope", 1, 64 << 20,
            &rs::max_payload_bytes),
    str_opt("log", "level", "trace | debug | info | warn | error", &rs::log_level),
    str_opt("diagnostics", "activation-log", "append-only log of entity activations, for "
            "tests and investigations (\"\": off), relative to data-dir",
            &rs::activation_log),
    int_opt("diagnostics", "activation-log-max-bytes", "the activation log's size at most; "
            "past it nothing more is recorded", 4096, big, &rs::activation_log_max_bytes),
    int_opt("diagnostics", "activation-log-flush-ms", "buffered end records are written at "
            "least this often (starts are written at once)", 1, 60000,
            &rs::activation_log_flush_ms),
    str_opt("cluster", "mode", "single (one node, all shards, no etcd) | etcd",
            &rs::cluster_mode),
    str_opt("cluster", "role", "member (in the roster, owns shards) | client (drives work, "
            "owns no shard)", &rs::cluster_role),
    str_opt("cluster", "node-id", "this node's id ([a-z0-9-], at most 32); the certificate's "
            "CN in etcd mode", &rs::cluster_node_id),
    str_opt("cluster", "name", "the cluster's name: its etcd key prefix and CAF application "
            "id", &rs::cluster_name),
    str_opt("cluster", "listen-address", "data-plane listen address (loopback by default)",
            &rs::cluster_listen_address),
    int_opt("cluster", "port", "data-plane port (0: any free port, registered in etcd)", 0,
            65535, &rs::cluster_port),
    str_opt("cluster", "roster", "nodes of a new cluster, comma-separated: shards go "
            "round-robin over them at creation", &rs::cluster_roster),
    str_opt("cluster", "etcd-endpoints", "etcd client URL (http:// or https://)",
            &rs::cluster_etcd_endpoints),
    int_opt("cluster", "lease-ttl-ms", "membership lease; a paused node is down after it",
            2000, 600000, &rs::cluster_lease_ttl_ms),
    int_opt("cluster", "max-clock-skew-ms", "clock difference between nodes the de-dup "
            "retention must allow for", 0, 3600000, &rs::cluster_max_clock_skew_ms),
    int_opt("cluster", "frame-max-bytes", "one data-plane frame at most", 4096, 16777216,
            &rs::cluster_frame_max_bytes),
    int_opt("cluster", "frames-in-flight", "unacknowledged frames per peer (credit)", 1, 1024,
            &rs::cluster_frames_in_flight),
    int_opt("cluster", "peer-buffer-bytes", "items waiting for credit per peer; beyond it "
            "items are dropped (their senders resend)", 65536, 1073741824,
            &rs::cluster_peer_buffer_bytes),
    int_opt("cluster", "heartbeat-interval-ms", "CAF heartbeats between nodes", 100, 60000,
            &rs::cluster_heartbeat_interval_ms),
    int_opt("cluster", "connection-timeout-ms", "a peer silent this long is unreachable",
            500, 600000, &rs::cluster_connection_timeout_ms),
    int_opt("cluster", "held-recheck-ms", "how often a send held for an unreachable node is "
            "tried again (held sends do not count as attempts)", 10, 600000,
            &rs::cluster_held_recheck_ms),
    // -- the HTTP face (http/http_face.hpp) --
    str_opt("http", "address", "listen address of the HTTP face", &rs::http_address),
    int_opt("http", "port", "listen port (0: any free port, logged)", 0, 65535, &rs::http_port),
    int_opt("http", "threads", "HTTP worker threads (each keep-alive connection holds one)", 1,
            1024, &rs::http_threads),
    int_opt("http", "max-body-bytes", "request body size limit (413 above)", 1, 64 << 20,
            &rs::http_max_body_bytes),
    int_opt("http", "read-timeout-ms", "socket read timeout", 1, 600000,
            &rs::http_read_timeout_ms),
    int_opt("http", "write-timeout-ms", "socket write timeout", 1, 600000,
            &rs::http_write_timeout_ms),
    int_opt("http", "keep-alive-ms", "idle keep-alive connection timeout", 1000, 600000,
            &rs::http_keep_alive_ms),
    int_opt("http", "keep-alive-max-requests", "requests per keep-alive connection", 1,
            1000000, &rs::http_keep_alive_max_requests),
    int_opt("http", "wait-max-ms", "longest ?wait= a request may ask for", 0, 3600000,
            &rs::http_wait_max_ms),
    int_opt("http", "rate-per-s", "business requests per client and second (0: no limit)", 0,
            10000000, &rs::http_rate_per_s),
    int_opt("http", "rate-burst", "token bucket size of the rate limit", 1, 10000000,
            &rs::http_rate_burst),
    str_opt("http", "admin-token", "bearer token of the admin role (\"\": role disabled)",
            &rs::http_admin_token),
    str_opt("http", "read-token", "bearer token of the read role (\"\": role disabled)",
            &rs::http_read_token),
    str_opt("http", "tls-cert", "PEM certificate chain (with tls-key: HTTPS)", &rs::http_tls_cert),
    str_opt("http", "tls-key", "PEM private key", &rs::http_tls_key),
    str_opt("http", "audit-log", "admin audit log file, relative to data-dir (\"\": log only)",
            &rs::http_audit_log),
  };
  return table;
}

void add_runtime_options(caf::config_option_set& target) {
  // config_option_adder keeps a view of the category: it must outlive the option set.
  static const std::map<std::string, std::string> categories = [] {
    std::map<std::string, std::string> m;
    for (auto& o : runtime_options())
      m.emplace(o.section, std::string{"sagaforge."} + o.section);
    return m;
  }();
  std::map<std::string, std::vector<const option_spec*>> by_section;
  for (auto& o : runtime_options())
    by_section[o.section].push_back(&o);
  for (auto& [section, opts] : by_section) {
    caf::config_option_adder adder{target, categories.at(section)};
    for (auto* o : opts) {
      // Explicit lengths: caf::string_view converts from `const char*` only where CAF_GCC is
      // defined before its header, which depends on what a unity chunk includes first.
      caf::string_view name{o->name, std::strlen(o->name)};
      caf::string_view help{o->help, std::strlen(o->help)};
      if (o->int_field)
        adder.add<int64_t>(name, help);
      else
        adder.add<std::string>(name, help);
    }
  }
}

runtime_system_config::runtime_system_config() {
  add_runtime_options(custom_options_);
  set("scheduler.policy", caf::atom("sharing"));
  set("scheduler.max-threads", size_t{2});
  set("logger.console", caf::atom("none"));
  set("logger.file-verbosity", caf::atom("quiet"));
}

caf::expected<runtime_settings> load_runtime_settings(const caf::actor_system_config& cfg) {
  runtime_settings out;
  auto root = cfg.content.find("sagaforge");
  if (root == cfg.content.end())
    return out;
  auto* sections = caf::get_if<caf::config_value::dictionary>(&root->second);
  if (!sections)
    return bad("", "must be a group of sections");
  for (auto& [section, val] : *sections) {
    auto* opts = caf::get_if<caf::config_value::dictionary>(&val);
    if (!opts)
      return bad(section, "is not a section");
    for (auto& [name, v] : *opts) {
      auto key = section + "." + name;
      const option_spec* spec = nullptr;
      for (auto& o : runtime_options())
        if (section == o.section && name == o.name)
          spec = &o;
      if (!spec)
        return bad(key, "unknown option (see docs/configuration.md)");
      if (spec->str_field) {
        auto* s = caf::get_if<std::string>(&v);
        if (!s)
          return bad(key, "expects a quoted string, got " + caf::deep_to_string(v));
        out.*(spec->str_field) = *s;
        continue;
      }
      auto* i = caf::get_if<int64_t>(&v);
      if (!i)
        return bad(key, "expects an integer, got " + caf::deep_to_string(v));
      if (*i < spec->min || *i > spec->max)
        return bad(key, std::to_string(*i) + " is outside [" + std::to_string(spec->min) + ", "
                          + std::to_string(spec->max) + "]");
      out.*(spec->int_field) = *i;
    }
  }
  if (auto d = parse_durability(out.durability_name); !d)
    return bad("store.durability", describe(d.error()));
  if (out.verify_on_start != "pages" && out.verify_on_start != "off")
    return bad("store.verify-on-start", "'" + out.verify_on_start + "' is not pages or off");
  static const char* levels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(levels), std::end(levels), out.log_level) == std::end(levels))
    return bad("log.level", "'" + out.log_level + "' is not one of trace debug info warn error");
  if (out.cluster_mode != "single" && out.cluster_mode != "etcd")
    return bad("cluster.mode", "'" + out.cluster_mode + "' is not single or etcd");
  if (out.cluster_role != "member" && out.cluster_role != "client")
    return bad("cluster.role", "'" + out.cluster_role + "' is not member or client");
  if (auto err = validate_node_id(out.cluster_node_id); !err.empty())
    return bad("cluster.node-id", err);
  if (out.cluster_mode == "single" && out.cluster_role != "member")
    return bad("cluster.role", "a single node is a member (client needs cluster.mode=\"etcd\")");
  auto skew = out.cluster_mode == "etcd" ? out.cluster_max_clock_skew_ms : 0;
  if (out.dedup_retention_ms <= out.retry_max_age_ms + out.retry_max_backoff_ms + skew)
    return bad("retry.dedup-retention-ms",
               "must exceed retry.max-age-ms + retry.max-backoff-ms + cluster.max-clock-skew-ms "
               "(in etcd mode), or a late resend could slip past de-duplication");
  if (out.dedup_retention_ms <= out.retry_max_age_ms + out.retry_max_backoff_ms)
    return bad("retry.dedup-retention-ms",
               "must exceed retry.max-age-ms + retry.max-backoff-ms, or a late resend could "
               "slip past de-duplication");
  if (out.retry_initial_backoff_ms > out.retry_max_backoff_ms)
    return bad("retry.initial-backoff-ms", "exceeds retry.max-backoff-ms");
  if (out.http_tls_cert.empty() != out.http_tls_key.empty())
    return bad("http.tls-cert", "tls-cert and tls-key go together (both or neither)");
  if (!out.http_admin_token.empty() && out.http_admin_token == out.http_read_token)
    return bad("http.read-token", "must differ from http.admin-token");
  return out;
}

} // namespace sagaforge
