// http benchmark (see http_bench.hpp). Both phases run on fresh scratch stores in this
// process; the HTTP clients are cpp-httplib clients on loopback, in threads of this process
// (they share the 2 cores with the node, as an external load generator on this machine would).
#include "bench/http_bench.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "caf/all.hpp"

#include "actors/fulfillment/fulfillment_config.hpp"
#include "actors/fulfillment/order_workload.hpp"
#include "bench/latency_histogram.hpp"
#include "bench/report.hpp"
#include "http/http_face.hpp"
#include "inventory.pb.h"
#include "runtime/errors.hpp"
#include "runtime/runtime_config.hpp"

namespace sagaforge::bench {

namespace {

struct figures {
  double orders_per_s = 0, p50_ms = 0, p99_ms = 0;
  int64_t confirmed = 0, failed = 0;
};

std::string scratch(const char* what) {
  auto dir = std::filesystem::temp_directory_path()
             / ("sagaforge-http-bench-" + std::string{what} + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

node_runtime::options node_options(const http_bench_options& o, const std::string& dir) {
  node_runtime::options n;
  n.settings.data_dir = dir;
  n.settings.durability_name = o.durability;
  return n;
}

figures in_process(caf::actor_system& sys, const http_bench_options& o) {
  auto dir = scratch("inproc");
  fulfillment::fulfillment_config cfg;
  cfg.points_type = "";
  fulfillment::order_workload_options wo;
  wo.orders = o.orders;
  wo.concurrency = o.connections;
  wo.out_of_stock_percent = 0;  // the HTTP phase's orders all succeed too
  wo.declined_percent = 0;
  wo.print = false;
  fulfillment::order_workload w{cfg, wo};
  auto node = node_runtime::start(sys, node_options(o, dir), w.entity_types());
  if (!node)
    throw std::runtime_error(describe(node.error()));
  auto r = w.run(**node);
  (*node)->shutdown();
  std::filesystem::remove_all(dir);
  return figures{r.sagas_per_s, r.p50_ms, r.p99_ms, r.confirmed, r.orders - r.confirmed};
}

void restock(node_runtime& node, const std::vector<std::string>& skus) {
  for (auto& sku : skus) {
    inventory::Restock r;
    r.set_quantity(1'000'000);
    if (!node.ask(fulfillment::inventory_ref(sku), r))
      throw std::runtime_error("restock of " + sku + " failed");
  }
}

void client(int port, const http_bench_options& o, const std::vector<std::string>& skus,
            std::atomic<int64_t>& next, latency_histogram& lat, std::atomic<int64_t>& ok,
            std::atomic<int64_t>& bad, uint64_t seed) {
  httplib::Client c{"127.0.0.1", port};
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(std::chrono::seconds{60});
  std::mt19937_64 rng{seed};
  while (next.fetch_add(1) < o.orders) {
    nlohmann::json lines = nlohmann::json::array();
    for (int l = 0; l < 3; ++l)
      lines.push_back({{"sku", skus[rng() % skus.size()]},
                       {"quantity", static_cast<int64_t>(rng() % 3) + 1},
                       {"unit_price_cents", static_cast<int64_t>(rng() % 9901) + 99}});
    nlohmann::json body{{"customer_id", "CUST-" + std::to_string(rng() % 1000)}, {"lines", lines}};
    auto t0 = std::chrono::steady_clock::now();
    auto r = c.Post("/v1/orders?wait=60s", body.dump(), "application/json");
    lat.record(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
        .count());
    bool confirmed = r && r->status == 200 && r->body.find("\"CONFIRMED\"") != std::string::npos;
    (confirmed ? ok : bad)++;
    if (!confirmed && bad <= 3)  // say why, for the first few
      progress("http: order not confirmed: %s",
               r ? (std::to_string(r->status) + " " + r->body.substr(0, 300)).c_str()
                 : httplib::to_string(r.error()).c_str());
  }
}

figures over_http(caf::actor_system& sys, const http_bench_options& o) {
  auto dir = scratch("http");
  fulfillment::fulfillment_config cfg;
  cfg.points_type = "";
  cfg.catalog = fulfillment::make_catalog(100);
  auto nopts = node_options(o, dir);
  auto node = node_runtime::start(sys, nopts, fulfillment::make_fulfillment_logics(cfg));
  if (!node)
    throw std::runtime_error(describe(node.error()));
  restock(**node, cfg.catalog);
  auto s = nopts.settings;
  s.http_port = 0;
  s.http_threads = o.connections + 4;
  s.http_rate_per_s = 0;
  s.http_audit_log = "";
  auto face = http::http_face::start(**node, s, nullptr);
  if (!face)
    throw std::runtime_error(describe(face.error()));
  (*face)->set_ready(true);
  latency_histogram lat;
  std::atomic<int64_t> next{0}, ok{0}, bad{0};
  std::vector<std::thread> clients;
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < o.connections; ++i)
    clients.emplace_back([&, i] {
      client((*face)->port(), o, cfg.catalog, next, lat, ok, bad, 42 + static_cast<uint64_t>(i));
    });
  for (auto& t : clients)
    t.join();
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  (*face)->stop();
  (*node)->shutdown();
  std::filesystem::remove_all(dir);
  return figures{static_cast<double>(ok + bad) / secs, lat.quantile_ns(0.5) / 1e6,
                 lat.quantile_ns(0.99) / 1e6, ok.load(), bad.load()};
}

}  // namespace

int run_http_bench(const http_bench_options& o) {
  runtime_system_config cfg;
  caf::actor_system sys{cfg};
  figures inproc, web;
  try {
    if (!o.skip_inprocess) {
      progress("http: in-process order workload, %lld orders, %lld in flight",
               static_cast<long long>(o.orders), static_cast<long long>(o.connections));
      inproc = in_process(sys, o);
    }
    progress("http: %lld orders over HTTP, %lld keep-alive connections",
             static_cast<long long>(o.orders), static_cast<long long>(o.connections));
    web = over_http(sys, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sagaforge-bench http: %s\n", e.what());
    return 1;
  }
  report rep;
  rep.add("durability", o.durability, "durability");
  rep.add("connections", static_cast<double>(o.connections), "HTTP connections = sagas in flight");
  rep.add("http_orders", static_cast<double>(web.confirmed), "HTTP orders confirmed");
  rep.add("http_failed", static_cast<double>(web.failed), "HTTP orders not confirmed");
  rep.add("http_orders_per_s", web.orders_per_s, "HTTP orders/s (POST ?wait= until final)", 1);
  rep.add("http_p50_ms", web.p50_ms, "HTTP p50 (ms)", 1);
  rep.add("http_p99_ms", web.p99_ms, "HTTP p99 (ms)", 1);
  if (!o.skip_inprocess) {
    rep.add("inproc_orders_per_s", inproc.orders_per_s, "in-process orders/s (saga --mode order)",
            1);
    rep.add("inproc_p50_ms", inproc.p50_ms, "in-process p50 (ms)", 1);
    rep.add("inproc_p99_ms", inproc.p99_ms, "in-process p99 (ms)", 1);
    rep.add("http_vs_inproc", inproc.orders_per_s > 0 ? web.orders_per_s / inproc.orders_per_s : 0,
            "HTTP / in-process throughput (target >= 0.7)", 2);
  }
  rep.print(o.json);
  return web.failed == 0 ? 0 : 1;
}

}  // namespace sagaforge::bench
