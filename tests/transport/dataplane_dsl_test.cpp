// cluster.dataplane.dsl: the data plane message by message, deterministic and without sockets.
// Two nodes on CAF's io test DSL (point_to_point_fixture: test coordinator + test_multiplexer,
// BASP over simulated connections; see dataplane_dsl_fixture.hpp), each with its real
// router, gateway and peer links; a link dials through its node's middleman actor as in a
// node (plain, no TLS). Chosen over a stand-in connector because the connect, the hello, the
// proxies' down messages and the middleman's endpoint cache are then CAF's own.
//
// Asserted: outbox items go out batched into frames bounded by frame_max_bytes, decoded and
// acked by the receiving gateway; at most frames_in_flight frames are unacked; a full peer
// outbox drops and counts; an item for a shard the receiver does not own is answered with
// `moved` (and the sender's next map sends it to the new owner); an item under an older
// epoch is fenced; a lost connection makes the link hold, forget its unacked frames and
// redial with backoff, after which frames flow again; bytes that do not decode are
// counted, acked and dropped.
#define CAF_SUITE cluster.dataplane.dsl
#include "tests/transport/dataplane_dsl_fixture.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace sagaforge;
using namespace sagaforge::testing;
using cluster::frame_ack_atom;
using cluster::frame_atom;
using namespace std::chrono_literals;

