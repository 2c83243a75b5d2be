// The state behind kv_control_plane, shared by kv_control_plane.cpp (join, map, CAS) and
// kv_lease_keeper.cpp (lease, registration, keepalive thread). Internal to cluster/control.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "cluster/control/kv_control_plane.hpp"
#include "cluster/control/kv_layout.hpp"

namespace sagaforge::cluster {

struct kv_control_plane::impl {
  impl(kv_ptr store, kv_control_plane_options opts);

  std::string where() const;  // "cluster 'c' (etcd at ...)" for messages

  // -- join (kv_control_plane.cpp) --
  caf::error join(const join_request& req);
  caf::error bootstrap(const join_request& req);
  caf::error check_roster(const join_request& req);
  caf::error start_watch();
  void notify();
  caf::expected<int64_t> cas_shard(uint32_t shard, int64_t expected, const shard_entry& next);
  caf::error set_state(const std::string& state);
  int64_t seen_revision() const;

  // -- lease (kv_lease_keeper.cpp) --
  caf::error register_first();
  caf::expected<bool> register_under_new_lease();
  void start_keeper();
  void stop_keeper();
  void keeper_tick();
  caf::error leave();
  bool registered() const;

  kv_ptr store;
  kv_control_plane_options opts;
  std::string root;

  std::mutex join_mtx;
  bool joined = false;

  mutable std::mutex mtx;  // builder, listeners, self
  layout::map_builder builder;
  std::vector<listener> listeners;
  member_info self;

  std::mutex notify_mtx;
  std::unique_ptr<kv_watch> watch;

  std::atomic<int64_t> lease{0};        // 0 = not registered
  std::atomic<int64_t> deadline_ms{0};  // steady clock: the lease is surely alive until then
  std::mutex keeper_mtx;
  std::condition_variable keeper_cv;
  bool keeper_stop = false;
  bool keeper_failing = false;  // keeper thread only: said once per outage
  std::thread keeper;
};

} // namespace sagaforge::cluster
