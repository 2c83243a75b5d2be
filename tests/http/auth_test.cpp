// http.auth: the admin API refuses anonymous calls (401) and wrong tokens (401), lets the
// read token read but not act (403), lets the admin token do both, and writes every admin
// call to the audit log; the rate limit answers 429 with Retry-After.
#define CAF_SUITE http.auth
#include "caf/test/unit_test.hpp"

#include <fstream>

#include "tests/http/http_client.hpp"

using namespace sagaforge::testing;

namespace {

struct fixture : node_fixture {
  fixture()
    : node_fixture("http-auth",
                   {"--sagaforge.http.rate-per-s=5", "--sagaforge.http.rate-burst=5"}) {}
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(http_auth, fixture)

CAF_TEST(admin calls need a token and the admin role for actions) {
  auto anon = cli->Get("/admin/v1/node");
  CAF_REQUIRE(anon);
  CAF_CHECK_EQUAL(anon->status, 401);
  CAF_CHECK_EQUAL(val(body_of(anon)["error"]["code"]), "unauthenticated");
  CAF_CHECK_EQUAL(int{cli->Get("/admin/v1/node", bearer("wrong"))->status}, 401);
  CAF_CHECK_EQUAL(int{cli->Get("/admin/v1/node", {{"Authorization", "Basic abc"}})->status}, 401);
  CAF_CHECK_EQUAL(int{cli->Get("/admin/v1/node", bearer(read_token))->status}, 200);
  CAF_CHECK_EQUAL(int{cli->Get("/admin/v1/node", bearer(admin_token))->status}, 200);
  json get{{"type", "sagaforge.catalog.GetProduct"}};
  auto ro = post_json(*cli, "/admin/v1/entities/catalog/SF-0001/messages", get, bearer(read_token));
  CAF_CHECK_EQUAL(ro->status, 403);
  CAF_CHECK_EQUAL(val(body_of(ro)["error"]["code"]), "forbidden");
  CAF_CHECK_EQUAL(int{cli->Delete("/admin/v1/dead-letters/1", bearer(read_token))->status}, 403);
  CAF_CHECK_EQUAL(int{post_json(*cli, "/admin/v1/entities/catalog/SF-0001/messages", get)->status}, 401);
  auto ok
    = post_json(*cli, "/admin/v1/entities/catalog/SF-0001/messages", get, bearer(admin_token));
  CAF_CHECK_EQUAL(ok->status, 200);
  CAF_CHECK_EQUAL(val(body_of(ok)["reply"]["sku"]), "SF-0001");
  std::ifstream audit{node.dir() / "audit.log"};
  std::string line;
  int lines = 0, refused = 0;
  while (std::getline(audit, line)) {
    ++lines;
    auto j = json::parse(line);
    if (j["status"] == 401 || j["status"] == 403)
      ++refused;
  }
  CAF_CHECK_EQUAL(lines, 9);
  CAF_CHECK_EQUAL(refused, 6);
}

CAF_TEST(the business api is rate limited per client with retry after) {
  int limited = 0;
  std::string retry;
  for (int i = 0; i < 12; ++i) {
    auto r = cli->Get("/v1/catalog?limit=1");
    CAF_REQUIRE(r);
    if (r->status == 429) {
      ++limited;
      retry = r->get_header_value("Retry-After");
      CAF_CHECK_EQUAL(val(body_of(r)["error"]["code"]), "rate_limited");
    }
  }
  CAF_CHECK(limited >= 5);
  CAF_CHECK(!retry.empty() && std::stoi(retry) >= 1);
  CAF_CHECK_EQUAL(int{cli->Get("/health/ready")->status}, 200);  // health is not limited
}

CAF_TEST_FIXTURE_SCOPE_END()
