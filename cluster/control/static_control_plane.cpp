// The embedded single-node control plane: the node is the whole roster and owns every shard
// at epoch 1; nothing ever changes, so nothing is watched.
#include <mutex>

#include "cluster/control/control_plane.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::cluster {

std::string cluster_map::state_of(const std::string& node) const {
  if (auto m = members.find(node); m != members.end())
    return m->second.state;
  return roster.count(node) ? "down" : "";
}

namespace {

class static_control_plane : public control_plane {
public:
  static_control_plane(const std::string& node_id, uint32_t shard_count) {
    map_.revision = 1;
    map_.shard_count = shard_count;
    map_.shards.assign(shard_count, shard_entry{node_id, 1, 1, ""});
    map_.roster[node_id] = roster_entry{node_id, "active", ""};
    member_info self;
    self.node = node_id;
    self.state = "up";
    self.incarnation = 1;
    map_.members[node_id] = self;
  }

  caf::error join(const join_request& req) override {
    std::lock_guard<std::mutex> guard{mtx_};
    if (req.shard_count != map_.shard_count)
      return make_runtime_error(runtime_errc::invalid_config, "shard count mismatch");
    auto self = req.self;
    self.state = "up";
    self.incarnation = 1;
    map_.members[self.node] = self;
    map_.roster[self.node].store_id = req.store_id;
    return {};
  }

  cluster_map current() const override {
    std::lock_guard<std::mutex> guard{mtx_};
    return map_;
  }

  void subscribe(listener) override {
    // Nothing ever changes.
  }

  caf::expected<int64_t> cas_shard(uint32_t, int64_t, const shard_entry&) override {
    return make_runtime_error(runtime_errc::rejected,
                              "a single-node control plane has no shard to move");
  }

  caf::error set_state(const std::string&) override {
    return {};
  }

  caf::error leave() override {
    return {};
  }

  bool registered() const override {
    return true;
  }

private:
  mutable std::mutex mtx_;
  cluster_map map_;
};

} // namespace

control_plane_ptr make_static_control_plane(const std::string& node_id, uint32_t shard_count) {
  return std::make_shared<static_control_plane>(node_id, shard_count);
}

} // namespace sagaforge::cluster
