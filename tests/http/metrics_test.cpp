// http.metrics: the exposition passes `promtool check metrics` and its counters move with a
// workload; config/prometheus/alerts.yml passes `promtool check rules`; every query of the
// Grafana dashboard (config/grafana/) is valid PromQL (checked by promtool as a rule) and
// names only metrics the node exports.
#define CAF_SUITE http.metrics
#include "caf/test/unit_test.hpp"

#include <fstream>
#include <regex>
#include <set>

#include "tests/http/http_client.hpp"
#include "tests/support/shell_run.hpp"

using namespace sagaforge::testing;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>{in}, {}};
}

/// Metric names the exposition holds, histogram series reduced to their family name too.
std::set<std::string> exported(const std::string& text) {
  std::set<std::string> out;
  std::regex name{R"(^([a-zA-Z_:][a-zA-Z0-9_:]*))"};
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (line.empty() || line[0] == '#' || !std::regex_search(line, m, name))
      continue;
    out.insert(m[1]);
  }
  return out;
}

struct fixture : node_fixture {
  fixture() : node_fixture("http-metrics") {}
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(http_metrics, fixture)

CAF_TEST(the exposition passes promtool and its counters move with the workload) {
  auto before = cli->Get("/metrics");
  CAF_REQUIRE(before);
  CAF_CHECK_EQUAL(before->get_header_value("Content-Type"),
                  "text/plain; version=0.0.4; charset=utf-8");
  for (int i = 0; i < 5; ++i)
    CAF_CHECK_EQUAL(val(body_of(post_json(*cli, "/v1/orders?wait=20s",
                                          order_body("CUST-0001", "SF-0001", 1, 2490)))["status"]),
                    "CONFIRMED");
  auto text = cli->Get("/metrics")->body;
  auto file = (dir.path / "scrape.txt").string();
  std::ofstream{file} << text;
  std::string out;
  CAF_CHECK_EQUAL(shell_run("promtool check metrics < " + file, out), 0);
  CAF_CHECK_EQUAL(out, "");  // no lint complaint either
  CAF_CHECK(metric_sum(text, "sagaforge_steps_total")
            > metric_sum(before->body, "sagaforge_steps_total"));
  CAF_CHECK_EQUAL(metric_sum(text, "sagaforge_sagas_finished_total"), 5);
  CAF_CHECK(metric_sum(text, "sagaforge_commits_total") > 0);
  CAF_CHECK(text.find("sagaforge_http_requests_total{code=\"200\",route=\"/v1/orders\"} 5")
            != std::string::npos);
  CAF_CHECK(text.find("sagaforge_dead_letters_total{reason=\"poison\"} 0") != std::string::npos);
  CAF_CHECK(text.find("\nsagaforge_mailbox_waiting_messages ") != std::string::npos);
  CAF_CHECK(text.find("ORD") == std::string::npos && text.find("ord-") == std::string::npos);
}

CAF_TEST(the alert rules pass promtool) {
  std::string out;
  CAF_CHECK_EQUAL(
    shell_run("promtool check rules " SAGAFORGE_SOURCE_DIR "/config/prometheus/alerts.yml", out), 0);
  CAF_MESSAGE(out);
  auto rules = slurp(SAGAFORGE_SOURCE_DIR "/config/prometheus/alerts.yml");
  for (auto* alert : {"SagaforgeCompensationRateHigh", "SagaforgeOutboxLag", "SagaforgeCircuitOpen",
                      "SagaforgeDeadLettersRising", "SagaforgeNotReady", "SagaforgeCommitSlow"})
    CAF_CHECK(rules.find(alert) != std::string::npos);
}

CAF_TEST(every dashboard query is valid promql over metrics the node exports) {
  auto dash = json::parse(slurp(SAGAFORGE_SOURCE_DIR "/config/grafana/sagaforge.json"));
  // One saga of each kind, so every family has its series (histograms appear with data).
  post_json(*cli, "/v1/orders?wait=20s", order_body("CUST-0001", "SF-0001", 1, 2490));
  post_json(*cli, "/v1/redemptions?wait=20s",
            {{"customer_id", "CUST-0002"}, {"reward_id", "RWD-MUG"}, {"expected_cost", 500}});
  auto names = exported(cli->Get("/metrics")->body);
  std::regex metric{R"(\b((?:sagaforge|process)_[a-z_]+)\b)"};
  std::ofstream rules{(dir.path / "dash-rules.yml").string()};
  rules << "groups:\n- name: dashboard\n  rules:\n";
  int queries = 0;
  for (auto& panel : dash["panels"])
    for (auto& target : panel["targets"]) {
      auto expr = target["expr"].get<std::string>();
      ++queries;
      for (std::sregex_iterator i{expr.begin(), expr.end(), metric}, end; i != end; ++i) {
        auto m = (*i)[1].str();
        if (!names.count(m))
          CAF_FAIL("panel '" << panel["title"] << "' queries " << m << ", which is not exported");
      }
      auto plain = std::regex_replace(expr, std::regex{R"(\$\{?[a-z_]+\}?)"}, "5m");
      rules << "  - record: dash:q" << queries << "\n    expr: '" << plain << "'\n";
    }
  rules.close();
  CAF_CHECK(queries >= 10);
  std::string out;
  CAF_CHECK_EQUAL(shell_run("promtool check rules " + (dir.path / "dash-rules.yml").string(), out), 0);
  if (!out.empty())
    CAF_MESSAGE(out);
}

CAF_TEST_FIXTURE_SCOPE_END()
