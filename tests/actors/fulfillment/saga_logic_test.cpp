// Unit tests of the fulfillment saga's decide and apply through the entity harness: the first
// step and its durable timeout, retries with capped backoff, late results undone, refused
// cancels after shipment, a compensation that cannot succeed, and input it must refuse.
#define CAF_SUITE fulfillment.saga_logic
#include "caf/test/unit_test.hpp"

#include "actors/fulfillment/saga.hpp"
#include "envelope.pb.h"
#include "tests/actors/fulfillment/fixture.hpp"
#include "tests/support/entity_harness.hpp"

using namespace sagaforge;
using namespace sagaforge::fulfillment;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

/// Parks after ten unanswered undo sends (the default resends until answered: see the case
/// "by default an unanswered undo is resent until it is answered").
fulfillment_config bounded_config() {
  auto c = test_config();
  c.compensation_max_attempts = 10;
  return c;
}

auto cfg = std::make_shared<const fulfillment_config>(bounded_config());
auto logic = make_saga_logic(cfg);
using result = harness_result<SagaState, SagaEvent>;

result step(const SagaState& s, const inbound& in, int64_t now = 1000) {
  auto r = run_command<SagaState, SagaEvent>(*logic, s, in, now, "fulfillment/O1");
  CAF_CHECK(r.round_trip_ok);
  return r;
}

template <class T>
result from(const SagaState& s, const T& msg, const std::string& sender, int64_t now = 1000) {
  return step(s, inbound::of(msg, sender, false), now);
}

template <class T>
result timer(const SagaState& s, const T& msg, int64_t now) {
  return step(s, inbound{type_name_of<T>(), msg.SerializeAsString(), "", "timer", "", false}, now);
}

StartFulfillment start_msg() {
  StartFulfillment st;
  st.set_order_id("O1");
  st.set_customer_id("C1");
  auto* l = st.add_lines();
  l->set_sku("SKU-0000");
  l->set_quantity(2);
  l->set_unit_price_cents(100);
  st.set_total_cents(200);
  st.set_card("tok");
  st.set_ship_to("default");
  return st;
}

inventory::ReserveResult reserved(uint32_t attempt = 1) {
  inventory::ReserveResult r;
  r.set_order_id("O1");
  r.set_line(0);
  r.set_attempt(attempt);
  r.set_ok(true);
  return r;
}

SagaState started() {
  return from(SagaState{}, start_msg(), "order/O1").state;
}

} // namespace

CAF_TEST(start reserves the first line under a durable timeout) {
  auto r = from(SagaState{}, start_msg(), "order/O1");
  CAF_CHECK_EQUAL(r.state.status(), SagaState::RUNNING);
  CAF_REQUIRE_EQUAL(r.state.steps_size(), 3);
  CAF_CHECK_EQUAL(r.state.steps(0).status(), SagaStep::RUNNING);
  CAF_REQUIRE_EQUAL(r.sends.size(), 1u);
  CAF_CHECK_EQUAL(r.sends[0].to, "inventory/SKU-0000");
  CAF_REQUIRE_EQUAL(r.timers_set.size(), 1u);
  CAF_CHECK_EQUAL(r.timers_set[0].delay_ms, cfg->step_timeout_ms);
  auto forged = from(SagaState{}, start_msg(), "client/test");
  CAF_CHECK(forged.rejection);
}

CAF_TEST(a timeout retries with backoff and gives up after the limit) {
  auto s = started();
  int64_t now = 1000;
  int64_t last_backoff = 0;
  for (uint32_t attempt = 1; attempt < 4; ++attempt) {
    StepTimeout t;
    t.set_step(0);
    t.set_attempt(attempt);
    now += cfg->step_timeout_ms;
    auto r = timer(s, t, now);
    CAF_REQUIRE_EQUAL(r.timers_set.size(), 1u);
    auto backoff = r.timers_set[0].delay_ms;
    CAF_CHECK_GREATER(backoff, last_backoff);
    CAF_CHECK_LESS_OR_EQUAL(backoff, cfg->retry_max_backoff_ms * 3 / 2);
    last_backoff = backoff;
    CAF_CHECK_EQUAL(r.state.steps(0).status(), SagaStep::RETRY_WAIT);
    RetryStep retry;
    retry.set_step(0);
    retry.set_attempt(attempt + 1);
    s = timer(r.state, retry, now + backoff).state;
    CAF_CHECK_EQUAL(s.steps(0).attempts(), attempt + 1);
  }
  StepTimeout last;
  last.set_step(0);
  last.set_attempt(4);
  auto r = timer(s, last, now + 20000);
  CAF_CHECK_EQUAL(r.state.status(), SagaState::COMPENSATING);  // undoing the uncertain reserve
  CAF_CHECK_EQUAL(r.state.reason(),
                  "reserve SKU-0000 x2 gave up after 4 attempts: no result within 5000 ms");
  CAF_CHECK_EQUAL(r.state.steps(0).status(), SagaStep::COMPENSATING);
}

