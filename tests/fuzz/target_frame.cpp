// Target frame: a data-plane frame from a peer (cluster/transport/frame.hpp) as the gateway
// and the router take it: decode_frame (gateway.cpp drops what does not decode), then per
// item what cluster_router::accept / deliver_local check before routing: the Envelope or Ack
// parsed, validate_ref / is_client_ref / shard_of of the receiver, the envelope id parsed.
// The gateway's handler has no catch: nothing may escape. Property: a decoded frame encodes
// (encode_item, encode_frame) and decodes to the same items.
#include "cluster/transport/frame.hpp"
#include "runtime/durable_mailbox.hpp"
#include "runtime/entity_ref.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include "envelope.pb.h"

namespace sagaforge::fuzz {

namespace {

using namespace sagaforge::cluster;

std::vector<std::string> seeds() {
  Envelope env;
  env.set_id("order/O-1->payment/O-1#1");
  env.set_sender("order/O-1");
  env.set_receiver("payment/O-1");
  env.set_type("sagaforge.payment.Authorize");
  env.set_payload("\x08\x64");
  env.set_channel_seq(1);
  env.set_channel_floor(1);
  env.set_attempt(1);
  env.set_created_at_ms(1700000000000);
  env.set_correlation_id("O-1");
  Ack ack;
  ack.set_sender("client/web");
  ack.set_receiver("order/O-1");
  ack.set_channel_seq(4);
  ack.set_reply_type("sagaforge.order.OrderView");
  frame_item deliver{item_kind::deliver, 17, 3, "", "", 0, env.SerializeAsString()};
  frame_item whole_ack{item_kind::ack, 0, 0, "client/web", "", 0, ack.SerializeAsString()};
  frame_item acked{item_kind::acked, 0, 0, "order/O-1", "payment/O-1", 1, ""};
  frame_item moved{item_kind::moved, 17, 4, "payment/O-1", "", 0, ""};
  moved.receiver = "node-2";
  std::vector<std::string> out;
  auto frame = [&](std::initializer_list<const frame_item*> items) {
    std::string body;
    for (auto* it : items)
      encode_item(*it, body);
    return encode_frame(frame_header{"node-1", 1700000000000123}, body);
  };
  out.push_back(frame({}));
  out.push_back(frame({&deliver}));
  out.push_back(frame({&whole_ack, &acked}));
  out.push_back(frame({&moved}));
  out.push_back(frame({&deliver, &acked, &whole_ack, &moved, &deliver}));
  return out;
}

bool same(const frame_item& a, const frame_item& b) {
  return a.kind == b.kind && a.shard == b.shard && a.epoch == b.epoch && a.to == b.to
         && a.receiver == b.receiver && a.seq == b.seq && a.payload == b.payload;
}

} // namespace

target frame_target() {
  target t;
  t.name = "frame";
  t.seeds = seeds;
  t.max_len = 4096;
  t.dictionary = {"SFF1", "node-1", "order/O-1", "client/web", "->", "#",
                  std::string("\x01\x00\x00\x00\x00", 5), std::string("\x03\x00\x00\x00\x14", 5)};
  t.run = [](std::string_view data, uint64_t&, uint64_t&) {
    auto f = decode_frame(data);
    if (!f)
      return;
    std::string body;
    for (auto& it : f->items) {
      encode_item(it, body);
      switch (it.kind) {
        case item_kind::deliver: {
          Envelope env;
          if (!env.ParseFromString(it.payload) || validate_ref(env.receiver())
              || is_client_ref(env.receiver()))
            break;
          (void) shard_of(env.receiver(), 64);
          (void) validate_ref(env.sender());
          std::string receiver;
          uint64_t seq = 0;
          (void) parse_envelope_id(env.id(), receiver, seq);
          (void) is_envelope_id(env.id(), env.sender(), env.receiver(), env.channel_seq());
          break;
        }
        case item_kind::ack: {
          Ack ack;
          (void) ack.ParseFromString(it.payload);
          (void) validate_ref(it.to);
          break;
        }
        case item_kind::acked:
        case item_kind::moved:
          (void) validate_ref(it.to);
          (void) shard_of(it.to, 64);
          break;
      }
    }
    auto again = decode_frame(encode_frame(f->header, body));
    bool ok = again && again->header.from == f->header.from
              && again->header.incarnation == f->header.incarnation
              && again->items.size() == f->items.size();
    for (size_t i = 0; ok && i < f->items.size(); ++i)
      ok = same(f->items[i], again->items[i]);
    if (!ok)
      throw finding("a decoded frame does not survive encode + decode");
  };
  return t;
}

} // namespace sagaforge::fuzz
