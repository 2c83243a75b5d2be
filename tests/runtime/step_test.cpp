// Message-level tests of the step: reply after commit, duplicates have their effect once,
// per-channel order under reordering, entity-to-entity delivery through the outbox.
#define CAF_SUITE runtime.step
#include "caf/test/dsl.hpp"

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "runtime/client_actor.hpp"
#include "runtime/directory.hpp"
#include "runtime/local_envelope.hpp"
#include "runtime/messages.hpp"

#include <map>
#include "tests/support/test_node.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using sagaforge::counter::CounterState;

namespace {

/// Passes everything on except envelopes to `held` while `holding`: those it keeps.
class holding_router : public router {
public:
  holding_router(directory& d, std::string held) : dir_(d), held_(std::move(held)) {}
  bool route(const std::string& to, const caf::message& msg, bool activate) override {
    if (holding && to == held_ && msg.match_elements<deliver_atom, envelope_ptr>()) {
      kept.push_back(msg.get_as<envelope_ptr>(1));
      return true;
    }
    return dir_.deliver(to, msg, activate);
  }
  bool holding = true;
  std::vector<envelope_ptr> kept;

private:
  directory& dir_;
  std::string held_;
};

/// Counts the plain acks (acked_atom) routed to each ref.
class ack_counting_router : public router {
public:
  explicit ack_counting_router(directory& d) : dir_(d) {}
  bool route(const std::string& to, const caf::message& msg, bool activate) override {
    if (msg.match_element<acked_atom>(0))
      ++plain_acks[to];
    return dir_.deliver(to, msg, activate);
  }
  std::map<std::string, int> plain_acks;

private:
  directory& dir_;
};

/// "ponger/<id>": answers every Add from an entity with its Value (a reply envelope).
entity_logic_ptr ponger_logic() {
  return std::make_shared<entity_definition<CounterState, counter::CounterEvent>>(
    "ponger",
    [](const CounterState& s, const inbound& in, decide_context<counter::CounterEvent>& ctx) {
      if (counter::Add add; in.parse(add)) {
        counter::CounterEvent ev;
        ev.mutable_added()->set_amount(add.amount());
        ctx.persist(ev);
        counter::Value v;
        v.set_value(s.value() + add.amount());
        ctx.reply(v);
      }
    },
    [](CounterState& s, const counter::CounterEvent& ev) {
      s.set_value(s.value() + ev.added().amount());
    },
    10);
}

/// Makes `Router` (built on the node's directory) the node's router; returns it.
template <class Router, class... Ts>
Router* install_router(runtime_context& ctx, Ts&&... xs) {
  auto owned = std::make_unique<Router>(ctx.dir(), std::forward<Ts>(xs)...);
  auto* r = owned.get();
  ctx.set_router(std::move(owned));
  return r;
}

counter::Forward forward(const std::string& to, int64_t amount) {
  counter::Forward fw;
  fw.set_to(to);
  fw.set_amount(amount);
  return fw;
}

struct fixture {
  std::shared_ptr<memory_store> st = std::make_shared<memory_store>();
  std::unique_ptr<test_node> node;

  fixture() {
    node = std::make_unique<test_node>(st, std::vector<entity_logic_ptr>{
                                             counter::make_counter_logic(10)});
  }

