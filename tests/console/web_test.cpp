// console.web: the read-only web page in headless Chromium (Debian's chromium), as a person
// opens a link pasted into an incident: /ui/#/saga/fulfillment/<id> on a node with that
// order done, the DOM dumped after the page's fetches ran, its rendered rows checked; a
// screenshot is kept under the build's tests/console/web-output/. Also: / redirects to /ui/,
// the page loads nothing from elsewhere (CSP), a wrong token shows the token form, and the
// page never writes (every request it made is a GET in the audit log).
#define CAF_SUITE console.web
#include "caf/test/unit_test.hpp"

#include <fstream>
#include <sstream>

#include "tests/console/console_fixture.hpp"

using namespace sagaforge::testing;

namespace {

struct fixture : console_fixture {
  fixture() : console_fixture("console-web") {}

  /// chromium --headless --dump-dom URL (5 s of virtual time for the fetches).
  console_result browse(const std::string& url, const std::vector<std::string>& more = {}) {
    std::vector<std::string> argv{"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                  "--user-data-dir=" + (dir.path / "chromium").string(),
                                  "--virtual-time-budget=5000", "--window-size=1280,900"};
    argv.insert(argv.end(), more.begin(), more.end());
    argv.push_back(url);
    return run_process(argv, {"HOME=" + dir.path.string()}, "", std::chrono::seconds{90});
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(console_web, fixture)

CAF_TEST(a pasted saga link renders its timeline and ledger rows) {
  CAF_REQUIRE(std::ifstream{"/usr/bin/chromium"}.good());
  auto body = order_body("CUST-0001", "SF-0001", 1, 2490);
  body["order_id"] = "ORD-WEB-42";
  auto r = post_json(*cli, "/v1/orders?wait=20s", body);
  CAF_REQUIRE(r);
  CAF_REQUIRE_EQUAL(val(body_of(r)["status"]), "CONFIRMED");
  auto link = url() + "/ui/#/saga/fulfillment/ORD-WEB-42&token=" + read_token;
  auto dom = browse(link, {"--dump-dom"});
  CAF_REQUIRE_EQUAL(dom.exit, 0);
  auto& d = dom.out;
  CAF_CHECK(d.find("<h2>fulfillment/ORD-WEB-42</h2>") != std::string::npos);
  CAF_CHECK(d.find("<td>reserve SF-0001 x1</td>") != std::string::npos);
  CAF_CHECK(d.find("<td>charge 2490 cents</td>") != std::string::npos);
  CAF_CHECK(d.find("<td class=\"status-DONE\">DONE</td>") != std::string::npos);
  CAF_CHECK(d.find("status-COMPLETED") != std::string::npos);
  CAF_CHECK(d.find("<td>done</td>") != std::string::npos);  // a ledger row
  CAF_CHECK(d.find("read token") == std::string::npos);      // not the token form
  // The screenshot of the same link, kept for a person to look at.
  std::filesystem::create_directories(SAGAFORGE_TEST_OUTPUT "/web-output");
  auto shot = std::string{SAGAFORGE_TEST_OUTPUT} + "/web-output/saga.png";
  std::filesystem::remove(shot);
  CAF_CHECK_EQUAL(browse(link, {"--screenshot=" + shot}).exit, 0);
  CAF_CHECK(std::filesystem::exists(shot) && std::filesystem::file_size(shot) > 1000);
}

CAF_TEST(the sagas page lists sagas with links and a wrong token shows the form) {
  auto id = confirmed_order("CUST-0002", "SF-0002", 1, 1190);
  auto dom = browse(url() + "/ui/#/sagas&token=" + read_token, {"--dump-dom"});
  CAF_CHECK(dom.out.find("href=\"#/saga/fulfillment/" + id + "\"") != std::string::npos);
  auto stuck = browse(url() + "/ui/#/stuck&token=" + read_token, {"--dump-dom"});
  CAF_CHECK(stuck.out.find("<h2>stuck") != std::string::npos);
  auto dead = browse(url() + "/ui/#/dead-letters&token=" + read_token, {"--dump-dom"});
  CAF_CHECK(dead.out.find("<h2>dead letters</h2>") != std::string::npos);
  auto ent = browse(url() + "/ui/#/entity/order/" + id + "&token=" + read_token, {"--dump-dom"});
  CAF_CHECK(ent.out.find("<h3>journal</h3>") != std::string::npos);
  CAF_CHECK(ent.out.find("CONFIRMED") != std::string::npos);
  auto wrong = browse(url() + "/ui/#/sagas&token=nope", {"--dump-dom"});
  CAF_CHECK(wrong.out.find("the node refused the token (401)") != std::string::npos);
  CAF_CHECK(wrong.out.find("type=\"password\"") != std::string::npos);
}

CAF_TEST(the page is served with a strict policy and only reads) {
  auto root = cli->Get("/");
  CAF_REQUIRE(root);
  CAF_CHECK_EQUAL(root->status, 302);
  CAF_CHECK_EQUAL(root->get_header_value("Location"), "/ui/");
  auto page = cli->Get("/ui/");
  CAF_REQUIRE(page);
  CAF_CHECK_EQUAL(page->status, 200);
  CAF_CHECK(page->get_header_value("Content-Type").find("text/html") == 0);
  CAF_CHECK(page->get_header_value("Content-Security-Policy").find("default-src 'self'") == 0);
  auto js = cli->Get("/ui/app.js");
  CAF_CHECK(js->get_header_value("Content-Type").find("text/javascript") == 0);
  CAF_CHECK(js->body.find("innerHTML") == std::string::npos);  // text-only rendering
  CAF_CHECK(js->body.find("http://") == std::string::npos && js->body.find("https://") == std::string::npos);
  CAF_CHECK_EQUAL(int{cli->Get("/ui/nope.js")->status}, 404);
  CAF_CHECK_EQUAL(int{cli->Get("/ui/../etc/passwd")->status}, 404);
  // Every admin call the page makes is a GET (the audit log has them all).
  browse(url() + "/ui/#/sagas&token=" + read_token, {"--dump-dom"});
  std::ifstream audit{dir.path / "audit.log"};
  std::string line;
  int calls = 0;
  while (std::getline(audit, line)) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("role", "") == "read") {
      ++calls;
      CAF_CHECK_EQUAL(j["method"], "GET");
    }
  }
  CAF_CHECK(calls > 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
