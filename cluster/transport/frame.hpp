// The data plane's wire format: one frame (a std::string carried by BASP, so nothing needs a
// CAF type registration) holds a header and many items, each an envelope, an ack or a
// routing hint, so that a peer link sends one CAF message per flush instead of one per
// envelope (limits.md: ~70k/s one by one, 250-365k/s batched). Layout (integers big-endian):
//   frame  = magic u32 "SFF1" | from_len u16 | from | incarnation u64 | item*
//   item   = kind u8 | body_len u32 | body
//   deliver: shard u32 | epoch u64 | Envelope bytes        (the sender's map epoch of the shard)
//   ack:     to_len u16 | to | Ack bytes                    (a whole ack: clients, failures)
//   acked:   to_len u16 | to | recv_len u16 | receiver | seq u64   (a plain ack)
//   moved:   ref_len u16 | ref | shard u32 | epoch u64 | owner_len u16 | owner
// Decoding checks every length: bytes from a peer never crash a node (a bad frame is
// dropped whole and counted; its senders resend).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace sagaforge::cluster {

enum class item_kind : uint8_t { deliver = 1, ack = 2, acked = 3, moved = 4 };

struct frame_item {
  item_kind kind = item_kind::deliver;
  uint32_t shard = 0;     // deliver, moved
  uint64_t epoch = 0;     // deliver, moved
  std::string to;         // ack, acked: the ref the ack is for; moved: the ref that moved
  std::string receiver;   // acked: who acknowledges; moved: the shard's owner now
  uint64_t seq = 0;       // acked
  std::string payload;    // deliver: Envelope bytes; ack: Ack bytes
};

struct frame_header {
  std::string from;       // sending node id
  uint64_t incarnation = 0;
};

/// Appends one encoded item to `out` (a frame's item section).
void encode_item(const frame_item& item, std::string& out);

/// A frame: the header, then `items` (already encoded by encode_item).
std::string encode_frame(const frame_header& hdr, std::string_view items);

struct decoded_frame {
  frame_header header;
  std::vector<frame_item> items;
};

/// Parses a whole frame; runtime.invalid_envelope naming what is wrong, never a crash.
caf::expected<decoded_frame> decode_frame(std::string_view bytes);

} // namespace sagaforge::cluster
