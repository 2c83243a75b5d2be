// Demo workload: concurrent Add and Forward commands over many counters, then a check that
// every unit sent was applied exactly once (sum of values = sum of amounts issued on top of
// a baseline). The baseline is read only once every counter answered and no counter's outbox
// holds a forward (a killed earlier run can leave some in flight): a baseline taken earlier
// comes out low and the check would cry wolf. Every wait has a deadline and ends at once
// when the store fails.
#include "cluster/node/demo_workload.hpp"

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "caf/all.hpp"

#include "counter.pb.h"
#include "runtime/client_actor.hpp"
#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

using clock_type = std::chrono::steady_clock;

std::string counter_ref(int64_t i) {
  return "counter/demo-" + std::to_string(i);
}

struct totals {
  int64_t sum = 0;
  uint64_t outbox = 0;      // forwards not yet acknowledged by their receivers
  int64_t unreadable = 0;   // counters whose inspection failed
};

totals read_totals(node_runtime& node, int64_t entities) {
  totals t;
  for (int64_t i = 0; i < entities && node.context().pipeline().healthy(); ++i) {
    auto rep = node.inspect(counter_ref(i), std::chrono::seconds{5});
    counter::CounterState s;
    if (!rep || !rep->error().empty() || !s.ParseFromString(rep->state())) {
      ++t.unreadable;
      continue;
    }
    t.sum += s.value();
    t.outbox += rep->outbox_size();
  }
  return t;
}

/// Reads the counters until every one answered and no forward is in flight.
std::optional<int64_t> settled_sum(node_runtime& node, int64_t entities,
                                   clock_type::time_point deadline, const char* what) {
  totals t;
  while (node.context().pipeline().healthy()) {
    t = read_totals(node, entities);
    if (t.unreadable == 0 && t.outbox == 0)
      return t.sum;
    if (clock_type::now() > deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  std::printf("demo: cannot read the %s: %lld counters unreadable, %llu forwards still in "
              "outboxes%s\n",
              what, static_cast<long long>(t.unreadable), static_cast<unsigned long long>(t.outbox),
              node.context().pipeline().healthy() ? " at the deadline" : " (the store failed)");
  return std::nullopt;
}

struct issue_state {
  int64_t issued = 0, acked = 0, failed = 0, in_flight = 0, expected_delta = 0;
};

void issue_one(caf::scoped_actor& self, node_runtime& node, std::mt19937_64& rng,
               const demo_options& opts, issue_state& st) {
  auto n = static_cast<uint64_t>(opts.entities);
  auto i = static_cast<int64_t>(rng() % n);
  auto amount = static_cast<int64_t>(rng() % 10) + 1;
  typed_bytes msg;
  if (rng() % 4 == 0) {
    counter::Forward fw;
    fw.set_to(counter_ref(static_cast<int64_t>(rng() % n)));
    fw.set_amount(amount);
    msg = typed_bytes::of(fw);
    st.expected_delta += 2 * amount;  // added at the sender, then at the receiver
  } else {
    counter::Add add;
    add.set_amount(amount);
    msg = typed_bytes::of(add);
    st.expected_delta += amount;
  }
  self->send(node.client(), send_atom::value, counter_ref(i), msg.type, msg.payload,
             std::string{"demo-"} + std::to_string(st.issued));
  ++st.issued;
  ++st.in_flight;
}

/// Sends the commands, `in_flight` at a time; false when the deadline or a store failure
/// ended it early (the reason is printed).
bool drive(node_runtime& node, const demo_options& opts, clock_type::time_point deadline,
           issue_state& st) {
  caf::scoped_actor self{node.context().system()};
  std::mt19937_64 rng{42};
  auto last_print = clock_type::now();
  while (st.acked + st.failed < opts.commands) {
    while (st.issued < opts.commands && st.in_flight < opts.in_flight)
      issue_one(self, node, rng, opts, st);
    self->receive(
      [&](const std::string&) {
        ++st.acked;
        --st.in_flight;
      },
      [&](caf::error& err) {
        ++st.failed;
        --st.in_flight;
        std::printf("  command failed: %s\n", describe(err).c_str());
      },
      caf::after(std::chrono::milliseconds{500}) >> [] {});
    auto now = clock_type::now();
    if (!node.context().pipeline().healthy() || now > deadline) {
      std::printf("demo: stopped with %lld of %lld commands unanswered: %s\n",
                  static_cast<long long>(opts.commands - st.acked - st.failed),
                  static_cast<long long>(opts.commands),
                  node.context().pipeline().healthy() ? "the deadline passed (--node.demo-timeout-s)"
                                                      : "the store failed");
      return false;
    }
    if (now - last_print > std::chrono::seconds{1}) {
      last_print = now;
      std::printf("  ... %lld of %lld acknowledged\n", static_cast<long long>(st.acked),
                  static_cast<long long>(opts.commands));
      std::fflush(stdout);
    }
  }
  return true;
}

void print_counts(node_runtime& node, const issue_state& st, double secs) {
  auto& c = node.context().counters();
  auto ps = node.context().pipeline().stats();
  std::printf("demo: %lld acknowledged, %lld failed in %.2f s (%.0f commands/s)\n",
              static_cast<long long>(st.acked), static_cast<long long>(st.failed), secs,
              secs > 0 ? static_cast<double>(st.acked) / secs : 0.0);
  std::printf("demo: %llu steps in %llu group commits (%.1f steps per commit), %llu duplicates "
              "dropped, %llu resends, %llu dead letters\n",
              static_cast<unsigned long long>(c.steps.load()),
              static_cast<unsigned long long>(ps.commits),
              ps.commits ? static_cast<double>(ps.steps) / static_cast<double>(ps.commits) : 0.0,
              static_cast<unsigned long long>(c.duplicates.load()),
              static_cast<unsigned long long>(c.resends.load()),
              static_cast<unsigned long long>(c.dead_letters.load()));
}

} // namespace

int run_demo(node_runtime& node, const demo_options& opts) {
  auto deadline = clock_type::now() + std::chrono::seconds{opts.timeout_s};
  auto baseline = settled_sum(node, opts.entities, deadline, "baseline");
  if (!baseline)
    return 1;
  if (*baseline != 0)
    std::printf("demo: the data folder already holds counters summing to %lld (earlier runs)\n",
                static_cast<long long>(*baseline));
  std::printf("demo: %lld commands over %lld counters, %lld in flight\n",
              static_cast<long long>(opts.commands), static_cast<long long>(opts.entities),
              static_cast<long long>(opts.in_flight));
  issue_state st;
  auto t0 = clock_type::now();
  bool finished = drive(node, opts, deadline, st);
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  print_counts(node, st, secs);
  if (!finished)
    return 1;
  auto expected = *baseline + st.expected_delta;
  auto total = settled_sum(node, opts.entities, deadline, "counters after the run");
  if (!total)
    return 1;
  bool ok = *total == expected && st.failed == 0;
  std::printf("invariant: sum of counter values %lld %s earlier total + amounts issued %lld "
              "(each unit applied exactly once) -> %s\n",
              static_cast<long long>(*total), *total == expected ? "==" : "!=",
              static_cast<long long>(expected), ok ? "OK" : "VIOLATED");
  return ok ? 0 : 1;
}

} // namespace sagaforge
