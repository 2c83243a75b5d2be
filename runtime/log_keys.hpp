// Byte layout of log and dead-letter keys: big-endian so LMDB's byte order is numeric
// order, which keeps the hot write path appending (see shared limits: 12x vs random keys).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sagaforge {

inline void put_be64(std::string& out, uint64_t x) {
  for (int i = 7; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (i * 8)) & 0xff));
}

inline void put_be32(std::string& out, uint32_t x) {
  for (int i = 3; i >= 0; --i)
    out.push_back(static_cast<char>((x >> (i * 8)) & 0xff));
}

inline uint64_t get_be(std::string_view in, size_t offset, size_t len) {
  uint64_t x = 0;
  for (size_t i = 0; i < len; ++i)
    x = (x << 8) | static_cast<unsigned char>(in[offset + i]);
  return x;
}

/// Log key: shard (4 bytes) then seq (8 bytes).
inline std::string log_key(uint32_t shard, uint64_t seq) {
  std::string k;
  k.reserve(12);
  put_be32(k, shard);
  put_be64(k, seq);
  return k;
}

inline std::string shard_prefix(uint32_t shard) {
  std::string k;
  put_be32(k, shard);
  return k;
}

inline bool is_log_key(std::string_view k) {
  return k.size() == 12;
}

inline uint32_t log_key_shard(std::string_view k) {
  return static_cast<uint32_t>(get_be(k, 0, 4));
}

inline uint64_t log_key_seq(std::string_view k) {
  return get_be(k, 4, 8);
}

inline std::string id_key(uint64_t id) {
  std::string k;
  put_be64(k, id);
  return k;
}

} // namespace sagaforge
