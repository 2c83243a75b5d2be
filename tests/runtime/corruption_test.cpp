// Corrupt or truncated stored records give a clear error, never a crash and never a
// silent reset of state; messages to such an entity stay in their senders' outboxes until
// the retry policy dead-letters them at the sender, which is told.
#define CAF_SUITE runtime.corruption
#include "caf/test/dsl.hpp"

#include <functional>

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/record_codec.hpp"
#include "tests/support/counter_commands.hpp"
#include "tests/support/test_node.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace std::chrono_literals;
using sagaforge::counter::CounterState;

namespace {

std::vector<entity_logic_ptr> counters() {
  return {counter::make_counter_logic(0)};  // journal only: every record matters
}

/// Writes two adds to counter/a, returns the clock; the store then holds 2 log records.
int64_t seed(std::shared_ptr<memory_store> st) {
  test_node node{st, counters()};
  node.send("counter/a", add(1));
  node.send("counter/a", add(2));
  node.run();
  return node.now_ms();
}

std::string first_log_key(memory_store& st) {
  std::string key;
  st.scan(table::log, {}, [&](std::string_view k, std::string_view) {
    key = std::string{k};
    return false;
  });
  return key;
}

} // namespace

CAF_TEST(an event that does not parse stops recovery with corrupt_record) {
  auto st = std::make_shared<memory_store>();
  auto clock = seed(st);
  auto key = first_log_key(*st);
  auto raw = st->get(table::log, key);
  auto hdr = decode_log_header(**raw);
  CAF_REQUIRE(hdr);
  auto rec = decode_step_record(*hdr, "test");
  CAF_REQUIRE(rec);
  rec->set_events(0, std::string("\xff\xff\xff\xff", 4));
  st->poke(table::log, key, encode_log_value(hdr->work(), hdr->ref, *rec));
  test_node node{st, counters(), test_settings(), clock + 10};
  auto rep = node.report("counter/a");
  CAF_CHECK_EQUAL(rep.mode(), "broken");
  CAF_CHECK_NOT_EQUAL(rep.error().find("runtime.corrupt_record"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(rep.error().find("does not parse"), std::string::npos);
  CAF_CHECK_EQUAL(node.runtime().context().counters().recovery_failures.load(), 1u);
  // New commands are not applied to a reset state: they stay unacknowledged.
  auto seq = node.send("counter/a", add(100));
  node.run();
  CAF_CHECK(node.ack_for("counter/a", seq) == nullptr);
  CAF_CHECK_EQUAL(node.report("counter/a").event_seq(), 0u);
}

CAF_TEST(an event of no kind or of a newer build stops recovery with corrupt_record) {
  // Both parse as the entity's Event with its oneof unset; apply would assert and abort the
  // node (found by sagaforge-fuzz, tests/fuzz/findings/log_record-kindless-event.bin).
  for (auto bytes : {std::string{}, std::string("\x78\x01", 2)}) {  // nothing; field 15 = 1
    auto st = std::make_shared<memory_store>();
    auto clock = seed(st);
    auto key = first_log_key(*st);
    auto raw = st->get(table::log, key);  // the header views into it: keep it alive
    auto hdr = decode_log_header(**raw);
    CAF_REQUIRE(hdr);
    auto rec = decode_step_record(*hdr, "test");
    CAF_REQUIRE(rec);
    rec->set_events(0, bytes);
    st->poke(table::log, key, encode_log_value(hdr->work(), hdr->ref, *rec));
    test_node node{st, counters(), test_settings(), clock + 10};
    auto rep = node.report("counter/a");
    CAF_CHECK_EQUAL(rep.mode(), "broken");
    CAF_CHECK_NOT_EQUAL(rep.error().find("runtime.corrupt_record"), std::string::npos);
    CAF_CHECK_NOT_EQUAL(rep.error().find("has no kind: damaged, or written by a newer build"),
                        std::string::npos);
    auto seq = node.send("counter/a", add(100));
    node.run();
    CAF_CHECK(node.ack_for("counter/a", seq) == nullptr);
  }
}

CAF_TEST(a truncated log record gives a clear error) {
  auto st = std::make_shared<memory_store>();
  auto clock = seed(st);
  auto key = first_log_key(*st);
  st->poke(table::log, key, std::string("\x01\x00", 2));
  test_node node{st, counters(), test_settings(), clock + 10};
  auto rep = node.report("counter/a");
  CAF_CHECK_EQUAL(rep.mode(), "broken");
  CAF_CHECK_NOT_EQUAL(rep.error().find("truncated"), std::string::npos);
}

CAF_TEST(a step record with garbage bytes gives a clear error) {
  auto st = std::make_shared<memory_store>();
  auto clock = seed(st);
  auto key = first_log_key(*st);
  auto raw = st->get(table::log, key);
  auto value = **raw;
  value.replace(value.size() - 6, 6, std::string(6, '\xff'));
  st->poke(table::log, key, value);
  test_node node{st, counters(), test_settings(), clock + 10};
  auto rep = node.report("counter/a");
  CAF_CHECK_EQUAL(rep.mode(), "broken");
  CAF_CHECK_NOT_EQUAL(rep.error().find("corrupt_record"), std::string::npos);
}

CAF_TEST(a corrupt snapshot gives a clear error) {
  auto st = std::make_shared<memory_store>();
  st->poke(table::snapshots, "counter/a", std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x01zz", 11));
  test_node node{st, counters()};
  auto rep = node.report("counter/a");
  CAF_CHECK_EQUAL(rep.mode(), "broken");
  CAF_CHECK_NOT_EQUAL(rep.error().find("snapshot of counter/a"), std::string::npos);
}

CAF_TEST(messages to a broken entity are dead-lettered at the sender after the retry policy) {
  auto st = std::make_shared<memory_store>();
  st->poke(table::snapshots, "counter/b", "garbage");
  test_node node{st, counters()};
  counter::Forward fw;
  fw.set_to("counter/b");
  fw.set_amount(2);
  node.send("counter/a", fw);
  node.run();
  CAF_CHECK_EQUAL(node.report("counter/a").outbox_size(), 1u);
  CAF_CHECK_EQUAL(node.runtime().context().counters().outbox_entries.load(), 1u);  // backlog
  for (int i = 0; i < 40; ++i)
    node.advance(1000ms);
  auto s = node.state_of<CounterState>("counter/a");
  CAF_CHECK_EQUAL(s.failures(), 1);
  CAF_CHECK_EQUAL(node.report("counter/a").outbox_size(), 0u);
  CAF_CHECK_EQUAL(node.runtime().context().counters().outbox_entries.load(), 0u);
  auto dls = node.runtime().dead_letters();
  CAF_REQUIRE(dls);
  CAF_REQUIRE_EQUAL(dls->size(), 1u);
  CAF_CHECK_EQUAL((*dls)[0].reason(), "max_attempts");
  CAF_CHECK_EQUAL((*dls)[0].where(), "sender");
  CAF_CHECK_EQUAL((*dls)[0].attempts(), static_cast<uint32_t>(test_settings().retry_max_attempts));
  CAF_CHECK_GREATER_OR_EQUAL(node.runtime().context().counters().resends.load(),
                             static_cast<uint64_t>(test_settings().retry_max_attempts - 1));
}

CAF_TEST(a later message on a channel is not stuck behind a dead-lettered gap) {
  auto st = std::make_shared<memory_store>();
  st->poke(table::snapshots, "counter/b", "garbage");
  int64_t clock = 0;
  {
    test_node node{st, counters()};
    counter::Forward fw;
    fw.set_to("counter/b");
    fw.set_amount(2);
    node.send("counter/a", fw);  // seq 1 on a->b: undeliverable for now
    node.run();
    for (int i = 0; i < 40; ++i)
      node.advance(1000ms);
    CAF_REQUIRE_EQUAL(node.state_of<CounterState>("counter/a").failures(), 1);
    clock = node.now_ms();
  }
  st->write({mutation{table::snapshots, "counter/b", "", true}});  // b repaired
  test_node node{st, counters(), test_settings(), clock + 10};
  counter::Forward fw;
  fw.set_to("counter/b");
  fw.set_amount(5);
  node.send("counter/a", fw, "client/second");  // a new client incarnation
  // a sends seq 2 on a->b with floor 2: b must not wait for the dead-lettered seq 1.
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/b").value(), 5);
}

namespace {

/// Re-encodes `value` with `change` applied to its record but keeps the old checksum: a
/// damaged byte that still parses, as bit rot would leave it.
std::string damaged_but_parsable(const std::string& value,
                                 const std::function<void(StepRecord&)>& change) {
  auto hdr = decode_log_header(value);
  CAF_REQUIRE(hdr);
  auto rec = decode_step_record(*hdr, "test");
  CAF_REQUIRE(rec);
  change(*rec);
  auto out = encode_log_value(hdr->work(), hdr->ref, *rec);
  auto crc_at = 3 + hdr->ref.size();
  out.replace(crc_at, 4, value.substr(crc_at, 4));
  return out;
}

} // namespace

CAF_TEST(a damaged log record that still parses is caught by its checksum) {
  auto st = std::make_shared<memory_store>();
  auto clock = seed(st);
  auto key = first_log_key(*st);
  auto raw = st->get(table::log, key);
  st->poke(table::log, key, damaged_but_parsable(**raw, [](StepRecord& rec) {
             counter::CounterEvent ev;
             ev.mutable_added()->set_amount(9);  // was 1
             rec.set_events(0, ev.SerializeAsString());
           }));
  test_node node{st, counters(), test_settings(), clock + 10};
  auto rep = node.report("counter/a");
  CAF_CHECK_EQUAL(rep.mode(), "broken");
  CAF_CHECK_NOT_EQUAL(rep.error().find("checksum"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(rep.error().find(std::to_string(log_key_seq(key))), std::string::npos);
  CAF_CHECK_EQUAL(node.runtime().context().counters().recovery_failures.load(), 1u);
}

CAF_TEST(a damaged snapshot that still parses is caught by its checksum) {
  auto st = std::make_shared<memory_store>();
  int64_t clock = 0;
  {
    test_node node{st, {counter::make_counter_logic(1)}};  // a snapshot after every record
    node.send("counter/a", add(4));
    node.run();
    clock = node.now_ms();
  }
  auto raw = st->get(table::snapshots, "counter/a");
  CAF_REQUIRE(raw && *raw);
  auto hdr = decode_snapshot_header(**raw);
  CAF_REQUIRE(hdr);
  EntitySnapshot snap;
  CAF_REQUIRE(snap.ParseFromArray(hdr->body.data(), static_cast<int>(hdr->body.size())));
  CounterState s;
  s.ParseFromString(snap.state());
  s.set_value(400);
  snap.set_state(s.SerializeAsString());
  auto forged = encode_snapshot_value(hdr->work(), snap);
  forged.replace(9, 4, raw->value().substr(9, 4));  // the old checksum
  st->poke(table::snapshots, "counter/a", forged);
  test_node node{st, {counter::make_counter_logic(1)}, test_settings(), clock + 10};
  auto rep = node.report("counter/a");
  CAF_CHECK_EQUAL(rep.mode(), "broken");
  CAF_CHECK_NOT_EQUAL(rep.error().find("checksum"), std::string::npos);
}

CAF_TEST(a damaged dead letter that still parses is reported and not listed) {
  auto st = std::make_shared<memory_store>();
  DeadLetter dl;
  dl.set_id(1);
  dl.set_reason("poison");
  dl.mutable_envelope()->set_receiver("counter/a");
  dl.mutable_envelope()->set_payload("amount 5");
  auto value = encode_dead_letter(dl);
  auto round = decode_dead_letter(value);
  CAF_REQUIRE(round);
  CAF_CHECK_EQUAL(round->envelope().payload(), "amount 5");
  value[value.find("amount 5") + 7] = '9';  // still parses
  st->poke(table::dead_letters, id_key(1), value);
  test_node node{st, counters()};
  auto dls = node.runtime().dead_letters();
  CAF_REQUIRE(!dls);
  CAF_CHECK_NOT_EQUAL(describe(dls.error()).find("checksum"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(describe(dls.error()).find("dead letter 1"), std::string::npos);
}

CAF_TEST(dead letters and records written before checksums still read) {
  DeadLetter dl;
  dl.set_id(7);
  dl.set_reason("max_attempts");
  auto old = decode_dead_letter(dl.SerializeAsString());  // format 2: the bytes alone
  CAF_REQUIRE(old);
  CAF_CHECK_EQUAL(old->reason(), "max_attempts");
  StepRecord rec;
  rec.set_at_ms(5);
  std::string v2{"\x01\x00\x09", 3};  // flags: pending, no checksum; ref length 9
  v2 += "counter/a";
  rec.AppendToString(&v2);
  auto hdr = decode_log_header(v2);
  CAF_REQUIRE(hdr);
  CAF_CHECK(hdr->deliver_pending());
  CAF_CHECK_EQUAL(hdr->ref, "counter/a");
  CAF_CHECK(verify_log_checksum(v2));
}
