// The runtime's settings: one table of options (name, unit-last, range, help), read from
// CAF's config system (INI file, then command line) and validated strictly — CAF 0.17
// keeps a mistyped value silently, so every option under "sagaforge." is type- and
// range-checked here and unknown keys are refused. docs/configuration.md lists them all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/actor_system_config.hpp"
#include "caf/expected.hpp"

#include "runtime/store.hpp"

namespace sagaforge {

struct runtime_settings {
  // -- node and store --
  std::string data_dir = "data";
  std::string durability_name = "fsync";
  int64_t map_size_mb = 16384;
  std::string verify_on_start = "pages";
  int64_t shard_count = 64;
  // -- group commit --
  int64_t commit_max_batch_steps = 4096;
  int64_t commit_max_delay_us = 0;
  int64_t commit_max_queue_steps = 65536;
  // -- entities --
  int64_t snapshot_every_records = 0;  // 0: each entity type's own interval
  int64_t idle_timeout_ms = 120000;
  int64_t max_active_entities = 200000;
  int64_t sweep_interval_ms = 1000;
  int64_t timer_granularity_ms = 10;
  int64_t reactivate_per_second = 20000;
  int64_t shutdown_timeout_ms = 10000;
  // -- durable mailbox --
  int64_t channel_window = 64;
  int64_t outbox_max = 4096;
  int64_t parked_max = 4096;
  int64_t holdback_max = 256;
  int64_t retry_initial_backoff_ms = 1000;
  int64_t retry_max_backoff_ms = 30000;
  int64_t retry_max_attempts = 25;
  int64_t retry_max_age_ms = 3600000;
  int64_t dedup_retention_ms = 7200000;
  // -- supervision --
  int64_t max_restarts = 3;
  int64_t restart_window_ms = 60000;
  // -- limits --
  int64_t max_events_per_step = 256;
  int64_t max_sends_per_step = 1024;
  int64_t max_payload_bytes = 1048576;
  // -- logging --
  std::string log_level = "info";
  // -- diagnostics (tests and investigations; off by default) --
  std::string activation_log;                   // "" = off; relative to data_dir
  int64_t activation_log_max_bytes = 268435456;
  int64_t activation_log_flush_ms = 200;
  // -- cluster (read by cluster/; the runtime itself only checks them) --
  std::string cluster_mode = "single";       // single | etcd
  std::string cluster_role = "member";       // member (owns shards) | client (owns none)
  std::string cluster_node_id = "node";
  std::string cluster_name = "local";
  std::string cluster_listen_address = "127.0.0.1";
  int64_t cluster_port = 0;                  // data plane; 0 = any free port
  std::string cluster_roster;                // bootstrap roster: "n1,n2,n3"
  std::string cluster_etcd_endpoints = "http://127.0.0.1:2379";
  int64_t cluster_lease_ttl_ms = 10000;
  int64_t cluster_max_clock_skew_ms = 1000;
  int64_t cluster_frame_max_bytes = 262144;
  int64_t cluster_frames_in_flight = 8;
  int64_t cluster_peer_buffer_bytes = 16777216;
  int64_t cluster_heartbeat_interval_ms = 1000;
  int64_t cluster_connection_timeout_ms = 5000;
  int64_t cluster_held_recheck_ms = 1000;
  // -- the node's HTTP face (http/; read by it, validated here like every option) --
  std::string http_address = "127.0.0.1";
  int64_t http_port = 9470;               // 0: any free port (the log line says which)
  int64_t http_threads = 16;
  int64_t http_max_body_bytes = 65536;
  int64_t http_read_timeout_ms = 5000;
  int64_t http_write_timeout_ms = 5000;
  int64_t http_keep_alive_ms = 5000;
  int64_t http_keep_alive_max_requests = 1000;
  int64_t http_wait_max_ms = 60000;       // longest ?wait= a request may ask for
  int64_t http_rate_per_s = 2000;         // business requests per client and second (0: off)
  int64_t http_rate_burst = 4000;
  std::string http_admin_token;           // "" disables the role
  std::string http_read_token;
  std::string http_tls_cert;              // PEM paths; both or neither
  std::string http_tls_key;
  std::string http_audit_log = "audit.log";  // relative to data-dir; "" = log only

  durability mode() const;
};

/// One row of the option table.
struct option_spec {
  const char* section;  // "store" -> "sagaforge.store.<name>"
  const char* name;
  const char* help;
  int64_t min;
  int64_t max;
  int64_t runtime_settings::*int_field;
  std::string runtime_settings::*str_field;
};

const std::vector<option_spec>& runtime_options();

/// Declares every option with CAF (so --sagaforge.x.y=... works and --help lists it).
void add_runtime_options(caf::config_option_set& opts);

/// The actor system config of a sagaforge process: the runtime's options declared, and
/// the scheduler set explicitly (CAF 0.17's default of 4 stealing workers is 10-15x slower
/// on this kind of fan-out with 2 cores; docs/performance.md has the measurement).
class runtime_system_config : public caf::actor_system_config {
public:
  runtime_system_config();

  caf::config_option_set& options() {
    return custom_options_;
  }
};

/// Node ids name processes in etcd keys, client refs and certificates: 1-32 of [a-z0-9-].
/// Empty when `id` is one, else what is wrong with it.
std::string validate_node_id(const std::string& id);

/// Reads and validates; the error names the option, the bad value and the valid range.
caf::expected<runtime_settings> load_runtime_settings(const caf::actor_system_config& cfg);

} // namespace sagaforge