CAF_TEST(backoff doubles and is capped) {
  CAF_CHECK_LESS(saga_backoff_ms(*cfg, "O1", 0, 1), saga_backoff_ms(*cfg, "O1", 0, 2));
  auto capped = saga_backoff_ms(*cfg, "O1", 0, 30);
  CAF_CHECK_GREATER_OR_EQUAL(capped, cfg->retry_max_backoff_ms);
  CAF_CHECK_LESS_OR_EQUAL(capped, cfg->retry_max_backoff_ms * 3 / 2);
  CAF_CHECK_EQUAL(saga_backoff_ms(*cfg, "O1", 0, 2), saga_backoff_ms(*cfg, "O1", 0, 2));
}

CAF_TEST(a stale failure of a superseded attempt is ignored) {
  auto s = started();
  StepTimeout t;
  t.set_step(0);
  t.set_attempt(1);
  s = timer(s, t, 6000).state;
  RetryStep retry;
  retry.set_step(0);
  retry.set_attempt(2);
  s = timer(s, retry, 6500).state;
  auto old = from(
    s,
    [] {
      payment::ChargeResult x;  // wrong step entirely
      x.set_order_id("O1");
      x.set_attempt(1);
      x.set_outcome(payment::ChargeResult::TRANSIENT);
      return x;
    }(),
    "payment/O1");
  CAF_CHECK(old.events.empty());
  auto ok = from(s, reserved(1), "inventory/SKU-0000");  // attempt 1 answered late: fine
  CAF_CHECK_EQUAL(ok.state.steps(0).status(), SagaStep::DONE);
  CAF_CHECK_EQUAL(ok.state.current(), 1);
}

CAF_TEST(a success arriving after compensation is undone again) {
  auto s = started();
  inventory::ReserveResult oos;
  oos.set_order_id("O1");
  oos.set_attempt(1);
  oos.set_reason("out of stock");
  auto failed = from(s, oos, "inventory/SKU-0000");
  CAF_CHECK_EQUAL(failed.state.status(), SagaState::COMPENSATED);
  CAF_REQUIRE_EQUAL(failed.sends.size(), 2u);  // progress + close the order
  auto late = from(failed.state, reserved(1), "inventory/SKU-0000");
  CAF_REQUIRE_EQUAL(late.sends.size(), 1u);
  CAF_CHECK_EQUAL(late.sends[0].to, "inventory/SKU-0000");
  CAF_CHECK_EQUAL(late.sends[0].msg.type, type_name_of<inventory::Release>());
  CAF_REQUIRE_EQUAL(late.state.ledger_size(), 1);
  CAF_CHECK_EQUAL(late.state.ledger(0).kind(), "late");
}

CAF_TEST(a cancel after the shipment is refused) {
  auto s = started();
  s = from(s, reserved(), "inventory/SKU-0000").state;
  payment::ChargeResult charged;
  charged.set_order_id("O1");
  charged.set_attempt(1);
  s = from(s, charged, "payment/O1").state;
  shipment::ScheduleResult shipped;
  shipped.set_order_id("O1");
  shipped.set_attempt(1);
  shipped.set_tracking_id("TRK-O1");
  auto done = from(s, shipped, "shipment/O1");
  CAF_CHECK_EQUAL(done.state.status(), SagaState::COMPLETED);
  CAF_CHECK_EQUAL(done.state.commits_pending_size(), 1);
  CustomerCancel cancel;
  cancel.set_reason("please");
  auto refused = from(done.state, cancel, "order/O1");
  CAF_CHECK_EQUAL(refused.state.status(), SagaState::COMPLETED);
  CAF_REQUIRE_EQUAL(refused.sends.size(), 1u);
  CAF_CHECK_EQUAL(refused.sends[0].msg.type, type_name_of<order::RefuseCancel>());
  CAF_CHECK_EQUAL(refused.state.cancel_refusals(), 1u);
}

CAF_TEST(a shipment that cannot be cancelled parks the saga) {
  auto s = started();
  s = from(s, reserved(), "inventory/SKU-0000").state;
  payment::ChargeResult charged;
  charged.set_order_id("O1");
  charged.set_attempt(1);
  s = from(s, charged, "payment/O1").state;
  CustomerCancel cancel;  // while the shipment step runs
  s = from(s, cancel, "order/O1").state;
  CAF_CHECK_EQUAL(s.current(), 2);
  shipment::CancelResult no;
  no.set_order_id("O1");
  no.set_attempt(1);
  no.set_reason("the parcel is already IN_TRANSIT");
  auto parked = from(s, no, "shipment/O1");
  CAF_CHECK_EQUAL(parked.state.status(), SagaState::COMPENSATION_FAILED);
  CAF_CHECK_EQUAL(parked.state.reason(),
                  "cannot undo ship to default: the parcel is already IN_TRANSIT");
}

