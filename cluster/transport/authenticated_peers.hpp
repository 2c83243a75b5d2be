// Which node id each connected peer process has proven (peer_identity.hpp), by the CAF node
// id of its process: the gateway accepts frames and reads only from a process bound to the
// node the frame names. A node id is bound to one process at a time (a restart's new process
// replaces the old binding), so the table holds at most one entry per peer. Thread-safe:
// links bind on their threads, the gateway reads on its own.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "caf/node_id.hpp"

namespace sagaforge::cluster {

class authenticated_peers {
public:
  void bind(const caf::node_id& process, const std::string& node) {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto i = by_process_.begin(); i != by_process_.end();)
      i = i->second == node ? by_process_.erase(i) : std::next(i);
    by_process_[process] = node;
  }

  /// The node `process` proved to be; "" when none.
  std::string node_of(const caf::node_id& process) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = by_process_.find(process);
    return i == by_process_.end() ? std::string{} : i->second;
  }

private:
  mutable std::mutex mtx_;
  std::map<caf::node_id, std::string> by_process_;
};

} // namespace sagaforge::cluster
