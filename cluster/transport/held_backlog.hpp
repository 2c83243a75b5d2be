// held_backlog: how many envelopes are waiting for each destination node because it cannot be
// reached — the per-destination backlog operators watch during an outage (docs/cluster.md).
// The envelopes themselves stay in their senders' durable outboxes; the router only sees
// their send attempts, so it keeps the identity (sender, seq) of each delivery it had to
// hold, drops it when a later attempt goes out, and counts those attempted within a window
// (the retry policy's longest backoff, twice): an entry that stops being attempted — acked
// after all, or dead-lettered past retry.max-age-ms — ages out of the count. Bounded: at most
// `max_keys` identities per destination (beyond that the count saturates and says so).
// Thread-safe: called from every entity's thread through the router.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sagaforge::cluster {

class held_backlog {
public:
  held_backlog(int64_t window_ms, size_t max_keys) : window_ms_(window_ms), max_keys_(max_keys) {}

  void set_window_ms(int64_t ms) {
    std::lock_guard<std::mutex> guard{mtx_};
    window_ms_ = ms;
  }

  /// A delivery (`key`: its sender and seq) could not go to `node` at `now_ms`.
  void held(const std::string& node, const std::string& key, int64_t now_ms);
  /// A delivery went out to `node`: no longer waiting.
  void sent(const std::string& node, const std::string& key);

  struct reading {
    uint64_t envelopes = 0;  // distinct deliveries held within the window
    uint64_t attempts = 0;   // every held attempt since start
    bool saturated = false;  // max_keys reached: `envelopes` is a lower bound
  };
  reading read(const std::string& node, int64_t now_ms);

private:
  struct destination {
    std::unordered_map<std::string, int64_t> last_held_ms;
    uint64_t attempts = 0;
  };
  void prune(destination& d, int64_t now_ms);

  int64_t window_ms_;
  size_t max_keys_;
  std::atomic<size_t> keys_{0};  // all destinations: sent() skips the lock while 0
  std::mutex mtx_;
  std::map<std::string, destination> by_node_;
};

} // namespace sagaforge::cluster
