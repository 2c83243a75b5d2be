// The items waiting to go to one peer node: appended by the router on any entity's thread,
// taken by that peer's link actor a frame at a time. Bounded (cluster.peer-buffer-bytes):
// beyond it an item is dropped and counted — every delivery comes from a durable outbox and
// is resent, and a dropped ack makes its sender resend and the receiver ack again. Only the
// first append into an empty buffer needs to wake the link (one CAF message per burst).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "cluster/transport/frame.hpp"

namespace sagaforge::cluster {

class peer_outbox {
public:
  explicit peer_outbox(size_t max_bytes) : max_bytes_(max_bytes) {}

  enum class pushed { queued, first, dropped };

  /// Encodes and appends `item`; `first` when the buffer was empty.
  pushed push(const frame_item& item);

  /// Whole items, at most `max_bytes` of them (at least one item if any is waiting).
  std::string take(size_t max_bytes);

  bool empty() const;
  size_t bytes() const;

  /// Whether the link is connected: the router holds sends to an unreachable peer.
  std::atomic<bool> reachable{false};

  std::atomic<uint64_t> items_sent{0};
  std::atomic<uint64_t> items_dropped{0};
  std::atomic<uint64_t> frames_sent{0};
  std::atomic<uint64_t> bytes_sent{0};

private:
  size_t max_bytes_;
  mutable std::mutex mtx_;
  std::string buf_;
};

} // namespace sagaforge::cluster
