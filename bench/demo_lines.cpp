// demo_lines implementation: sscanf against the printing side's own formats.
#include "bench/demo_lines.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sagaforge::bench {

namespace {

bool starts_with(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

/// The integer printed right before `marker` ("12 unfinished" -> 12); 0 if none.
long long number_before(const char* s, const char* marker) {
  auto* at = std::strstr(s, marker);
  if (at == nullptr)
    return 0;
  auto* p = at;
  while (p > s && p[-1] >= '0' && p[-1] <= '9')
    --p;
  return p == at ? 0 : std::strtoll(p, nullptr, 10);
}

} // namespace

demo_line parse_demo_line(const std::string& line) {
  demo_line d;
  const char* s = line.c_str();
  long long a = 0, b = 0, c = 0;
  if (auto* at = std::strstr(s, "http: listening on "); at != nullptr) {
    // The node's log line; the address may be a name or an IPv6 literal: the port is last.
    auto* colon = std::strrchr(at, ':');
    long port = colon ? std::strtol(colon + 1, nullptr, 10) : 0;
    if (port > 0 && port < 65536) {
      d.kind = demo_line_kind::http_port;
      d.port = static_cast<uint16_t>(port);
    }
    return d;
  }
  if (starts_with(line, "order demo: ")) {
    d.kind = demo_line_kind::order_phase;
    return d;
  }
  if (starts_with(line, "loyalty demo: ")) {
    d.kind = demo_line_kind::redemption_phase;
    return d;
  }
  if (std::sscanf(s, "orders: %lld finished in %lf s:", &a, &d.seconds) == 2) {
    d.kind = demo_line_kind::order_counts;
    d.count = a;
    d.rejected = number_before(s, " rejected, ");
    d.unsettled = number_before(s, " unfinished");
    return d;
  }
  if (std::sscanf(s, "orders: %lf sagas/s, latency p50 %lf ms, p99 %lf ms", &d.per_s, &d.p50_ms,
                  &d.p99_ms)
      == 3) {
    d.kind = demo_line_kind::order_rates;
    return d;
  }
  if (std::sscanf(s, "redemptions (run %*[^)]): %lld issued, %lld rejected, %lld unsettled", &a,
                  &b, &c)
      == 3) {
    d.kind = demo_line_kind::redemption_counts;
    d.count = a;
    d.rejected = b;
    d.unsettled = c;
    return d;
  }
  if (std::sscanf(s, "redemptions: %lf s, %lf redemptions/s, latency p50 %lf ms, p99 %lf ms",
                  &d.seconds, &d.per_s, &d.p50_ms, &d.p99_ms)
      == 4) {
    d.kind = demo_line_kind::redemption_rates;
    return d;
  }
  return d;
}

} // namespace sagaforge::bench
