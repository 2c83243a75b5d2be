// shared_map_control_plane: a test double of the cluster's control plane for several nodes
// in one process. One `shared_cluster` holds the map (roster, members, shards with epochs and
// revisions); every node gets its own control_plane view of it, and every change is pushed
// to all subscribers synchronously. No leases, no watch, no coordination service: what the
// data-plane tests need, not a model of etcd (the kv control plane's contract suite is that).
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/control/control_plane.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::testing {

class shared_cluster : public std::enable_shared_from_this<shared_cluster> {
public:
  /// Shards round-robin over `roster` at epoch 1.
  shared_cluster(uint32_t shard_count, std::vector<std::string> roster) {
    map_.revision = 1;
    map_.shard_count = shard_count;
    for (uint32_t s = 0; s < shard_count; ++s)
      map_.shards.push_back(cluster::shard_entry{roster[s % roster.size()], 1, 1, ""});
    for (auto& n : roster)
      map_.roster[n] = cluster::roster_entry{n, "active", ""};
  }

  cluster::cluster_map current() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return map_;
  }

  /// Applies `change` to the map under the lock, raises the revision, tells everyone.
  void change(const std::function<void(cluster::cluster_map&)>& f) {
    cluster::cluster_map copy;
    std::vector<std::pair<std::string, cluster::control_plane::listener>> ls;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      f(map_);
      ++map_.revision;
      copy = map_;
      ls = listeners_;
    }
    for (auto& l : ls)
      l.second(copy);
  }

  /// Gives shard `s` to `node` at the next epoch (what a finished handoff would write).
  void reassign(uint32_t s, const std::string& node) {
    change([&](cluster::cluster_map& m) {
      m.shards[s].owner = node;
      m.shards[s].epoch++;
      m.shards[s].mod_revision = m.revision + 1;
    });
  }

  /// Removes a member (its lease expired, or it crashed and was noticed).
  void drop_member(const std::string& node) {
    change([&](cluster::cluster_map& m) { m.members.erase(node); });
  }

  /// Listeners are kept per node and dropped when it leaves: they hold its router, which
  /// holds actor handles that must not outlive the node's actor system.
  void add_listener(const std::string& node, cluster::control_plane::listener f) {
    std::lock_guard<std::mutex> guard{mtx_};
    listeners_.emplace_back(node, std::move(f));
  }

  void drop_listeners(const std::string& node) {
    std::lock_guard<std::mutex> guard{mtx_};
    listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                    [&](auto& l) { return l.first == node; }),
                     listeners_.end());
  }

  std::shared_ptr<cluster::control_plane> view(const std::string& node);

private:
  mutable std::mutex mtx_;
  cluster::cluster_map map_;
  std::vector<std::pair<std::string, cluster::control_plane::listener>> listeners_;
  int64_t next_incarnation_ = 1;
  friend class shared_map_control_plane;
};

class shared_map_control_plane : public cluster::control_plane {
public:
  shared_map_control_plane(std::shared_ptr<shared_cluster> c, std::string node)
    : cluster_(std::move(c)), node_(std::move(node)) {}

  caf::error join(const cluster::join_request& req) override {
    auto self = req.self;
    if (req.shard_count != cluster_->current().shard_count)
      return make_runtime_error(runtime_errc::invalid_config, "shard count mismatch");
    if (cluster_->current().members.count(self.node))
      return make_runtime_error(runtime_errc::invalid_config,
                                "node " + self.node + " is already a live member");
    cluster_->change([&](cluster::cluster_map& m) {
      self.incarnation = cluster_->next_incarnation_++;
      self.state = "joining";
      m.members[self.node] = self;
    });
    return {};
  }

  cluster::cluster_map current() const override {
    return cluster_->current();
  }

  void subscribe(listener f) override {
    cluster_->add_listener(node_, std::move(f));
  }

  caf::expected<int64_t> cas_shard(uint32_t shard, int64_t expected,
                                   const cluster::shard_entry& next) override {
    bool ok = false;
    int64_t rev = 0;
    cluster_->change([&](cluster::cluster_map& m) {
      if (m.shards[shard].mod_revision != expected)
        return;
      ok = true;
      rev = m.revision + 1;
      m.shards[shard] = next;
      m.shards[shard].mod_revision = rev;
    });
    if (!ok)
      return make_runtime_error(runtime_errc::rejected, "shard row changed");
    return rev;
  }

  caf::error set_state(const std::string& state) override {
    cluster_->change([&](cluster::cluster_map& m) {
      if (auto i = m.members.find(node_); i != m.members.end())
        i->second.state = state;
    });
    return {};
  }

  caf::error leave() override {
    cluster_->drop_listeners(node_);
    cluster_->drop_member(node_);
    return {};
  }

  bool registered() const override {
    return cluster_->current().members.count(node_) > 0;
  }

private:
  std::shared_ptr<shared_cluster> cluster_;
  std::string node_;
};

inline std::shared_ptr<cluster::control_plane> shared_cluster::view(const std::string& node) {
  return std::make_shared<shared_map_control_plane>(shared_from_this(), node);
}

} // namespace sagaforge::testing
