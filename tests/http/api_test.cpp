// http.api: the seeds' scenarios through a real HTTP client against a real sagaforge-node
// (shipped config, port 0, temp folder): order happy path with ?wait=, out of stock ->
// CANCELLED with the reason, declined card, cancel before and after shipment, the same
// Idempotency-Key twice -> one order, redemption success and compensation, catalog search,
// and the admin API's reads and actions.
#define CAF_SUITE http.api
#include "caf/test/unit_test.hpp"

#include "tests/http/http_client.hpp"

using namespace sagaforge::testing;

namespace {

struct fixture : node_fixture {
  fixture() : node_fixture("http-api") {}
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(http_api, fixture)

CAF_TEST(an order placed with wait is confirmed and its payment shipment saga and list agree) {
  auto r = post_json(*cli, "/v1/orders?wait=20s", order_body("CUST-0001", "SF-0001", 2, 2490));
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(r->status, 200);
  auto o = body_of(r);
  auto id = o["order_id"].get<std::string>();
  CAF_CHECK_EQUAL(r->get_header_value("Location"), "/v1/orders/" + id);
  CAF_CHECK_EQUAL(o["status"], "CONFIRMED");
  CAF_CHECK_EQUAL(o["total_cents"], 4980);
  CAF_CHECK_EQUAL(val(get_json(*cli, "/v1/orders/" + id)["status"]), "CONFIRMED");
  CAF_CHECK_EQUAL(val(get_json(*cli, "/v1/payments/" + id)["status"]), "CHARGED");
  auto ship = get_json(*cli, "/v1/shipments/" + id);
  CAF_CHECK_EQUAL(ship["state"], "SCHEDULED");
  CAF_CHECK(!ship["tracking_id"].get<std::string>().empty());
  auto saga = get_json(*cli, "/v1/sagas/" + id);
  CAF_CHECK_EQUAL(saga["state"]["status"], "COMPLETED");
  CAF_CHECK_EQUAL(saga["state"]["steps"].size(), 3u);  // reserve, charge, ship
  auto mine = get_json(*cli, "/v1/customers/CUST-0001/orders");
  CAF_REQUIRE_EQUAL(mine["items"].size(), 1u);
  CAF_CHECK_EQUAL(mine["items"][0]["order_id"], id);
  // Without wait: 202 with the order as it stands, then it finishes on its own.
  auto r2 = post_json(*cli, "/v1/orders", order_body("CUST-0001", "SF-0002", 1, 1190));
  CAF_REQUIRE(r2);
  CAF_CHECK_EQUAL(r2->status, 202);
  CAF_CHECK_EQUAL(val(await_order(*cli, body_of(r2)["order_id"])["status"]), "CONFIRMED");
}

CAF_TEST(an order of a product without stock is cancelled with the reason) {
  auto put = put_json(
    *cli, "/v1/catalog/SF-9000",
    {{"name", "Rare beans"}, {"category", "coffee"}, {"price_cents", 9900}, {"active", true}},
    bearer(admin_token));
  CAF_REQUIRE(put);
  CAF_CHECK_EQUAL(put->status, 200);
  auto r = post_json(*cli, "/v1/orders?wait=20s", order_body("CUST-0002", "SF-9000", 1, 9900));
  CAF_REQUIRE(r);
  auto o = body_of(r);
  CAF_CHECK_EQUAL(o["status"], "CANCELLED");
  CAF_CHECK(o["reason"].get<std::string>().find("out of stock") != std::string::npos);
  CAF_CHECK_EQUAL(
    val(get_json(*cli, "/v1/sagas/" + o["order_id"].get<std::string>())["state"]["status"]),
    "COMPENSATED");
}

CAF_TEST(a declined card cancels the order and gives the stock back) {
  auto before = get_json(*cli, "/admin/v1/entities/inventory/SF-0003", bearer(read_token));
  auto body = order_body("CUST-0003", "SF-0003", 3, 1290);
  body["card"] = "declined";
  auto o = body_of(post_json(*cli, "/v1/orders?wait=20s", body));
  CAF_CHECK_EQUAL(o["status"], "CANCELLED");
  CAF_CHECK(o["reason"].get<std::string>().find("declined") != std::string::npos);
  auto after = get_json(*cli, "/admin/v1/entities/inventory/SF-0003", bearer(read_token));
  CAF_CHECK_EQUAL(after["state"]["available"], before["state"]["available"]);
  CAF_CHECK_EQUAL(
    val(get_json(*cli, "/v1/payments/" + o["order_id"].get<std::string>())["charges"]), 0);
}

CAF_TEST(cancel before shipment compensates and cancel after shipment is a conflict) {
  // "flaky:3": the carrier fails the first three attempts, so the saga waits in retries.
  auto body = order_body("CUST-0004", "SF-0004", 1, 890);
  body["ship_to"] = "flaky:3";
  auto r = post_json(*cli, "/v1/orders", body);
  CAF_REQUIRE(r);
  auto id = body_of(r)["order_id"].get<std::string>();
  // Cancel once the card is charged, while the shipment step retries: a refund is due.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (get_json(*cli, "/v1/payments/" + id).value("status", "") != "CHARGED"
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  auto c
    = post_json(*cli, "/v1/orders/" + id + "/cancel?wait=20s", {{"reason", "changed my mind"}});
  CAF_REQUIRE(c);
  CAF_CHECK_EQUAL(c->status, 200);
  CAF_CHECK_EQUAL(val(body_of(c)["status"]), "CANCELLED");
  CAF_CHECK_EQUAL(val(get_json(*cli, "/v1/payments/" + id)["status"]), "REFUNDED");
  auto done
    = body_of(post_json(*cli, "/v1/orders?wait=20s", order_body("CUST-0004", "SF-0005", 1, 790)));
  CAF_REQUIRE_EQUAL(done["status"], "CONFIRMED");
  auto late = post_json(*cli, "/v1/orders/" + done["order_id"].get<std::string>() + "/cancel",
                        json::object());
  CAF_REQUIRE(late);
  CAF_CHECK_EQUAL(late->status, 409);
  CAF_CHECK_EQUAL(val(body_of(late)["error"]["code"]), "conflict");
  CAF_CHECK_EQUAL(int{post_json(*cli, "/v1/orders/NO-SUCH/cancel", json::object())->status}, 404);
}

CAF_TEST(the same idempotency key gives one order and another body under it is a conflict) {
  httplib::Headers key{{"Idempotency-Key", "key-42"}};
  auto body = order_body("CUST-0005", "SF-0006", 1, 650);
  auto a = post_json(*cli, "/v1/orders?wait=20s", body, key);
  auto b = post_json(*cli, "/v1/orders?wait=20s", body, key);
  CAF_REQUIRE(a && b);
  CAF_CHECK_EQUAL(val(body_of(a)["order_id"]), val(body_of(b)["order_id"]));
  CAF_CHECK_EQUAL(a->status, b->status);
  CAF_CHECK_EQUAL(val(get_json(*cli, "/v1/customers/CUST-0005/orders")["items"].size()), 1u);
  auto other = post_json(*cli, "/v1/orders", order_body("CUST-0005", "SF-0006", 2, 650), key);
  CAF_REQUIRE(other);
  CAF_CHECK_EQUAL(other->status, 409);
  CAF_CHECK_EQUAL(val(body_of(other)["error"]["code"]), "idempotency_conflict");
  CAF_CHECK_EQUAL(
    val(get_json(*cli, "/v1/payments/" + body_of(a)["order_id"].get<std::string>())["charges"]), 1);
}

CAF_TEST(a redemption completes into the wallet and one the points cannot cover compensates) {
  auto ok = body_of(
    post_json(*cli, "/v1/redemptions?wait=20s",
              {{"customer_id", "CUST-0006"}, {"reward_id", "RWD-MUG"}, {"expected_cost", 500}}));
  CAF_CHECK_EQUAL(ok["status"], "COMPLETED");
  auto wallet = get_json(*cli, "/v1/customers/CUST-0006/wallet");
  CAF_CHECK_EQUAL(wallet["balance"], 4500);
  CAF_REQUIRE_EQUAL(wallet["rewards"].size(), 1u);
  CAF_CHECK_EQUAL(wallet["rewards"][0]["reward_id"], "RWD-MUG");
  auto poor = body_of(
    post_json(*cli, "/v1/redemptions?wait=20s",
              {{"customer_id", "CUST-0006"}, {"reward_id", "RWD-GOLD"}, {"expected_cost", 20000}}));
  CAF_CHECK_EQUAL(poor["status"], "COMPENSATED");
  CAF_CHECK_EQUAL(val(get_json(*cli, "/v1/customers/CUST-0006/wallet")["balance"]), 4500);
  auto id = poor["redemption_id"].get<std::string>();
  CAF_CHECK_EQUAL(val(get_json(*cli, "/v1/redemptions/" + id)["status"]), "COMPENSATED");
  auto reward = get_json(*cli, "/admin/v1/entities/reward/RWD-GOLD", bearer(read_token));
  CAF_CHECK_EQUAL(reward["state"]["stock"], 5);  // the allocated unit went back
}

CAF_TEST(catalog search filters by text and category and pages) {
  auto tea = get_json(*cli, "/v1/catalog?category=tea&limit=100");
  CAF_CHECK_EQUAL(tea["items"].size(), 5u);
  for (auto& p : tea["items"])
    CAF_CHECK_EQUAL(p["category"], "tea");
  auto q = get_json(*cli, "/v1/catalog?q=ESPRESSO");
  CAF_CHECK_EQUAL(q["items"].size(), 2u);
  auto page1 = get_json(*cli, "/v1/catalog?limit=3");
  CAF_REQUIRE_EQUAL(page1["items"].size(), 3u);
  auto page2 = get_json(*cli, "/v1/catalog?limit=3&after=" + page1["next"].get<std::string>());
  CAF_CHECK_EQUAL(page2["items"][0]["sku"], "SF-0004");
  CAF_CHECK_EQUAL(int{put_json(*cli, "/v1/catalog/SF-0001", {{"name", "x"}})->status}, 401);
  auto inactive = put_json(
    *cli, "/v1/catalog/SF-0007",
    {{"name", "Rooibos vanilla"}, {"category", "tea"}, {"price_cents", 590}, {"active", false}},
    bearer(admin_token));
  CAF_REQUIRE_EQUAL(inactive->status, 200);
  CAF_CHECK_EQUAL(val(get_json(*cli, "/v1/catalog?category=tea")["items"].size()), 4u);
  auto refused = post_json(*cli, "/v1/orders", order_body("CUST-0007", "SF-0007", 1, 590));
  CAF_CHECK_EQUAL(refused->status, 400);
  CAF_CHECK_EQUAL(val(body_of(refused)["error"]["field"]), "lines[0].sku");
}

CAF_TEST(the admin api lists and shows entities and sends commands) {
  auto o
    = body_of(post_json(*cli, "/v1/orders?wait=20s", order_body("CUST-0008", "SF-0008", 1, 1890)));
  auto id = o["order_id"].get<std::string>();
  auto rd = bearer(read_token);
  auto node = get_json(*cli, "/admin/v1/node", rd);
  CAF_CHECK_EQUAL(node["healthy"], true);
  CAF_CHECK(node["counters"]["steps"].get<int64_t>() > 0);
  auto page = get_json(*cli, "/admin/v1/entities?type=order", rd);
  CAF_REQUIRE_EQUAL(page["items"].size(), 1u);
  CAF_CHECK_EQUAL(page["items"][0]["ref"], "order/" + id);
  auto live = get_json(*cli, "/admin/v1/entities/fulfillment/" + id, rd);
  auto stored = get_json(*cli, "/admin/v1/entities/fulfillment/" + id + "?stored=1", rd);
  CAF_CHECK_EQUAL(stored["stored"], true);
  CAF_CHECK_EQUAL(stored["state"]["status"], "COMPLETED");
  CAF_CHECK_EQUAL(stored["event_seq"], live["event_seq"]);
  auto journal = get_json(*cli, "/admin/v1/entities/order/" + id + "/journal", rd);
  CAF_REQUIRE(journal["items"].size() >= 2u);
  CAF_CHECK(journal["items"][0]["events"][0].contains("created"));
  auto sagas = get_json(*cli, "/admin/v1/sagas?type=fulfillment&status=COMPLETED", rd);
  CAF_CHECK_EQUAL(sagas["items"].size(), 1u);
  auto sent = post_json(*cli, "/admin/v1/entities/order/" + id + "/messages",
                        {{"type", "sagaforge.order.GetOrder"}, {"payload", json::object()}},
                        bearer(admin_token));
  CAF_REQUIRE(sent);
  CAF_CHECK_EQUAL(sent->status, 200);
  CAF_CHECK_EQUAL(val(body_of(sent)["reply"]["status"]), "CONFIRMED");
  CAF_CHECK_EQUAL(val(get_json(*cli, "/admin/v1/dead-letters", rd)["items"].size()), 0u);
  CAF_CHECK_EQUAL(int{cli->Get("/admin/v1/dead-letters/7", rd)->status}, 404);
  CAF_CHECK_EQUAL(val(get_json(*cli, "/admin/v1/entities/nosuch/x", rd)["error"]["code"]),
                  "unknown_type");
}

CAF_TEST(sigterm finishes a request in flight and exits 0) {
  // A wait that outlives the SIGTERM: the face stops accepting, answers it, then exits.
  auto body = order_body("CUST-0009", "SF-0009", 1, 8900);
  body["ship_to"] = "flaky:2";
  int answered = 0;
  std::thread t{[&] {
    if (auto r = post_json(*cli, "/v1/orders?wait=10s", body))
      answered = r->status;
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  auto status = node.terminate();
  t.join();
  CAF_CHECK_EQUAL(child_process::describe_status(status), "exit 0");
  CAF_CHECK(answered == 200 || answered == 202);
  CAF_CHECK(!node.client()->Get("/health/live"));  // nobody listens any more
}

CAF_TEST_FIXTURE_SCOPE_END()
