// http.sigkill: kill -9 the node (fsync durability) in the middle of an HTTP load of orders
// from several keep-alive clients, restart it on the same folder, and check: every order
// that got a 202 exists and reaches a terminal state, and none was charged twice; clients
// whose request died with the node send it again under the same Idempotency-Key and get the
// same order. SAGAFORGE_HTTP_KILL_MS sets how long the load runs before the kill (default 1500).
#define CAF_SUITE http.sigkill
#include "caf/test/unit_test.hpp"

#include <atomic>
#include <mutex>
#include <set>

#include "tests/http/http_client.hpp"

using namespace sagaforge::testing;

namespace {

struct load_result {
  std::mutex mtx;
  std::set<std::string> accepted;  // order ids that got a 202/200
  std::set<std::string> unsure;    // idempotency keys whose request got no answer
};

void client_loop(int port, int n, std::atomic<bool>& stop, load_result& out) {
  httplib::Client c{"127.0.0.1", port};
  c.set_keep_alive(true);
  c.set_read_timeout(std::chrono::seconds{5});
  for (int i = 0; !stop; ++i) {
    auto key = "kill-" + std::to_string(n) + "-" + std::to_string(i);
    auto r = post_json(c, "/v1/orders",
                       order_body("CUST-000" + std::to_string(1 + n), "SF-0010", 1, 2490),
                       {{"Idempotency-Key", key}});
    std::lock_guard<std::mutex> guard{out.mtx};
    if (r && (r->status == 202 || r->status == 200))
      out.accepted.insert(body_of(r)["order_id"].get<std::string>());
    else if (!r) {
      out.unsure.insert(key);
      return;  // the node is gone
    }
  }
}

}  // namespace

CAF_TEST(orders accepted before a kill 9 survive it and none is charged twice) {
  scratch_dir dir{"http-sigkill"};
  std::vector<std::string> fsync{"--sagaforge.store.durability=\"fsync\""};
  load_result load;
  {
    node_process node{dir.path, fsync};
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int n = 0; n < 4; ++n)
      clients.emplace_back([&, n] { client_loop(node.port(), n, stop, load); });
    auto ms = std::getenv("SAGAFORGE_HTTP_KILL_MS")
                ? std::atoi(std::getenv("SAGAFORGE_HTTP_KILL_MS"))
                : 1500;
    std::this_thread::sleep_for(std::chrono::milliseconds{ms});
    node.kill9();
    stop = true;
    for (auto& t : clients)
      t.join();
  }
  CAF_MESSAGE(load.accepted.size()
              << " orders accepted, " << load.unsure.size() << " requests cut by the kill");
  CAF_REQUIRE(load.accepted.size() > 10);
  node_process node{dir.path, fsync};
  auto cli = node.client();
  for (auto& key : load.unsure) {  // the client retries what it does not know the fate of
    auto n = key[5] - '0';
    auto r = post_json(*cli, "/v1/orders",
                       order_body("CUST-000" + std::to_string(1 + n), "SF-0010", 1, 2490),
                       {{"Idempotency-Key", key}});
    CAF_REQUIRE(r);
    CAF_CHECK(r->status == 202 || r->status == 200);
    load.accepted.insert(body_of(r)["order_id"].get<std::string>());
  }
  size_t terminal = 0;
  for (auto& id : load.accepted) {
    auto o = await_order(*cli, id);
    if (o.value("status", "") == "CONFIRMED" || o.value("status", "") == "CANCELLED")
      ++terminal;
    else
      CAF_FAIL("order " << id << " is " << o.dump());
    auto p = get_json(*cli, "/v1/payments/" + id);
    CAF_CHECK(p.value("charges", 0) <= 1);
  }
  CAF_CHECK_EQUAL(terminal, load.accepted.size());
  size_t listed = 0;
  for (int n = 0; n < 4; ++n)
    listed += get_json(*cli, "/v1/customers/CUST-000" + std::to_string(1 + n)
                               + "/orders?limit=1000")["items"]
                .size();
  CAF_CHECK_EQUAL(listed, load.accepted.size());  // no order twice, none unknown
  CAF_CHECK_EQUAL(child_process::describe_status(node.terminate()), "exit 0");
}
