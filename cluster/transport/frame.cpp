// Data-plane frame encoding and checked decoding (see frame.hpp).
#include "cluster/transport/frame.hpp"

#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"

namespace sagaforge::cluster {

namespace {

constexpr uint32_t frame_magic = 0x53464631;  // "SFF1"

void put_u16(std::string& out, size_t x) {
  out.push_back(static_cast<char>((x >> 8) & 0xff));
  out.push_back(static_cast<char>(x & 0xff));
}

void put_str16(std::string& out, std::string_view s) {
  put_u16(out, s.size());
  out.append(s);
}

/// A bounds-checked reader: every get fails (and stays failed) past the end.
struct reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;

  bool need(size_t n) {
    ok = ok && in.size() - pos >= n;
    return ok;
  }
  uint64_t num(size_t len) {
    if (!need(len))
      return 0;
    auto x = get_be(in, pos, len);
    pos += len;
    return x;
  }
  std::string str(size_t len) {
    if (!need(len))
      return {};
    std::string s{in.substr(pos, len)};
    pos += len;
    return s;
  }
  std::string str16() {
    return str(static_cast<size_t>(num(2)));
  }
};

caf::error bad(const std::string& what) {
  return make_runtime_error(runtime_errc::invalid_envelope, "data-plane frame: " + what);
}

bool decode_body(item_kind kind, reader& r, frame_item& it) {
  switch (kind) {
    case item_kind::deliver:
      it.shard = static_cast<uint32_t>(r.num(4));
      it.epoch = r.num(8);
      it.payload = r.str(r.in.size() - r.pos);
      return r.ok;
    case item_kind::ack:
      it.to = r.str16();
      it.payload = r.str(r.in.size() - std::min(r.pos, r.in.size()));
      return r.ok;
    case item_kind::acked:
      it.to = r.str16();
      it.receiver = r.str16();
      it.seq = r.num(8);
      return r.ok && r.pos == r.in.size();
    case item_kind::moved:
      it.to = r.str16();
      it.shard = static_cast<uint32_t>(r.num(4));
      it.epoch = r.num(8);
      it.receiver = r.str16();
      return r.ok && r.pos == r.in.size();
  }
  return false;
}

} // namespace

void encode_item(const frame_item& it, std::string& out) {
  std::string body;
  switch (it.kind) {
    case item_kind::deliver:
      put_be32(body, it.shard);
      put_be64(body, it.epoch);
      body.append(it.payload);
      break;
    case item_kind::ack:
      put_str16(body, it.to);
      body.append(it.payload);
      break;
    case item_kind::acked:
      put_str16(body, it.to);
      put_str16(body, it.receiver);
      put_be64(body, it.seq);
      break;
    case item_kind::moved:
      put_str16(body, it.to);
      put_be32(body, it.shard);
      put_be64(body, it.epoch);
      put_str16(body, it.receiver);
      break;
  }
  out.push_back(static_cast<char>(it.kind));
  put_be32(out, static_cast<uint32_t>(body.size()));
  out.append(body);
}

std::string encode_frame(const frame_header& hdr, std::string_view items) {
  std::string out;
  out.reserve(14 + hdr.from.size() + items.size());
  put_be32(out, frame_magic);
  put_str16(out, hdr.from);
  put_be64(out, hdr.incarnation);
  out.append(items);
  return out;
}

caf::expected<decoded_frame> decode_frame(std::string_view bytes) {
  reader r{bytes};
  if (r.num(4) != frame_magic)
    return bad("no frame magic (" + std::to_string(bytes.size()) + " bytes)");
  decoded_frame f;
  f.header.from = r.str16();
  f.header.incarnation = r.num(8);
  if (!r.ok)
    return bad("truncated header");
  while (r.ok && r.pos < bytes.size()) {
    auto kind = static_cast<uint8_t>(r.num(1));
    auto len = static_cast<size_t>(r.num(4));
    if (!r.need(len))
      return bad("item of " + std::to_string(len) + " bytes past the frame's end");
    if (kind < 1 || kind > 4)
      return bad("unknown item kind " + std::to_string(kind));
    reader body{bytes.substr(r.pos, len)};
    frame_item it;
    it.kind = static_cast<item_kind>(kind);
    if (!decode_body(it.kind, body, it))
      return bad("malformed item of kind " + std::to_string(kind));
    f.items.push_back(std::move(it));
    r.pos += len;
  }
  if (!r.ok)
    return bad("truncated item");
  return f;
}

} // namespace sagaforge::cluster
