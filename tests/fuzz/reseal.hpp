// Shared by the stored-record targets: recomputes a value's CRC-32 (record_codec.hpp's layout,
// zlib's crc32 over every byte but its own 4) so that half of the mutated records get past
// the checksum and reach the parsers behind it, as a record damaged before it was sealed
// (or one of format 1/2, which has none) would.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>

namespace sagaforge::fuzz {

inline void reseal(std::string& v, size_t crc_at) {
  if (v.size() < crc_at + 4)
    return;
  auto c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(v.data()), static_cast<uInt>(crc_at));
  c = crc32(c, reinterpret_cast<const Bytef*>(v.data() + crc_at + 4),
            static_cast<uInt>(v.size() - crc_at - 4));
  for (size_t i = 0; i < 4; ++i)
    v[crc_at + i] = static_cast<char>((c >> (24 - 8 * i)) & 0xff);
}

/// Whether this input is resealed: a property of its bytes, so a reproducer replays the same.
inline bool reseal_this(const std::string& v) {
  uint32_t h = 2166136261u;
  for (unsigned char c : v)
    h = (h ^ c) * 16777619u;
  return (h & 1) != 0;
}

} // namespace sagaforge::fuzz
