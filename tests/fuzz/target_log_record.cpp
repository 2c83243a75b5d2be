// Target log_record: one stored log value (record_codec.hpp: flags | ref_len | ref | crc |
// wake | StepRecord) read back the way an entity's activation does: stored in a memory store
// under log key (shard, 1) and recovered with recover_entity (decode_log_header,
// verify_log_checksum, decode_step_record, apply_record through the points entity's apply, the
// durable mailbox). entity_actor.cpp and entity_peek.cpp wrap recovery in catch
// (std::exception) and catch (...): so does this target. Also decode_log_header with and
// without verification, as the start-up scan calls it.
#include "actors/points/points.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/log_keys.hpp"
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
  uint64_t ev_seq = 1;
  auto record = [&](int n_events, bool outbox, bool inbound, int64_t wake) {
    StepRecord rec;
    rec.set_first_event_seq(ev_seq);
    for (int i = 0; i < n_events; ++i) {
      points::PointsEvent ev;
      if (i % 2 == 0) {
        ev.mutable_earned()->set_transaction_id("T-" + std::to_string(i));
        ev.mutable_earned()->set_points(100 + i);
        ev.mutable_earned()->set_reason("order");
      } else {
        ev.mutable_deducted()->set_transaction_id("T-" + std::to_string(i - 1));
        ev.mutable_deducted()->set_points(50);
      }
      rec.add_events(ev.SerializeAsString());
    }
    if (inbound) {
      rec.set_inbound_sender("redemption/R-1");
      rec.set_inbound_seq(3);
    }
    if (outbox) {
      auto* env = rec.add_outbox();
      env->set_receiver("redemption/R-1");
      env->set_type("sagaforge.points.PointsDeducted");
      env->set_payload("\x0a\x03T-1\x10\x32");
      env->set_channel_seq(2);
      env->set_attempt(1);
      env->set_created_at_ms(1700000000000);
      env->set_correlation_id("R-1");
      rec.add_acked("redemption/R-1#2");
    }
    if (wake > 0) {
      auto* t = rec.add_timers_set();
      t->set_name("expire");
      t->set_due_ms(wake);
      t->set_type("sagaforge.TimerFired");
    }
    rec.set_at_ms(1700000000123);
    record_work w{outbox, wake};
    return encode_log_value(w, self_ref, rec);
  };
  out.push_back(record(1, false, false, 0));
  out.push_back(record(2, true, true, 0));
  out.push_back(record(0, false, true, 1700000060000));
  out.push_back(record(3, true, true, 1700000090000));
  {  // another entity's record: skipped by its header
    StepRecord rec;
    rec.set_at_ms(5);
    out.push_back(encode_log_value({}, "points/C-2", rec));
  }
  return out;
}

} // namespace

target log_record_target() {
  target t;
  t.name = "log_record";
  t.seeds = seeds;
  t.max_len = 2048;
  t.dictionary = {self_ref, "points/", "->", "#", std::string("\x00\x00\x00\x01", 4)};
  static auto logic = points::make_points_logic();
  t.run = [](std::string_view data, uint64_t& caught, uint64_t& /*skipped*/) {
    std::string value{data};
    if (value.size() >= 3 && (value[0] & record_flag_checksum) && reseal_this(value))
      reseal(value, 3 + get_be(value, 1, 2));
    (void) decode_log_header(value, false);
    (void) verify_log_checksum(value);
    memory_store st;
    auto shard = shard_of(self_ref, 64);
    st.poke(table::log, log_key(shard, 1), value);
    entity_image img;
    try {
      (void) recover_entity(st, *logic, self_ref, shard, 1, 1, img);
    } catch (const std::exception&) {
      ++caught;
    } catch (...) {
      ++caught;
    }
  };
  return t;
}

} // namespace sagaforge::fuzz