CAF_TEST(an undo that never answers is resent then parks) {
  auto s = started();
  CustomerCancel cancel;
  s = from(s, cancel, "order/O1").state;
  CAF_REQUIRE_EQUAL(s.status(), SagaState::COMPENSATING);
  for (uint32_t a = 1; a < static_cast<uint32_t>(cfg->compensation_max_attempts); ++a) {
    StepTimeout t;
    t.set_step(0);
    t.set_attempt(a);
    t.set_compensation(true);
    auto r = timer(s, t, 1000 + 5000 * a);
    CAF_REQUIRE_EQUAL(r.sends.size(), 1u);
    CAF_CHECK_EQUAL(r.sends[0].msg.type, type_name_of<inventory::Release>());
    s = r.state;
  }
  StepTimeout t;
  t.set_step(0);
  t.set_attempt(static_cast<uint32_t>(cfg->compensation_max_attempts));
  t.set_compensation(true);
  auto parked = timer(s, t, 100000);
  CAF_CHECK_EQUAL(parked.state.status(), SagaState::COMPENSATION_FAILED);
}

CAF_TEST(by default an unanswered undo is resent until it is answered) {
  auto unbounded_cfg = std::make_shared<const fulfillment_config>(test_config());
  CAF_REQUIRE_EQUAL(unbounded_cfg->compensation_max_attempts, 0);
  auto unbounded = make_saga_logic(unbounded_cfg);
  auto run = [&](const SagaState& s, const inbound& in, int64_t now) {
    auto r = run_command<SagaState, SagaEvent>(*unbounded, s, in, now, "fulfillment/O1");
    CAF_CHECK(r.round_trip_ok);
    return r;
  };
  auto s = run(SagaState{}, inbound::of(start_msg(), "order/O1", false), 1000).state;
  s = run(s, inbound::of(CustomerCancel{}, "order/O1", false), 1000).state;
  CAF_REQUIRE_EQUAL(s.status(), SagaState::COMPENSATING);
  // A participant down for far longer than ten sends: the undo keeps going out, each send
  // waiting twice as long as the one before, up to compensation_timeout_max_ms.
  int64_t now = 1000;
  int64_t last_wait = 0;
  for (uint32_t a = 1; a <= 40; ++a) {
    StepTimeout t;
    t.set_step(0);
    t.set_attempt(a);
    t.set_compensation(true);
    now += 60000;
    auto r = run(s, inbound{type_name_of<StepTimeout>(), t.SerializeAsString(), "", "timer", "",
                            false},
                 now);
    CAF_REQUIRE_EQUAL(r.state.status(), SagaState::COMPENSATING);
    CAF_REQUIRE_EQUAL(r.sends.size(), 1u);
    CAF_CHECK_EQUAL(r.sends[0].msg.type, type_name_of<inventory::Release>());
    CAF_REQUIRE_EQUAL(r.timers_set.size(), 1u);
    CAF_CHECK_GREATER_OR_EQUAL(r.timers_set[0].delay_ms, last_wait);
    last_wait = r.timers_set[0].delay_ms;
    s = r.state;
  }
  CAF_CHECK_EQUAL(last_wait, unbounded_cfg->compensation_timeout_max_ms);
  // The participant is back: its answer to any send completes the compensation.
  inventory::ReleaseResult released;
  released.set_order_id("O1");
  released.set_line(0);
  released.set_attempt(41);
  released.set_released(2);
  auto done = run(s, inbound::of(released, "inventory/SKU-0000", false), now + 1);
  CAF_CHECK_EQUAL(done.state.status(), SagaState::COMPENSATED);
}

CAF_TEST(strangers and forged timers are refused) {
  auto s = started();
  auto stranger = from(s, reserved(), "inventory/SKU-0009");
  CAF_CHECK(stranger.rejection);
  CAF_CHECK(stranger.events.empty());
  StepTimeout t;
  t.set_step(0);
  t.set_attempt(1);
  auto forged = from(s, t, "client/test");
  CAF_CHECK(forged.rejection);
  CAF_CHECK(forged.events.empty());
}

