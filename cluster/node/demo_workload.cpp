// Demo workload: concurrent Add and Forward commands over many counters, then a check that
// every unit sent was applied exactly once (sum of values = sum of amounts issued).
#include "cluster/node/demo_workload.hpp"

#include <chrono>
#include <cstdio>
#include <random>

#include "caf/all.hpp"

#include "counter.pb.h"
#include "runtime/client_actor.hpp"
#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

std::string counter_ref(int64_t i) {
  return "counter/demo-" + std::to_string(i);
}

} // namespace

namespace {

/// Sum of all demo counters' values, and their outbox entries still unacked.
std::pair<int64_t, uint64_t> read_totals(node_runtime& node, int64_t entities) {
  int64_t total = 0;
  uint64_t outbox = 0;
  for (int64_t i = 0; i < entities; ++i) {
    auto rep = node.inspect(counter_ref(i));
    if (!rep)
      continue;
    counter::CounterState s;
    s.ParseFromString(rep->state());
    total += s.value();
    outbox += rep->outbox_size();
  }
  return {total, outbox};
}

} // namespace

int run_demo(node_runtime& node, const demo_options& opts) {
  auto& sys = node.context().system();
  // Counters keep their state across runs on the same data folder: start from it.
  auto baseline = read_totals(node, opts.entities).first;
  if (baseline != 0)
    std::printf("demo: the data folder already holds counters summing to %lld (earlier runs)\n",
                static_cast<long long>(baseline));
  caf::scoped_actor self{sys};
  std::mt19937_64 rng{42};
  int64_t issued = 0, acked = 0, rejected = 0, failed = 0, expected_total = baseline;
  int64_t in_flight = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto last_print = t0;
  auto issue = [&] {
    auto i = static_cast<int64_t>(rng() % static_cast<uint64_t>(opts.entities));
    auto amount = static_cast<int64_t>(rng() % 10) + 1;
    typed_bytes msg;
    if (rng() % 4 == 0) {
      counter::Forward fw;
      fw.set_to(counter_ref(static_cast<int64_t>(rng() % static_cast<uint64_t>(opts.entities))));
      fw.set_amount(amount);
      msg = typed_bytes::of(fw);
      expected_total += 2 * amount;  // added at the sender, then at the receiver
    } else {
      counter::Add add;
      add.set_amount(amount);
      msg = typed_bytes::of(add);
      expected_total += amount;
    }
    self->send(node.client(), send_atom::value, counter_ref(i), msg.type, msg.payload,
               std::string{"demo-"} + std::to_string(issued));
    ++issued;
    ++in_flight;
  };
  std::printf("demo: %lld commands over %lld counters, %lld in flight\n",
              static_cast<long long>(opts.commands), static_cast<long long>(opts.entities),
              static_cast<long long>(opts.in_flight));
  while (acked + failed < opts.commands) {
    while (issued < opts.commands && in_flight < opts.in_flight)
      issue();
    self->receive(
      [&](const std::string&) {
        ++acked;
        --in_flight;
      },
      [&](caf::error& err) {
        ++failed;
        --in_flight;
        std::printf("  command failed: %s\n", describe(err).c_str());
      });
    auto now = std::chrono::steady_clock::now();
    if (now - last_print > std::chrono::seconds{1}) {
      last_print = now;
      std::printf("  ... %lld of %lld acknowledged\n", static_cast<long long>(acked),
                  static_cast<long long>(opts.commands));
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Let forwarded messages drain, then read every counter back.
  int64_t total = 0;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto [sum, outbox] = read_totals(node, opts.entities);
    total = sum;
    if (outbox == 0 && total == expected_total)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  auto& c = node.context().counters();
  auto ps = node.context().pipeline().stats();
  std::printf("demo: %lld acknowledged, %lld rejected, %lld failed in %.2f s (%.0f commands/s)\n",
              static_cast<long long>(acked), static_cast<long long>(rejected),
              static_cast<long long>(failed), secs, static_cast<double>(acked) / secs);
  std::printf("demo: %llu steps in %llu group commits (%.1f steps per commit), %llu duplicates "
              "dropped, %llu resends, %llu dead letters\n",
              static_cast<unsigned long long>(c.steps.load()),
              static_cast<unsigned long long>(ps.commits),
              ps.commits ? static_cast<double>(ps.steps) / static_cast<double>(ps.commits) : 0.0,
              static_cast<unsigned long long>(c.duplicates.load()),
              static_cast<unsigned long long>(c.resends.load()),
              static_cast<unsigned long long>(c.dead_letters.load()));
  bool ok = total == expected_total && failed == 0;
  std::printf("invariant: sum of counter values %lld %s earlier total + amounts issued %lld "
              "(each unit applied exactly once) -> %s\n",
              static_cast<long long>(total), total == expected_total ? "==" : "!=",
              static_cast<long long>(expected_total), ok ? "OK" : "VIOLATED");
  return ok ? 0 : 1;
}

} // namespace sagaforge