namespace {

cluster::link_options options(size_t frame_max_bytes, size_t frames_in_flight) {
  cluster::link_options lo;
  lo.frame_max_bytes = frame_max_bytes;
  lo.frames_in_flight = frames_in_flight;
  lo.dial_timeout_ms = 1000;
  lo.redial_max_ms = 800;
  return lo;
}

/// "<ref> <envelope id>" for seqs first..last, as a probe logs them.
std::vector<std::string> deliveries(const std::string& ref, uint64_t first, uint64_t last) {
  std::vector<std::string> out;
  for (auto seq = first; seq <= last; ++seq)
    out.push_back(ref + " " + make_envelope(ref, seq)->id());
  return out;
}

/// The envelope ids of seqs first..last to `ref`.
std::vector<std::string> ids(const std::string& ref, uint64_t first, uint64_t last) {
  std::vector<std::string> out;
  for (auto seq = first; seq <= last; ++seq)
    out.push_back(make_envelope(ref, seq)->id());
  return out;
}

/// The envelope ids a frame carries (every item a delivery).
std::vector<std::string> envelope_ids(const cluster::decoded_frame& f) {
  std::vector<std::string> out;
  for (auto& it : f.items) {
    Envelope env;
    CAF_REQUIRE(it.kind == cluster::item_kind::deliver && env.ParseFromString(it.payload));
    out.push_back(env.id());
  }
  return out;
}

/// The bytes of a frame's item section (what frame_max_bytes bounds).
size_t item_section_bytes(const cluster::decoded_frame& f) {
  std::string out;
  for (auto& it : f.items)
    cluster::encode_item(it, out);
  return out.size();
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(dataplane_dsl_tests, dataplane_fixture)

CAF_TEST(outbox items travel in frames bounded by frame_max_bytes and each frame is acked) {
  auto to = ref_in(0);  // a shard of mars
  auto item = item_bytes(to, 1);
  auto frame_max = 2 * item + item / 2;  // two items fit, three do not
  start(plain_map(), options(frame_max, 8), 1 << 20);
  auto link = e->link("mars");
  for (uint64_t seq = 1; seq <= 5; ++seq)
    CAF_REQUIRE(send(*e, to, seq));
  // Only the first item into an empty outbox wakes the link; it sends all in one flush.
  expect_flush(earth, link);
  disallow((cluster::flush_atom), from(_).to(link));
  CAF_CHECK_EQUAL(e->peer("mars")->outbox.frames_sent.load(), 3u);
  CAF_CHECK(e->peer("mars")->outbox.empty());
  transmit();
  std::vector<std::vector<std::string>> frames;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    auto f = peek_frame(m->gateway);
    CAF_CHECK_EQUAL(f.header.from, "earth");
    CAF_CHECK_LESS_OR_EQUAL(item_section_bytes(f), frame_max);
    frames.push_back(envelope_ids(f));
    expect_frame(mars, m->gateway, seq);
  }
  using frame_ids = std::vector<std::vector<std::string>>;
  CAF_CHECK_EQUAL(frames, (frame_ids{ids(to, 1, 2), ids(to, 3, 4), ids(to, 5, 5)}));
  CAF_CHECK_EQUAL(m->router->counters().frames_in.load(), 3u);
  CAF_CHECK_EQUAL(m->router->counters().items_in.load(), 5u);
  mars.sched.run();  // the probe takes its deliveries
  CAF_CHECK_EQUAL(*m->delivered, deliveries(to, 1, 5));
  transmit();
  for (uint64_t seq = 1; seq <= 3; ++seq)
    expect_ack(earth, link, seq);
}

CAF_TEST(with frames_in_flight at 2 the third frame waits for an ack) {
  auto to = ref_in(0);
  start(plain_map(), options(item_bytes(to, 1), 2), 1 << 20);  // one item per frame
  auto link = e->link("mars");
  auto& out = e->peer("mars")->outbox;
  for (uint64_t seq = 1; seq <= 3; ++seq)
    CAF_REQUIRE(send(*e, to, seq));
  expect_flush(earth, link);
  CAF_CHECK_EQUAL(out.frames_sent.load(), 2u);
  CAF_CHECK(!out.empty());  // the third item waits for credit
  transmit();
  expect_frame(mars, m->gateway, 1);
  expect_frame(mars, m->gateway, 2);
  disallow((frame_atom, uint64_t, std::string), from(_).to(m->gateway));
  transmit();  // both acks reach the link
  CAF_CHECK_EQUAL(out.frames_sent.load(), 2u);
  expect_ack(earth, link, 1);
  CAF_CHECK_EQUAL(out.frames_sent.load(), 3u);  // one ack, one more frame
  CAF_CHECK(out.empty());
  expect_ack(earth, link, 2);
  CAF_CHECK_EQUAL(out.frames_sent.load(), 3u);
  transmit();
  CAF_CHECK_EQUAL(envelope_ids(peek_frame(m->gateway)), ids(to, 3, 3));
  expect_frame(mars, m->gateway, 3);
  settle();
  CAF_CHECK_EQUAL(*m->delivered, deliveries(to, 1, 3));
}

CAF_TEST(a full peer outbox drops and counts what does not fit) {
  auto to = ref_in(1);
  auto item = item_bytes(to, 1);
  start(plain_map(), options(1 << 16, 8), 3 * item);  // room for three items
  auto link = e->link("mars");
  auto& out = e->peer("mars")->outbox;
  // The sender cannot tell: a dropped item is like a lost one, resent after its backoff.
  for (uint64_t seq = 1; seq <= 5; ++seq)
    CAF_CHECK(send(*e, to, seq));
  CAF_CHECK_EQUAL(out.items_dropped.load(), 2u);
  CAF_CHECK_EQUAL(out.bytes(), 3 * item);
  auto status = e->router->peers();
  CAF_REQUIRE_EQUAL(status.size(), 1u);
  CAF_CHECK_EQUAL(status[0].items_dropped, 2u);
  expect_flush(earth, link);
  transmit();
  CAF_CHECK_EQUAL(envelope_ids(peek_frame(m->gateway)), ids(to, 1, 3));  // one frame
  settle();
  CAF_CHECK_EQUAL(*m->delivered, deliveries(to, 1, 3));
  // Drained: the resends of the dropped ones fit again.
  CAF_CHECK(send(*e, to, 4));
  CAF_CHECK(send(*e, to, 5));
  settle();
  CAF_CHECK_EQUAL(*m->delivered, deliveries(to, 1, 5));
  CAF_CHECK_EQUAL(out.items_dropped.load(), 2u);
}

CAF_TEST(an item for a shard the receiver does not own is answered with moved) {
  start(plain_map(), options(1 << 16, 8), 1 << 20);
  // Mars has a newer map: shard 0 went to earth at epoch 2. Earth still sends it to mars.
  auto moved_map = dsl_map(++revision, {{"earth", 2}, {"mars", 1}, {"earth", 1}, {"earth", 1}});
  m->router->update(moved_map);
  settle();  // mars's link sees the same address for earth: nothing to do
  auto to = ref_in(0);
  CAF_REQUIRE(send(*e, to, 1));
  expect_flush(earth, e->link("mars"));
  transmit();
  expect_frame(mars, m->gateway, 1);
  CAF_CHECK_EQUAL(m->router->counters().moved_out.load(), 1u);
  CAF_CHECK(!m->entity(to));  // not delivered, not activated
  // The answer goes back as a frame item over mars's own link to earth's gateway.
  expect_flush(mars, m->link("earth"));
  transmit();
  auto f = peek_frame(e->gateway);
  CAF_CHECK_EQUAL(f.header.from, "mars");
  CAF_REQUIRE_EQUAL(f.items.size(), 1u);
  auto& it = f.items[0];
  CAF_CHECK(it.kind == cluster::item_kind::moved);
  CAF_CHECK_EQUAL(it.to, to);
  CAF_CHECK_EQUAL(it.shard, 0u);
  CAF_CHECK_EQUAL(it.epoch, 2u);
  CAF_CHECK_EQUAL(it.receiver, "earth");
  expect_frame(earth, e->gateway, 1);
  CAF_CHECK_EQUAL(e->router->counters().moved_in.load(), 1u);
  settle();
  CAF_CHECK(m->delivered->empty());
  // The envelope stayed with its sender; its resend goes by the map earth now has: here.
  auto frames_before = e->peer("mars")->outbox.frames_sent.load();
  e->router->update(moved_map);
  CAF_REQUIRE(send(*e, to, 1));
  settle();
  CAF_CHECK_EQUAL(*e->delivered, deliveries(to, 1, 1));
  CAF_CHECK(m->delivered->empty());
  CAF_CHECK_EQUAL(e->peer("mars")->outbox.frames_sent.load(), frames_before);
}

CAF_TEST(an item sent under an older epoch of its shard is fenced and counted) {
  start(plain_map(), options(1 << 16, 8), 1 << 20);
  // Shard 1 changed hands and came back: mars serves it at epoch 3, earth sends under 1.
  auto newer = dsl_map(++revision, {{"mars", 1}, {"mars", 3}, {"earth", 1}, {"earth", 1}});
  m->router->update(newer);
  settle();
  auto to = ref_in(1);
  CAF_REQUIRE(send(*e, to, 1));
  expect_flush(earth, e->link("mars"));
  transmit();
  auto f = peek_frame(m->gateway);
  CAF_REQUIRE_EQUAL(f.items.size(), 1u);
  CAF_CHECK_EQUAL(f.items[0].epoch, 1u);
  expect_frame(mars, m->gateway, 1);
  CAF_CHECK_EQUAL(m->router->counters().fenced.load(), 1u);
  CAF_CHECK(!m->entity(to));
  settle();
  CAF_CHECK(m->delivered->empty());
  // Sent again under the current epoch, it is taken.
  e->router->update(newer);
  CAF_REQUIRE(send(*e, to, 1));
  settle();
  CAF_CHECK_EQUAL(*m->delivered, deliveries(to, 1, 1));
  CAF_CHECK_EQUAL(m->router->counters().fenced.load(), 1u);
}

CAF_TEST(nothing a peer sends is delivered before the runtime opens its inbound side) {
  // A restarted member binds its runtime before the start-up scan: an entity a peer's
  // envelope activated then started from an empty history and wrote its shard's log from
  // seq 1 over older records (cluster.processes.killloop found it).
  start(plain_map(), options(1 << 16, 8), 1 << 20);
  m->router->attach(*m->ctx, false);  // as cluster_member::configure binds it
  auto to = ref_in(1);
  CAF_REQUIRE(send(*e, to, 1));
  settle();
  CAF_CHECK(!m->entity(to));
  CAF_CHECK(m->delivered->empty());
  CAF_CHECK_EQUAL(m->router->counters().items_in.load(), 0u);
  m->router->open_inbound();  // cluster_member::attach, after node_runtime::start
  CAF_REQUIRE(send(*e, to, 1));  // the sender's outbox sends it again
  settle();
  CAF_CHECK_EQUAL(*m->delivered, deliveries(to, 1, 1));
}

CAF_TEST(a lost connection makes the link hold and redial with backoff until frames flow again) {
  auto to = ref_in(0);
  start(plain_map(), options(1 << 16, 1), 1 << 20);  // one frame in flight at most
  auto link = e->link("mars");
  auto p = e->peer("mars");
  // A frame is on its way when the connection breaks: its ack never comes.
  CAF_REQUIRE(send(*e, to, 1));
  expect_flush(earth, link);
  CAF_CHECK_EQUAL(p->outbox.frames_sent.load(), 1u);
  break_connection();
  transmit();  // the frame finds no route; each side's proxies of the other node go down
  expect_on(earth, (caf::down_msg), from(_).to(link));
  CAF_CHECK_EQUAL(p->state(), "unreachable");
  CAF_CHECK(!p->outbox.reachable);
  CAF_CHECK(!send(*e, to, 2));  // held: its sender keeps it and tries again
  CAF_CHECK_EQUAL(e->router->counters().held.load(), 1u);
  expect_on(mars, (caf::down_msg), from(_).to(m->link("earth")));
  CAF_CHECK_EQUAL(m->peer("earth")->state(), "unreachable");  // it waits for earth's hello
  settle();  // earth's middleman forgets the endpoint
  // Nothing to connect to yet: the redial after 100 ms fails, the next one waits 200 ms.
  earth.advance_time(99ms);
  disallow((cluster::dial_atom, uint64_t), from(link).to(link));
  earth.advance_time(1ms);
  expect_on(earth, (cluster::dial_atom, uint64_t), from(link).to(link));
  expect_on(earth, (caf::connect_atom, std::string, uint16_t),
            from(link).to(connector(earth)).with(_, std::string{"mars"}, mars_port));
  expect_on(earth, (caf::error), from(_).to(link));
  earth.advance_time(199ms);
  disallow((cluster::dial_atom, uint64_t), from(link).to(link));
  listen_again();
  earth.advance_time(1ms);
  expect_on(earth, (cluster::dial_atom, uint64_t), from(link).to(link));
  settle();  // connect, hello both ways, mars adopts earth's gateway again
  CAF_CHECK_EQUAL(p->state(), "up");
  CAF_CHECK(p->outbox.reachable);
  CAF_CHECK_EQUAL(m->peer("earth")->state(), "up");
  // The unacked frame was forgotten with the connection: the next frame goes out at once.
  CAF_REQUIRE(send(*e, to, 2));
  expect_flush(earth, link);
  CAF_CHECK_EQUAL(p->outbox.frames_sent.load(), 2u);
  transmit();
  CAF_CHECK_EQUAL(envelope_ids(peek_frame(m->gateway)), ids(to, 2, 2));
  expect_frame(mars, m->gateway, 2);
  settle();
  CAF_CHECK_EQUAL(*m->delivered, deliveries(to, 2, 2));  // #1 was lost with the connection
  // And the other way, over the gateway mars adopted from the new hello.
  auto back = ref_in(2);
  CAF_REQUIRE(send(*m, back, 1));
  settle();
  CAF_CHECK_EQUAL(*e->delivered, deliveries(back, 1, 1));
}

CAF_TEST(bytes that do not decode are counted and acked and dropped) {
  start(plain_map(), options(1 << 16, 8), 1 << 20);
  auto gw = e->peer("mars")->gateway();  // earth's proxy of mars's gateway
  CAF_REQUIRE(gw);
  auto valid = cluster::encode_frame({"earth", 1}, "");
  for (std::string bytes : {std::string{"not a frame"}, valid.substr(0, valid.size() - 3),
                            valid + std::string{"\x01\x00\x00\x10\x00", 5}}) {
    earth.self->send(gw, frame_atom::value, uint64_t{7}, bytes);
    transmit();
    expect_frame(mars, m->gateway, 7);
    transmit();
    bool acked = false;
    earth.self->receive([&](frame_ack_atom, uint64_t seq) { acked = seq == 7; },
                        caf::after(std::chrono::seconds{0}) >> [] {});
    CAF_CHECK(acked);
  }
  CAF_CHECK_EQUAL(m->router->counters().bad_frames.load(), 3u);
  CAF_CHECK_EQUAL(m->router->counters().frames_in.load(), 0u);
  // The gateway is still there, and frames flow.
  auto to = ref_in(0);
  CAF_REQUIRE(send(*e, to, 1));
  settle();
  CAF_CHECK_EQUAL(*m->delivered, deliveries(to, 1, 1));
}

CAF_TEST_FIXTURE_SCOPE_END()
