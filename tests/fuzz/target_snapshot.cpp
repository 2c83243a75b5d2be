// Target snapshot: one stored snapshot value (record_codec.hpp: flags | covered_log_seq |
// crc | wake | EntitySnapshot) read back as an activation does: stored in a memory store
// under the entity's ref and recovered with recover_entity (decode_snapshot_header,
// EntitySnapshot and state parsing, durable_mailbox::load of outbox, channels and timers),
// inside the same catch (std::exception) / catch (...) as entity_actor.cpp.
#include "actors/points/points.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/record_codec.hpp"
#include "runtime/recovery.hpp"
#include "tests/fuzz/fuzz_target.hpp"
#include "tests/fuzz/reseal.hpp"

#include "points.pb.h"

namespace sagaforge::fuzz {

namespace {

const std::string self_ref = "points/C-1";

std::vector<std::string> seeds() {
  std::vector<std::string> out;
  auto snapshot = [&](int channels, bool outbox, int64_t wake) {
    EntitySnapshot s;
    s.set_entity(self_ref);
    points::PointsState st;
    s.set_state(st.SerializeAsString());
    s.set_event_seq(7);
    s.set_covered_log_seq(12);
    s.set_at_ms(1700000000000);
    for (int i = 0; i < channels; ++i) {
      auto* c = s.add_in_channels();
      c->set_sender("redemption/R-" + std::to_string(i));
      c->set_watermark(5 + i);
      c->set_last_seen_ms(1700000000000 - i);
      if (i == 1)
        c->add_failed_seqs(4);
      auto* o = s.add_out_channels();
      o->set_receiver("redemption/R-" + std::to_string(i));
      o->set_last_seq(3 + i);
    }
    if (outbox) {
      auto* env = s.add_outbox();
      env->set_sender(self_ref);
      env->set_receiver("redemption/R-0");
      env->set_id(self_ref + "->redemption/R-0#3");
      env->set_type("sagaforge.points.PointsDeducted");
      env->set_channel_seq(3);
      env->set_channel_floor(3);
      env->set_attempt(2);
    }
    if (wake > 0) {
      auto* t = s.add_timers();
      t->set_name("expire");
      t->set_due_ms(wake);
      t->set_type("sagaforge.TimerFired");
    }
    return encode_snapshot_value(record_work{outbox, wake}, s);
  };
  out.push_back(snapshot(0, false, 0));
  out.push_back(snapshot(2, true, 0));
  out.push_back(snapshot(1, false, 1700000060000));
  return out;
}

} // namespace

target snapshot_target() {
  target t;
  t.name = "snapshot";
  t.seeds = seeds;
  t.max_len = 2048;
  t.dictionary = {self_ref, "redemption/R-0", "->", "#"};
  static auto logic = points::make_points_logic();
  t.run = [](std::string_view data, uint64_t& caught, uint64_t&) {
    std::string value{data};
    if (value.size() >= 9 && (value[0] & record_flag_checksum) && reseal_this(value))
      reseal(value, 9);
    memory_store st;
    st.poke(table::snapshots, self_ref, value);
    entity_image img;
    try {
      (void) recover_entity(st, *logic, self_ref, shard_of(self_ref, 64), 0, 0, img);
    } catch (const std::exception&) {
      ++caught;
    } catch (...) {
      ++caught;
    }
  };
  return t;
}

} // namespace sagaforge::fuzz