CAF_TEST(a delivery failure counts as a transient failure of its step) {
  auto s = started();
  DeliveryFailed df;
  df.set_receiver("inventory/SKU-0000");
  inventory::Reserve cmd;
  cmd.set_order_id("O1");
  cmd.set_line(0);
  cmd.set_quantity(2);
  cmd.set_attempt(1);
  df.set_type(type_name_of<inventory::Reserve>());
  df.set_payload(cmd.SerializeAsString());
  df.set_reason("max_attempts");
  auto r = timer(s, df, 2000);
  CAF_CHECK_EQUAL(r.state.steps(0).status(), SagaStep::RETRY_WAIT);
  CAF_CHECK_NOT_EQUAL(r.state.steps(0).last_error().find("max_attempts"), std::string::npos);
}

CAF_TEST(an undo that is poison parks the saga and one whose resends ran out is sent again) {
  auto unbounded = make_saga_logic(std::make_shared<const fulfillment_config>(test_config()));
  auto run = [&](const SagaState& s, const inbound& in, int64_t now) {
    auto r = run_command<SagaState, SagaEvent>(*unbounded, s, in, now, "fulfillment/O1");
    CAF_CHECK(r.round_trip_ok);
    return r;
  };
  auto s = run(SagaState{}, inbound::of(start_msg(), "order/O1", false), 1000).state;
  s = run(s, inbound::of(CustomerCancel{}, "order/O1", false), 1000).state;
  CAF_REQUIRE_EQUAL(s.status(), SagaState::COMPENSATING);
  auto failed_undo = [](const std::string& reason) {
    inventory::Release undo;
    undo.set_order_id("O1");
    undo.set_line(0);
    undo.set_attempt(1);
    DeliveryFailed df;
    df.set_receiver("inventory/SKU-0000");
    df.set_type(type_name_of<inventory::Release>());
    df.set_payload(undo.SerializeAsString());
    df.set_reason(reason);
    return inbound{type_name_of<DeliveryFailed>(), df.SerializeAsString(), "", "failed:x", "",
                   false};
  };
  auto again = run(s, failed_undo("max_age"), 2000);
  CAF_CHECK_EQUAL(again.state.status(), SagaState::COMPENSATING);
  CAF_REQUIRE_EQUAL(again.sends.size(), 1u);
  CAF_CHECK_EQUAL(again.sends[0].msg.type, type_name_of<inventory::Release>());
  // Resending a poison undo would only dead-letter it again, forever.
  auto parked = run(s, failed_undo("poison"), 2000);
  CAF_CHECK_EQUAL(parked.state.status(), SagaState::COMPENSATION_FAILED);
  CAF_CHECK(parked.sends.empty() || parked.sends[0].msg.type != type_name_of<inventory::Release>());
  CAF_CHECK_NOT_EQUAL(parked.state.reason().find("poison"), std::string::npos);
}

CAF_TEST(a step timeout starts over while the command waits for its ack) {
  auto s = started();
  StepTimeout t;
  t.set_step(0);
  t.set_attempt(1);
  inbound fired{type_name_of<StepTimeout>(), t.SerializeAsString(), "", "timer", "", false};
  // The participant has not taken the Reserve yet (its member is down, the runtime holds it).
  std::function<bool(const std::string&)> held = [](const std::string& to) {
    return to == "inventory/SKU-0000";
  };
  auto waiting = run_command<SagaState, SagaEvent>(*logic, s, fired, 6000, "fulfillment/O1", &held);
  CAF_CHECK(waiting.round_trip_ok);
  CAF_CHECK(waiting.events.empty());
  CAF_CHECK(waiting.sends.empty());
  CAF_REQUIRE_EQUAL(waiting.timers_set.size(), 1u);
  CAF_CHECK_EQUAL(waiting.timers_set[0].delay_ms, cfg->step_timeout_ms);
  CAF_CHECK_EQUAL(waiting.state.steps(0).status(), SagaStep::RUNNING);
  CAF_CHECK_EQUAL(waiting.state.steps(0).attempts(), 1u);
  // Delivered and still no answer: now the timeout counts as a failed attempt.
  std::function<bool(const std::string&)> none = [](const std::string&) { return false; };
  auto counted = run_command<SagaState, SagaEvent>(*logic, s, fired, 6000, "fulfillment/O1", &none);
  CAF_CHECK_EQUAL(counted.state.steps(0).status(), SagaStep::RETRY_WAIT);
}

CAF_TEST(operator commands come from a client only) {
  auto s = started();
  auto r = from(s, CompensateNow{}, "inventory/SKU-0000");
  CAF_REQUIRE(r.rejection.has_value());
  CAF_CHECK_EQUAL(*r.rejection, "operator commands come through the admin API (a client), not "
                                "from 'inventory/SKU-0000'");
  CAF_CHECK(r.events.empty());
  auto ok = step(s, inbound::of(CompensateNow{}), 1000);
  CAF_CHECK(!ok.rejection.has_value());
  CAF_CHECK_EQUAL(ok.state.status(), SagaState::COMPENSATING);
}
