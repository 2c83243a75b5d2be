// Target dead_letter: one stored dead letter (0x00 | crc | DeadLetter, or format 2's bare
// DeadLetter) as the admin API reads it: decode_dead_letter (dead_letter_admin.cpp), then the
// listing's JSON (envelope_json, payload_json of the payload's own type, to_json) and the
// listing's filter (dead_letter_filter.hpp). The HTTP route table catches std::exception
// around a handler (a 500): so does this target. Property: a decoded dead letter encodes and
// decodes to the same message.
#include "http/dead_letter_filter.hpp"
#include "http/face_context.hpp"
#include "http/json_io.hpp"
#include "runtime/record_codec.hpp"
#include "tests/fuzz/fuzz_target.hpp"
#include "tests/fuzz/reseal.hpp"

#include "points.pb.h"

namespace sagaforge::fuzz {

namespace {

std::vector<std::string> seeds() {
  std::vector<std::string> out;
  auto letter = [](const std::string& reason, const std::string& type, const std::string& payload,
                   bool replayed) {
    DeadLetter dl;
    dl.set_id(42);
    auto* env = dl.mutable_envelope();
    env->set_sender("redemption/R-1");
    env->set_receiver("points/C-1");
    env->set_id("redemption/R-1->points/C-1#2");
    env->set_type(type);
    env->set_payload(payload);
    env->set_channel_seq(2);
    env->set_attempt(25);
    env->set_created_at_ms(1700000000000);
    env->set_correlation_id("R-1");
    dl.set_reason(reason);
    dl.set_last_error("no ack from the receiver");
    dl.set_attempts(25);
    dl.set_at_ms(1700003600000);
    dl.set_where("sender");
    dl.set_replayed(replayed);
    return dl;
  };
  points::DeductPoints d;
  d.set_transaction_id("R-1");
  d.set_points(300);
  auto a = letter("max_attempts", "sagaforge.points.DeductPoints", d.SerializeAsString(), false);
  out.push_back(encode_dead_letter(a));
  out.push_back(a.SerializeAsString());  // format 2: no checksum
  out.push_back(encode_dead_letter(letter("poison", "sagaforge.unknown.Type", "\x01\x02", true)));
  out.push_back(encode_dead_letter(letter("max_age", "", "", false)));
  return out;
}

} // namespace

target dead_letter_target() {
  target t;
  t.name = "dead_letter";
  t.seeds = seeds;
  t.max_len = 2048;
  t.dictionary = {"sagaforge.points.DeductPoints", "sagaforge.points.EarnPoints", "points/",
                  "client/", "/", "->", "#"};
  t.run = [](std::string_view data, uint64_t& caught, uint64_t&) {
    std::string value{data};
    if (!value.empty() && value[0] == '\0' && reseal_this(value))
      reseal(value, 1);
    auto dl = decode_dead_letter(value);
    if (!dl)
      return;
    auto again = decode_dead_letter(encode_dead_letter(*dl));
    if (!again || again->SerializeAsString() != dl->SerializeAsString())
      throw finding("a decoded dead letter does not survive encode + decode");
    try {
      http::json j = http::to_json(*dl);
      j["envelope"] = http::envelope_json(dl->envelope());
      httplib::Response res;
      http::send_json(res, 200, j);  // the face's answer (invalid UTF-8 replaced)
      for (auto& f : {http::dl_filter{"poison", "", "", -1}, http::dl_filter{"", "points", "", 0},
                      http::dl_filter{"", "", "points/C-1", 1}})
        (void) f.matches(*dl);
    } catch (const std::exception&) {
      ++caught;
    }
  };
  return t;
}

} // namespace sagaforge::fuzz
