// http benchmark: orders through the node's HTTP face (POST /v1/orders?wait=, N keep-alive
// connections, each one order in flight) beside the in-process order workload (`saga
// --mode order`, the same orders, N in flight) measured in the same run; the ratio says
// whether the face is the bottleneck (target: HTTP >= 0.7x in-process).
#pragma once

#include <cstdint>
#include <string>

namespace sagaforge::bench {

struct http_bench_options {
  int64_t orders = 4000;     // per phase
  int64_t connections = 64;  // HTTP keep-alive connections = in-process sagas in flight
  std::string durability = "fsync";
  bool json = false;
  bool skip_inprocess = false;
};

int run_http_bench(const http_bench_options& o);

}  // namespace sagaforge::bench
