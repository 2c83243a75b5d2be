// Per-peer item buffer (see peer_outbox.hpp).
#include "cluster/transport/peer_outbox.hpp"

#include "runtime/log_keys.hpp"

namespace sagaforge::cluster {

peer_outbox::pushed peer_outbox::push(const frame_item& item) {
  std::string encoded;
  encode_item(item, encoded);  // outside the lock
  std::lock_guard<std::mutex> guard{mtx_};
  if (buf_.size() + encoded.size() > max_bytes_) {
    items_dropped++;
    return pushed::dropped;
  }
  bool was_empty = buf_.empty();
  buf_.append(encoded);
  return was_empty ? pushed::first : pushed::queued;
}

std::string peer_outbox::take(size_t max_bytes) {
  std::lock_guard<std::mutex> guard{mtx_};
  // Items are kind u8 | len u32 | body: cut after the last whole item that fits.
  size_t cut = 0;
  size_t items = 0;
  while (cut + 5 <= buf_.size()) {
    auto len = static_cast<size_t>(get_be(buf_, cut + 1, 4));
    if (items > 0 && cut + 5 + len > max_bytes)
      break;
    cut += 5 + len;
    ++items;
  }
  std::string out = buf_.substr(0, cut);
  buf_.erase(0, cut);
  items_sent += items;
  return out;
}

bool peer_outbox::empty() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return buf_.empty();
}

size_t peer_outbox::bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return buf_.size();
}

} // namespace sagaforge::cluster