  counter::Add add(int64_t n) {
    counter::Add a;
    a.set_amount(n);
    return a;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(step_tests, fixture)

CAF_TEST(a command is applied and acknowledged with the reply after its commit) {
  auto seq = node->send("counter/a", add(5));
  node->run();
  auto* ack = node->ack_for("counter/a", seq);
  CAF_REQUIRE(ack != nullptr);
  counter::Value v;
  CAF_REQUIRE(v.ParseFromString(ack->reply_payload()));
  CAF_CHECK_EQUAL(v.value(), 5);
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/a").value(), 5);
}

CAF_TEST(a duplicate envelope has its effect once and is acknowledged again) {
  node->send_with_seq("counter/a", typed_bytes::of(add(7)), 1);
  node->run();
  node->send_with_seq("counter/a", typed_bytes::of(add(7)), 1);
  node->send_with_seq("counter/a", typed_bytes::of(add(7)), 1);
  node->run();
  auto s = node->state_of<CounterState>("counter/a");
  CAF_CHECK_EQUAL(s.value(), 7);
  CAF_CHECK_EQUAL(s.applied(), 1);
  size_t acks = 0;
  for (auto& a : node->acks)
    acks += a.channel_seq() == 1 ? 1 : 0;
  CAF_CHECK_EQUAL(acks, 3u);
  CAF_CHECK_EQUAL(node->runtime().context().counters().duplicates.load(), 2u);
}

CAF_TEST(envelopes that arrive out of order are processed in channel order) {
  // Forward records the amount forwarded; Add 1 then Add 10: value sequence is observable
  // only through order-sensitive replies: the reply to seq 2 must include seq 1's effect.
  node->send_with_seq("counter/a", typed_bytes::of(add(10)), 2);
  node->run();
  CAF_CHECK(node->ack_for("counter/a", 2) == nullptr);  // held until seq 1 arrives
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/a").applied(), 0);
  node->send_with_seq("counter/a", typed_bytes::of(add(1)), 1);
  node->run();
  auto* a2 = node->ack_for("counter/a", 2);
  CAF_REQUIRE(a2 != nullptr);
  counter::Value v;
  v.ParseFromString(a2->reply_payload());
  CAF_CHECK_EQUAL(v.value(), 11);
  CAF_CHECK_EQUAL(v.applied(), 2);
}

CAF_TEST(a forward reaches the other entity once and the outbox drains on its ack) {
  counter::Forward fw;
  fw.set_to("counter/b");
  fw.set_amount(3);
  node->send("counter/a", fw);
  node->run();
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/b").value(), 3);
  auto ra = node->report("counter/a");
  CAF_CHECK_EQUAL(ra.outbox_size(), 0u);
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/a").forwarded(), 3);
}

CAF_TEST(a rejected command records nothing and the client gets the reason) {
  counter::Forward fw;
  fw.set_to("counter/b");
  fw.set_amount(-1);
  auto seq = node->send("counter/a", fw);
  node->run();
  auto* ack = node->ack_for("counter/a", seq);
  CAF_REQUIRE(ack != nullptr);
  CAF_CHECK_NOT_EQUAL(ack->reply_error().find("positive"), std::string::npos);
  CAF_CHECK_EQUAL(node->report("counter/a").event_seq(), 0u);
}

CAF_TEST(garbage bytes from the network are dropped with a count and no crash) {
  node->deliver_bytes("counter/a", std::string("\xff\xff\x01garbage", 10));
  Envelope wrong;  // parses, but addressed elsewhere
  wrong.set_sender("client/test");
  wrong.set_receiver("counter/zz");
  wrong.set_channel_seq(1);
  wrong.set_type("x");
  node->deliver_bytes("counter/a", wrong.SerializeAsString());
  node->run();
  CAF_CHECK_EQUAL(node->runtime().context().counters().invalid_envelopes.load(), 2u);
  auto seq = node->send("counter/a", add(1));
  node->run();
  CAF_CHECK(node->ack_for("counter/a", seq) != nullptr);
  auto rep = node->report("counter/a");
  CAF_CHECK_EQUAL(rep.mode(), "running");
}

CAF_TEST(the node client interleaves receivers without gaps blocking any of them) {
  // The client keeps a receiver's seqs only while requests to it are pending; requests to
  // a, b, a, c, a all in flight at once must each apply once, without waiting for a resend.
  auto client = node->runtime().client();
  auto send = [&](const std::string& to, int64_t n) {
    auto msg = typed_bytes::of(add(n));
    caf::anon_send(client, send_atom::value, to, msg.type, msg.payload, std::string{"c1"});
  };
  send("counter/a", 1);
  send("counter/b", 10);
  send("counter/a", 2);
  send("counter/c", 100);
  send("counter/a", 4);
  node->run();
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/a").value(), 7);
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/b").value(), 10);
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/c").value(), 100);
  // A new run to a receiver after the last one settled starts above every seq used.
  send("counter/a", 8);
  node->run();
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/a").value(), 15);
  for (int i = 0; i < 10; ++i)
    node->advance(std::chrono::milliseconds{2000});  // resend ticks: nothing applies twice
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/a").value(), 15);
  CAF_CHECK_EQUAL(node->runtime().context().counters().resends.load(), 0u);
}

CAF_TEST(a resend never changes the envelope object a receiver was handed) {
  // Between entities the envelope is shared, not serialized: the sender must copy it
  // before stamping the next attempt, or a receiver still holding it would see it change.
  auto& ctx = node->runtime().context();
  auto* r = install_router<holding_router>(ctx, "counter/b");
  node->send("counter/a", forward("counter/b", 2));
  node->run();
  CAF_REQUIRE_EQUAL(r->kept.size(), 1u);
  for (int i = 0; i < 20 && r->kept.size() < 3; ++i)
    node->advance(std::chrono::milliseconds{500});
  CAF_REQUIRE_GREATER_OR_EQUAL(r->kept.size(), 3u);
  for (size_t i = 0; i < r->kept.size(); ++i) {
    CAF_CHECK_EQUAL(r->kept[i]->attempt(), i + 1);
    CAF_CHECK_EQUAL(r->kept[i]->channel_seq(), 1u);
    if (i > 0)
      CAF_CHECK_NOT_EQUAL(r->kept[i].get(), r->kept[i - 1].get());
  }
  // Every held copy is the same message: delivered late and all at once, it applies once.
  r->holding = false;
  for (auto& env : r->kept)
    ctx.dir().deliver("counter/b", caf::make_message(deliver_atom::value, env), true);
  node->run();
  CAF_CHECK_EQUAL(node->state_of<CounterState>("counter/b").value(), 2);
  CAF_CHECK_EQUAL(node->report("counter/a").outbox_size(), 0u);
}

CAF_TEST(a reply to an entity carries the ack of the message it answers) {
  // counter/a sends Add to ponger/x, whose step replies: the ack of the Add rides on the
  // reply (Envelope.acks_seq) instead of a separate message; the reply itself is acked
  // plainly, as counter/a sends nothing back.
  test_node two{std::make_shared<memory_store>(),
                {counter::make_counter_logic(10), ponger_logic()}};
  auto& ctx = two.runtime().context();
  auto* r = install_router<ack_counting_router>(ctx);
  two.send("counter/a", forward("ponger/x", 3));
  two.run();
  CAF_CHECK_EQUAL(two.state_of<CounterState>("ponger/x").value(), 3);
  CAF_CHECK_EQUAL(two.report("counter/a").outbox_size(), 0u);  // acked by the reply
  CAF_CHECK_EQUAL(two.report("ponger/x").outbox_size(), 0u);
  CAF_CHECK_EQUAL(r->plain_acks["counter/a"], 0);
  CAF_CHECK_EQUAL(r->plain_acks["ponger/x"], 1);
  for (int i = 0; i < 10; ++i)
    two.advance(std::chrono::milliseconds{500});  // nothing left to resend
  CAF_CHECK_EQUAL(ctx.counters().resends.load(), 0u);
  CAF_CHECK_EQUAL(two.state_of<CounterState>("ponger/x").value(), 3);
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

/// "relay/<id>": passes each Forward on to its target as an Add, and asks to be passivated.
entity_logic_ptr passivating_relay_logic() {
  return std::make_shared<entity_definition<CounterState, counter::CounterEvent>>(
    "relay",
    [](const CounterState&, const inbound& in, decide_context<counter::CounterEvent>& ctx) {
      if (counter::Forward fw; in.parse(fw)) {
        counter::Add add;
        add.set_amount(fw.amount());
        ctx.send(fw.to(), add);
        ctx.passivate();
      }
    },
    [](CounterState&, const counter::CounterEvent&) {}, 10);
}

} // namespace

CAF_TEST(a passivation asked for with a send pending happens once that send is acked) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, {counter::make_counter_logic(10), passivating_relay_logic()}};
  auto& counters = node.runtime().context().counters();
  auto before = counters.passivations.load();
  node.send("relay/a", forward("counter/b", 3));
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/b").value(), 3);
  // Its commit came before b's ack, so it could not passivate then; the ack let it go.
  CAF_CHECK(!node.runtime().context().dir().lookup("relay/a", false));
  CAF_CHECK_EQUAL(counters.passivations.load(), before + 1);
  CAF_CHECK_EQUAL(node.report("relay/a").outbox_size(), 0u);  // re-activated: nothing resent
  node.run();
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/b").applied(), 1);
}

// The sim's --long-outages seeds 15655 and 18449: a copy of an envelope delayed in flight
// across a long pause reached its receiver after the channel's de-dup record had expired, and
// was applied a second time. The receiver now drops any envelope older than the retention.
CAF_TEST(an envelope older than the de-dup retention is dropped unprocessed) {
  test_node node{std::make_shared<memory_store>(), {counter::make_counter_logic(1)}};
  auto& ctx = node.runtime().context();
  auto* r = install_router<holding_router>(ctx, "counter/b");
  node.send("counter/a", forward("counter/b", 2));
  node.run();
  for (int i = 0; i < 20 && r->kept.size() < 2; ++i)
    node.advance(std::chrono::milliseconds{500});
  CAF_REQUIRE_GREATER_OR_EQUAL(r->kept.size(), 2u);  // the first send and a resend
  r->holding = false;
  ctx.dir().deliver("counter/b", caf::make_message(deliver_atom::value, r->kept[0]), true);
  node.run();
  CAF_REQUIRE_EQUAL(node.state_of<CounterState>("counter/b").value(), 2);
  // Idle past the retention; b's next snapshot drops the a->b record (b steps until it writes
  // one: snapshots are also paced by the log's size).
  node.advance(std::chrono::milliseconds{test_settings().dedup_retention_ms + 10000});
  auto has_channel_from_a = [&] {
    auto rep = node.report("counter/b");
    for (auto& ch : rep.in_channels())
      if (ch.sender() == "counter/a")
        return true;
    return false;
  };
  int64_t added = 0;
  counter::Add one;
  one.set_amount(1);
  for (; added < 50 && has_channel_from_a(); ++added) {
    node.send("counter/b", one);
    node.run();
  }
  CAF_REQUIRE(!has_channel_from_a());
  auto before = ctx.counters().stale_envelopes.load();
  ctx.dir().deliver("counter/b", caf::make_message(deliver_atom::value, r->kept[1]), true);
  node.run();
  // Applied twice without the check: 2 more.
  CAF_CHECK_EQUAL(node.state_of<CounterState>("counter/b").value(), 2 + added);
  CAF_CHECK_EQUAL(ctx.counters().stale_envelopes.load(), before + 1);
}
