// kv_control_plane: the control plane (control_plane.hpp) over any kv store (kv.hpp): etcd in
// production (etcd_kv), the in-memory fake in tests (memory_kv). Keys and values: kv_layout.hpp.
// Threads: the caller's (join, cas_shard, set_state, leave), the kv's watch thread (keeps the
// map and calls the listeners) and a keepalive thread (renews the lease every TTL/3 and
// re-registers under a new lease when the old one was lost).
//
// What depends on the lease: only registered() and the member key (whether peers see this
// node as a member). Serving does not: current() keeps the last map the watch confirmed
// through an outage of the store, and ownership changes only by CAS on shard rows.
#pragma once

#include <optional>

#include "cluster/control/control_plane.hpp"
#include "cluster/control/kv.hpp"

namespace sagaforge::cluster {

struct kv_control_plane_options {
  std::string cluster_name = "local";
  int64_t lease_ttl_ms = 10000;
  /// How long join waits for the member key of an earlier process of this node (a crash
  /// leaves it until its lease expires) before refusing as a second live process.
  /// Negative: the lease TTL plus one second.
  int64_t predecessor_wait_ms = -1;
};

class kv_control_plane : public control_plane {
public:
  kv_control_plane(kv_ptr store, kv_control_plane_options opts);
  ~kv_control_plane() override;

  caf::error join(const join_request& req) override;
  cluster_map current() const override;
  void subscribe(listener f) override;
  caf::expected<int64_t> cas_shard(uint32_t shard, int64_t expected_mod_revision,
                                   const shard_entry& next) override;
  caf::error set_state(const std::string& state) override;
  caf::error leave() override;
  bool registered() const override;

  /// The lease this node is registered under now (0 = none): its incarnation.
  int64_t incarnation() const;

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

std::shared_ptr<kv_control_plane> make_kv_control_plane(kv_ptr store,
                                                        kv_control_plane_options opts);

/// The row as it is now, carried by the runtime.rejected error of a failed cas_shard.
std::optional<shard_entry> rejected_row(const caf::error& err);

} // namespace sagaforge::cluster
