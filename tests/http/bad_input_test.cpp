// http.bad_input: each class of bad input answered with its 4xx and the JSON error shape,
// and nothing changed (no step ran for it): malformed and truncated JSON, wrong types,
// overflowing numbers, unknown fields, wrong content type, oversize body, header and URI,
// bad ids, unknown routes and methods, a slow client; then a bounded run of random bytes at
// the port, after which the node is still ready and still takes an order.
#define CAF_SUITE http.bad_input
#include "caf/test/unit_test.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <random>

#include "tests/http/http_client.hpp"

using namespace sagaforge::testing;

namespace {

struct fixture : node_fixture {
  fixture()
    : node_fixture("http-bad", {"--sagaforge.http.max-body-bytes=4096",
                                "--sagaforge.http.read-timeout-ms=500"}) {}

  double steps() { return metric_sum(cli->Get("/metrics")->body, "sagaforge_steps_total"); }

  /// Raw bytes to the port; returns what came back until the connection closes, the wait
  /// passes, or (`first_only`) a whole JSON error answer arrived.
  std::string raw(const std::string& bytes, int wait_ms = 2000, bool first_only = false) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(node.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      timeval tv{wait_ms / 1000, (wait_ms % 1000) * 1000};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
        out.append(buf, static_cast<size_t>(n));
        if (first_only && out.find("}}") != std::string::npos)
          break;  // the whole JSON error arrived (head and body come as two segments)
      }
    }
    ::close(fd);
    return out;
  }
};

void check_error(const httplib::Result& r, int status, const std::string& code) {
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(r->status, status);
  auto b = body_of(r);
  CAF_CHECK(b.is_object() && b.contains("error") && b["error"].contains("message"));
  if (!code.empty())
    CAF_CHECK_EQUAL(b["error"]["code"], code);
}

httplib::Result post_raw(httplib::Client& c, const std::string& path, const std::string& body,
                         const char* type = "application/json") {
  return c.Post(path.c_str(), body, type);
}

}  // namespace

CAF_TEST_FIXTURE_SCOPE(http_bad_input, fixture)

CAF_TEST(malformed bodies are refused with a 4xx and change nothing) {
  auto before = steps();
  const std::string good
    = R"({"customer_id":"CUST-0001","lines":[{"sku":"SF-0001","quantity":1,"unit_price_cents":2490}]})";
  check_error(post_raw(*cli, "/v1/orders", "{\"customer_id\": "), 400, "invalid_json");
  check_error(post_raw(*cli, "/v1/orders", good.substr(0, good.size() / 2)), 400, "invalid_json");
  check_error(post_raw(*cli, "/v1/orders", "[1,2,3]"), 400, "invalid_json");
  check_error(post_raw(*cli, "/v1/orders", R"({"customer_id": 7})"), 400, "invalid_json");
  check_error(
    post_raw(
      *cli, "/v1/orders",
      R"({"customer_id":"C","lines":[{"sku":"SF-0001","quantity":99999999999999999999999}]})"),
    400, "invalid_json");
  check_error(post_raw(*cli, "/v1/orders", R"({"customer_id":"C","discount":5})"), 400,
              "invalid_json");
  check_error(post_raw(*cli, "/v1/orders", good, "text/plain"), 415, "unsupported_media_type");
  check_error(post_raw(*cli, "/v1/orders", "{\"customer_id\":\"" + std::string(8000, 'x') + "\"}"),
              413, "too_large");
  check_error(post_raw(*cli, "/v1/orders?wait=forever", good), 400, "invalid_argument");
  check_error(post_raw(*cli, "/v1/redemptions", R"({"customer_id":"C","expected_cost":"x"})"), 400,
              "invalid_json");
  CAF_CHECK_EQUAL(steps(), before);
}

CAF_TEST(bad ids routes methods and sizes are refused) {
  auto before = steps();
  check_error(cli->Get("/v1/orders/bad%20id"), 400, "invalid_id");
  check_error(cli->Get(("/v1/orders/" + std::string(100, 'A')).c_str()), 400, "invalid_id");
  check_error(cli->Get("/v1/nothing-here"), 404, "not_found");
  auto del = cli->Delete("/v1/orders");
  check_error(del, 405, "method_not_allowed");
  CAF_CHECK_EQUAL(del->get_header_value("Allow"), "POST");
  check_error(cli->Get(("/v1/catalog?q=" + std::string(9000, 'a')).c_str()), 414, "uri_too_long");
  httplib::Headers big{{"X-Big", std::string(9000, 'h')}};
  check_error(cli->Get("/v1/catalog", big), 400, "");
  check_error(cli->Get("/v1/catalog?limit=100000"), 400, "invalid_argument");
  check_error(cli->Get("/v1/catalog?limit=-1"), 400, "invalid_argument");
  check_error(cli->Get("/admin/v1/dead-letters/abc", bearer(read_token)), 400, "invalid_id");
  check_error(cli->Get("/admin/v1/entities/BAD/x", bearer(read_token)), 400, "invalid_ref");
  check_error(post_json(*cli, "/admin/v1/entities/order/X/messages", {{"type", "no.Such"}},
                        bearer(admin_token)),
              400, "unknown_message_type");
  CAF_CHECK_EQUAL(steps(), before);
}

CAF_TEST(a slow client gets a 400 after the read timeout while others are served) {
  std::string answer;
  auto t0 = std::chrono::steady_clock::now();
  std::thread slow{[&] {
    answer = raw("POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", 5000, true);
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{100});
  auto t1 = std::chrono::steady_clock::now();
  CAF_CHECK_EQUAL(int{cli->Get("/health/ready")->status}, 200);
  // Bounds with room for a loaded host (the suites run beside others on 2 cores).
  CAF_CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::seconds{3});
  slow.join();  // the body never completes: answered once the read timeout (500 ms) passed
  CAF_CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds{4000});
  CAF_CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
  CAF_CHECK(answer.find("\"error\"") != std::string::npos);
}

CAF_TEST(random bytes at the port do not hurt the node) {
  auto seed = static_cast<uint32_t>(std::random_device{}());
  CAF_MESSAGE("random-bytes seed " << seed);
  std::mt19937 rng{seed};
  for (int i = 0; i < 60; ++i) {
    std::string junk(1 + rng() % 2048, '\0');
    for (auto& c : junk)
      c = static_cast<char>(rng() % 256);
    if (i % 3 == 0)  // a plausible request line with a mangled rest
      junk = "POST /v1/orders HTTP/1.1\r\nContent-Length: " + std::to_string(rng() % 100) + "\r\n"
             + junk;
    raw(junk, 100);
  }
  CAF_CHECK_EQUAL(int{cli->Get("/health/ready")->status}, 200);
  auto o
    = body_of(post_json(*cli, "/v1/orders?wait=20s", order_body("CUST-0001", "SF-0001", 1, 2490)));
  CAF_CHECK_EQUAL(o["status"], "CONFIRMED");
}

CAF_TEST_FIXTURE_SCOPE_END()
