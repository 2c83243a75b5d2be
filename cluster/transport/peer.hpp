// One peer node as the data plane sees it: its outbox (filled by the router), its link actor
// (which dials it and sends frames), and the handle of its gateway once connected (used for
// the few request/response reads that cross nodes: inspect, known refs). Shared between the
// router (any thread) and the link actor.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "caf/actor.hpp"

#include "cluster/transport/peer_outbox.hpp"

namespace sagaforge::cluster {

struct peer {
  peer(std::string id, size_t buffer_bytes) : node(std::move(id)), outbox(buffer_bytes) {}

  const std::string node;
  peer_outbox outbox;
  caf::actor link;  // set once, before the peer is published to other threads

  caf::actor gateway() const {
    std::lock_guard<std::mutex> guard{mtx};
    return gateway_;
  }
  void set_gateway(caf::actor g) {
    std::lock_guard<std::mutex> guard{mtx};
    gateway_ = std::move(g);
  }

  /// "up" (connected), "unreachable" (dialling), "down" (no member registered), "left".
  std::string state() const {
    std::lock_guard<std::mutex> guard{mtx};
    return state_;
  }
  void set_state(std::string s) {
    std::lock_guard<std::mutex> guard{mtx};
    state_ = std::move(s);
  }

private:
  mutable std::mutex mtx;
  caf::actor gateway_;
  std::string state_ = "unreachable";
};

using peer_ptr = std::shared_ptr<peer>;

} // namespace sagaforge::cluster
