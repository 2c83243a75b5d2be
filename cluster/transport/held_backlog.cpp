// held_backlog (see held_backlog.hpp).
#include "cluster/transport/held_backlog.hpp"

namespace sagaforge::cluster {

void held_backlog::held(const std::string& node, const std::string& key, int64_t now_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& d = by_node_[node];
  ++d.attempts;
  auto i = d.last_held_ms.find(key);
  if (i != d.last_held_ms.end()) {
    i->second = now_ms;
    return;
  }
  if (d.last_held_ms.size() >= max_keys_)
    prune(d, now_ms);
  if (d.last_held_ms.size() < max_keys_) {
    d.last_held_ms.emplace(key, now_ms);
    ++keys_;
  }
}

void held_backlog::sent(const std::string& node, const std::string& key) {
  if (keys_.load(std::memory_order_relaxed) == 0)
    return;  // the common case: nothing is held anywhere
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = by_node_.find(node);
  if (i != by_node_.end() && i->second.last_held_ms.erase(key) > 0)
    --keys_;
}

held_backlog::reading held_backlog::read(const std::string& node, int64_t now_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  reading r;
  auto i = by_node_.find(node);
  if (i == by_node_.end())
    return r;
  prune(i->second, now_ms);
  r.envelopes = i->second.last_held_ms.size();
  r.attempts = i->second.attempts;
  r.saturated = r.envelopes >= max_keys_;
  return r;
}

void held_backlog::prune(destination& d, int64_t now_ms) {
  for (auto i = d.last_held_ms.begin(); i != d.last_held_ms.end();)
    if (now_ms - i->second > window_ms_) {
      i = d.last_held_ms.erase(i);
      --keys_;
    } else {
      ++i;
    }
}

} // namespace sagaforge::cluster
