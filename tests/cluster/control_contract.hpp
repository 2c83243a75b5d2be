// The control plane's contract fixture, shared by the suites that run the same cases against
// each kv (control_contract.inc holds the cases): nodes (a kv client + a kv_control_plane
// each) on one backend, join requests, and waiting with deadlines. A backend provides
// connect(), outage_begin(), outage_end() and restart().
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/control/kv_control_plane.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::testing {

constexpr int64_t contract_ttl_ms = 2000;  // the smallest lease-ttl-ms the options allow

/// Polls `pred` every 20 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(8000)) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

/// One simulated node: its own kv client (its own watch) and control plane, plus every map
/// its listener was handed.
struct contract_node {
  cluster::kv_ptr kv;
  std::shared_ptr<cluster::kv_control_plane> cp;
  std::shared_ptr<std::mutex> seen_mtx = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<cluster::cluster_map>> seen =
    std::make_shared<std::vector<cluster::cluster_map>>();

  /// Whether some map handed to the listener satisfied `pred`.
  bool saw(const std::function<bool(const cluster::cluster_map&)>& pred) const {
    std::lock_guard<std::mutex> g{*seen_mtx};
    for (auto& m : *seen)
      if (pred(m))
        return true;
    return false;
  }
};

template <class Backend>
struct contract_fixture {
  Backend backend;
  std::deque<contract_node> nodes;  // (references stay valid) destroyed before the backend

  ~contract_fixture() {
    nodes.clear();
  }

  contract_node& make_node(int64_t predecessor_wait_ms = -1) {
    contract_node n;
    n.kv = backend.connect();
    cluster::kv_control_plane_options o;
    o.cluster_name = "contract";
    o.lease_ttl_ms = contract_ttl_ms;
    o.predecessor_wait_ms = predecessor_wait_ms;
    n.cp = cluster::make_kv_control_plane(n.kv, o);
    auto seen = n.seen;
    auto mtx = n.seen_mtx;
    n.cp->subscribe([seen, mtx](const cluster::cluster_map& m) {
      std::lock_guard<std::mutex> g{*mtx};
      seen->push_back(m);
    });
    nodes.push_back(std::move(n));
    return nodes.back();
  }

  static cluster::join_request request(const std::string& node, const std::string& store,
                                       uint32_t shards = 8,
                                       std::vector<std::string> roster = {"n1", "n2"}) {
    cluster::join_request r;
    r.self.node = node;
    r.self.host = "127.0.0.1";
    r.self.port = 4000;
    r.store_id = store;
    r.shard_count = shards;
    r.bootstrap_roster = std::move(roster);
    return r;
  }

  /// A plain client of the same store, for reading what the nodes wrote.
  cluster::kv_range read_all() {
    auto r = backend.connect()->range("/sagaforge/contract/");
    return r ? *r : cluster::kv_range{};
  }
};

inline std::string text(const caf::error& err) {
  return describe(err);
}

inline bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

} // namespace sagaforge::testing
