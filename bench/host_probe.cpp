// host_probe implementation: limits.md §5's round trip, timed in batches.
#include "bench/host_probe.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench.pb.h"

namespace sagaforge::bench {

namespace {

/// One op: a fresh message, 8 fields filled, serialized, parsed into another fresh message.
/// Returns a byte of the result so the compiler keeps the work.
int one_round_trip(const std::string& note, int64_t i) {
  sagaforge::bench::HostProbe out;
  out.set_order_id("0b7e6c1a-4f7d-4a8e-9c59-2f1d3e5a7b90");
  out.set_customer_id("c5d2e8f4-1a3b-4c6d-8e9f-0a1b2c3d4e5f");
  out.set_currency("EUR");
  out.set_sku("SKU-ELECTRONICS-000000000012345");
  out.set_amount_minor(1999 + i);
  out.set_placed_at_ms(1'700'000'000'000 + i);
  out.set_quantity(3);
  out.set_note(note);
  std::string wire;
  out.SerializeToString(&wire);
  sagaforge::bench::HostProbe in;
  in.ParseFromString(wire);
  return static_cast<int>(in.sku().size() + wire.size());
}

} // namespace

double host_probe_ns(std::chrono::milliseconds budget, int threads) {
  using clock = std::chrono::steady_clock;
  constexpr int batch = 20000;
  std::vector<std::vector<double>> per_op(static_cast<size_t>(std::max(1, threads)));
  auto until = clock::now() + budget;
  auto work = [&](std::vector<double>& out) {
    const std::string note(68, 'n');
    volatile int sink = 0;
    do {
      auto t0 = clock::now();
      for (int i = 0; i < batch; ++i)
        sink = sink + one_round_trip(note, i);
      auto ns = std::chrono::duration<double, std::nano>(clock::now() - t0).count();
      out.push_back(ns / batch);
    } while (clock::now() < until || out.size() < 3);
  };
  std::vector<std::thread> others;
  for (size_t t = 1; t < per_op.size(); ++t)
    others.emplace_back(work, std::ref(per_op[t]));
  work(per_op[0]);
  for (auto& t : others)
    t.join();
  std::vector<double> all;
  for (auto& v : per_op)
    all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  return all[all.size() / 2];
}

host_probe_sample probe_host() {
  return {host_probe_ns(), host_probe_ns(std::chrono::milliseconds{300}, 2)};
}

host_probe_sample mean(const host_probe_sample& a, const host_probe_sample& b) {
  return {(a.one_thread_ns + b.one_thread_ns) / 2, (a.two_threads_ns + b.two_threads_ns) / 2};
}

} // namespace sagaforge::bench
