// The control plane's contract fixture, shared by the suites that run the same cases against
// each kv (control_contract.inc holds the cases): nodes (a kv client + a kv_control_plane
// each) on one backend, join requests, and waiting with deadlines. A backend provides
// connect(), outage_begin(), outage_end() and restart().
#pragma once

#include <chrono>
#include <condition_variable>
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

/// A kv that forwards everything but holds each client's first read of one key until
/// `expected` clients have made theirs (or 3 s passed): they all see the same answer, so
/// what they do next races for real.
class rendezvous_kv : public cluster::kv {
public:
  struct gate {
    std::string key;
    int expected = 2;
    std::mutex mtx;
    std::condition_variable cv;
    int arrived = 0;
  };

  rendezvous_kv(cluster::kv_ptr inner, std::shared_ptr<gate> g)
    : inner_(std::move(inner)), gate_(std::move(g)) {
  }

  std::string name() const override {
    return inner_->name();
  }
  caf::expected<cluster::kv_range> get(const std::string& key) override {
    auto r = inner_->get(key);
    if (key == gate_->key && !passed_) {
      passed_ = true;
      std::unique_lock<std::mutex> lock{gate_->mtx};
      ++gate_->arrived;
      gate_->cv.notify_all();
      gate_->cv.wait_for(lock, std::chrono::seconds(3),
                         [this] { return gate_->arrived >= gate_->expected; });
    }
    return r;
  }
  caf::expected<cluster::kv_range> range(const std::string& prefix) override {
    return inner_->range(prefix);
  }
  caf::expected<int64_t> put(const std::string& k, const std::string& v, int64_t l) override {
    return inner_->put(k, v, l);
  }
  caf::expected<cluster::kv_txn_result> txn(const std::vector<cluster::kv_compare>& c,
                                            const std::vector<cluster::kv_op>& s,
                                            const std::vector<cluster::kv_op>& f) override {
    return inner_->txn(c, s, f);
  }
  caf::expected<cluster::kv_lease> grant(int64_t ttl_ms) override {
    return inner_->grant(ttl_ms);
  }
  caf::expected<int64_t> keepalive(int64_t lease) override {
    return inner_->keepalive(lease);
  }
  caf::error revoke(int64_t lease) override {
    return inner_->revoke(lease);
  }
  std::unique_ptr<cluster::kv_watch> watch(const std::string& prefix, int64_t from,
                                           cluster::kv_watch_handler h) override {
    return inner_->watch(prefix, from, std::move(h));
  }
  caf::error compact(int64_t revision) override {
    return inner_->compact(revision);
  }
  void hold_watches(bool held) override {
    inner_->hold_watches(held);
  }

private:
  cluster::kv_ptr inner_;
  std::shared_ptr<gate> gate_;
  bool passed_ = false;  // only the joining thread reads
};

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

  /// `wrap`: a decorator put between the node and its kv client.
  contract_node& make_node(int64_t predecessor_wait_ms = -1,
                           std::function<cluster::kv_ptr(cluster::kv_ptr)> wrap = {}) {
    contract_node n;
    n.kv = wrap ? wrap(backend.connect()) : backend.connect();
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
