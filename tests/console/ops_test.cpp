// console.ops: the dead-letter round trip through the console (a poison message becomes a
// dead letter; dl ls, dl show, a refused unconfirmed replay, dl replay delivers it once, the
// second replay is refused, bulk replay with a dry run, drop; metrics and dl ls agree), and
// every way a command can fail: bad commands, flags, refs, types, an unreachable node, a
// missing or wrong token, the read role on an action; scripts from stdin stop at the first
// failure. Each failure is a clear message on stderr and a non-zero exit, never a crash.
#define CAF_SUITE console.ops
#include "caf/test/unit_test.hpp"

#include "tests/console/console_fixture.hpp"

using namespace sagaforge::testing;

namespace {

struct fixture : console_fixture {
  fixture() : console_fixture("console-ops") {}

  double dead_letters_metric() {
    auto m = json_cmd("metrics ^sagaforge_dead_letters_total").doc();
    double sum = 0;
    for (auto& s : m.value("samples", json::array()))
      sum += s["value"].get<double>();
    return sum;
  }
};

const std::string boom = R"(send counter/b1 sagaforge.counter.Boom '{"why":"on purpose"}')";

}  // namespace

CAF_TEST_FIXTURE_SCOPE(console_ops, fixture)

CAF_TEST(a poison message becomes a dead letter that dl replay delivers once) {
  auto sent = json_cmd(boom);
  CAF_CHECK_EQUAL(sent.exit, 1);  // the node answers that it was dead-lettered
  CAF_CHECK_EQUAL(sent.doc()["error"]["code"], "dead_lettered");
  auto ls = json_cmd("dl ls").doc();
  CAF_REQUIRE_EQUAL(ls["items"].size(), 1u);
  auto dl = ls["items"][0];
  auto id = std::to_string(dl["id"].get<int64_t>());
  CAF_CHECK_EQUAL(dl["envelope"]["receiver"], "counter/b1");
  CAF_CHECK_EQUAL(dl["envelope"]["type"], "sagaforge.counter.Boom");
  CAF_CHECK_EQUAL(dl["envelope"]["payload"]["why"], "on purpose");
  CAF_CHECK_EQUAL(dl["reason"], "poison");
  CAF_CHECK_EQUAL(dl["replayed"], false);
  CAF_CHECK_EQUAL(dead_letters_metric(), 1.0);
  auto show = json_cmd("dl show " + id).doc();
  CAF_CHECK_EQUAL(show["id"], dl["id"]);
  CAF_CHECK(show["last_error"].get<std::string>().find("boom: on purpose") != std::string::npos);
  // Not on a terminal and no --yes: nothing is asked and nothing is done.
  auto unconfirmed = json_cmd("dl replay " + id);
  CAF_CHECK_EQUAL(unconfirmed.exit, 2);
  CAF_CHECK(unconfirmed.err.find("--yes") != std::string::npos);
  CAF_CHECK_EQUAL(val(json_cmd("dl show " + id).doc()["replayed"]), false);
  auto dry = json_cmd("dl replay " + id + " --dry-run").doc();
  CAF_CHECK_EQUAL(dry["dry_run"], true);
  CAF_CHECK_EQUAL(val(json_cmd("dl show " + id).doc()["replayed"]), false);
  // Replayed: delivered once more to counter/b1, which is still poisoned by it: exactly one
  // new dead letter, and the first is marked replayed.
  auto rep = json_cmd("dl replay " + id + " --yes");
  CAF_REQUIRE_EQUAL(rep.exit, 0);
  CAF_CHECK_EQUAL(rep.doc()["replayed"], 1);
  auto two = json_until("dl ls", [](const json& d) { return d.value("items", json::array()).size() >= 2; });
  CAF_REQUIRE_EQUAL(two["items"].size(), 2u);
  CAF_CHECK_EQUAL(two["items"][0]["replayed"], true);
  CAF_CHECK_EQUAL(two["items"][1]["replayed"], false);
  CAF_CHECK_EQUAL(two["items"][1]["envelope"]["payload"]["why"], "on purpose");
  std::this_thread::sleep_for(std::chrono::milliseconds{500});
  CAF_CHECK_EQUAL(val(json_cmd("dl ls").doc()["items"].size()), 2u);  // once, not again
  CAF_CHECK_EQUAL(dead_letters_metric(), 2.0);
  auto again = json_cmd("dl replay " + id + " --yes");
  CAF_CHECK_EQUAL(again.exit, 1);
  CAF_CHECK_EQUAL(again.doc()["error"]["code"], "already_replayed");
  // Bulk: the filter matches only the one never replayed.
  auto preview = json_cmd("dl replay --reason poison --dry-run").doc();
  CAF_CHECK_EQUAL(preview["matched"], 1);
  CAF_CHECK_EQUAL(preview["items"][0]["id"], two["items"][1]["id"]);
  CAF_CHECK_EQUAL(val(json_cmd("dl replay --receiver-type order --dry-run").doc()["matched"]), 0);
  auto bulk = json_cmd("dl replay --receiver counter/b1 --max 5 --yes").doc();
  CAF_CHECK_EQUAL(bulk["replayed"], 1);
  CAF_CHECK_EQUAL(bulk["items"][0]["replayed"], true);
  auto three = json_until("dl ls", [](const json& d) { return d.value("items", json::array()).size() >= 3; });
  CAF_CHECK_EQUAL(three["items"].size(), 3u);
  // The node filters the listing: a page of one holds the first match, not the first record.
  auto b2 = json_cmd(R"(send counter/b2 sagaforge.counter.Boom '{"why":"elsewhere"}')");
  CAF_CHECK_EQUAL(b2.exit, 1);
  auto only_b2 = json_cmd("dl ls --receiver counter/b2 -n 1").doc();
  CAF_REQUIRE_EQUAL(only_b2["items"].size(), 1u);
  CAF_CHECK_EQUAL(only_b2["items"][0]["envelope"]["receiver"], "counter/b2");
  CAF_CHECK(only_b2["next"].is_null());
  auto first_b1 = json_cmd("dl ls --receiver-type counter --reason poison -n 1").doc();
  CAF_REQUIRE_EQUAL(first_b1["items"].size(), 1u);
  CAF_CHECK_EQUAL(first_b1["items"][0]["id"], two["items"][0]["id"]);
  CAF_CHECK(!first_b1["next"].is_null());
  CAF_CHECK_EQUAL(val(json_cmd("dl ls --receiver-type order").doc()["items"].size()), 0u);
  CAF_CHECK_EQUAL(json_cmd("dl ls --receiver counter/b1 --receiver-type order").exit, 0);
  CAF_CHECK_EQUAL(val(json_cmd("dl replay --receiver counter/b2 --yes").doc()["replayed"]), 1);
  json_until("dl ls --receiver counter/b2",
             [](const json& d) { return d.value("items", json::array()).size() >= 2; });
  // Drop needs confirmation too, then the record is gone.
  CAF_CHECK_EQUAL(json_cmd("dl drop " + id).exit, 2);
  auto drop = json_cmd("dl drop " + id + " --yes");
  CAF_CHECK_EQUAL(drop.exit, 0);
  CAF_CHECK_EQUAL(drop.doc()["dropped"], true);
  CAF_CHECK_EQUAL(val(json_cmd("dl ls --receiver counter/b1").doc()["items"].size()), 2u);
  auto gone = json_cmd("dl show " + id);
  CAF_CHECK_EQUAL(gone.exit, 1);
  CAF_CHECK_EQUAL(gone.doc()["error"]["code"], "not_found");
}

CAF_TEST(bad commands flags refs and types give a message and exit 2 or 1) {
  struct bad {
    std::string cmd;
    int exit;
    std::string says;
  };
  std::vector<bad> cases{
    {"frobnicate", 2, "unknown command"},
    {"dl", 2, "dl needs"},
    {"dl explode", 2, "dl needs"},
    {"ls", 2, "wrong number of arguments"},
    {"ls order --bogus", 2, "unknown flag --bogus"},
    {"ls order -n", 2, "needs a value"},
    {"ls order -n 0", 2, "-n is 1..1000"},
    {"ls nosuchtype", 1, "unknown_type"},
    {"show nope", 2, "not a ref"},
    {"show order/NO-SUCH-ORDER", 1, "not_found"},
    {"show nosuchtype/x", 1, "unknown_type"},
    {"history order/x --from minus", 2, "--from"},
    {"stuck --older-than soon", 2, "duration"},
    {"sagas --type other", 2, "fulfillment or redemption"},
    {"saga NO-SUCH-SAGA", 1, ""},
    {"dl show seven", 2, "positive number"},
    {"dl show 99", 1, "not_found"},
    {"dl replay", 2, "give an id, or a filter"},
    {"send order/x sagaforge.no.Such '{}'", 1, "unknown_message_type"},
    {"send order/x sagaforge.order.GetOrder '[1]'", 2, "JSON object"},
    {"send order/x 'unterminated", 2, "unterminated"},
  };
  for (auto& c : cases) {
    auto r = json_cmd(c.cmd);
    CAF_MESSAGE("command: " << c.cmd << " -> " << r.exit << " " << r.err);
    CAF_CHECK_EQUAL(r.exit, c.exit);
    CAF_CHECK(r.err.rfind("error: ", 0) == 0);
    CAF_CHECK(r.err.find(c.says) != std::string::npos);
    auto doc = r.doc();  // --json: still one document, the error
    CAF_CHECK(doc.is_object() && doc.contains("error"));
  }
}

CAF_TEST(an unreachable node a wrong token and the read role are told apart) {
  auto down = run_console({"--url", "http://127.0.0.1:1", "--token", admin_token, "-c", "status"});
  CAF_CHECK_EQUAL(down.exit, 3);
  CAF_CHECK(down.err.find("cannot reach the node at http://127.0.0.1:1") != std::string::npos);
  auto wrong = run_console({"--url", url(), "--token", "not-the-token", "-c", "status"});
  CAF_CHECK_EQUAL(wrong.exit, 4);
  CAF_CHECK(wrong.err.find("refused the token") != std::string::npos);
  auto none = run_console({"--url", url(), "-c", "status"});
  CAF_CHECK_EQUAL(none.exit, 4);
  CAF_CHECK(none.err.find("SAGAFORGE_TOKEN") != std::string::npos);
  auto read = json_cmd("passivate order/x", read_token);
  CAF_CHECK_EQUAL(read.exit, 4);
  CAF_CHECK(read.err.find("admin token") != std::string::npos);
  auto bad_url = run_console({"--url", "ftp://x", "-c", "status"});
  CAF_CHECK_EQUAL(bad_url.exit, 2);
  // The environment variables stand in for --url and --token.
  auto env = run_console({"--json", "-c", "status"},
                         {"SAGAFORGE_URL=" + url(), std::string{"SAGAFORGE_TOKEN="} + read_token});
  CAF_CHECK_EQUAL(env.exit, 0);
  CAF_CHECK_EQUAL(env.doc()["ready"], true);
  // The prompt is not started when the node cannot be reached (stdin a pipe: script mode).
  auto script_down = run_console({"--url", "http://127.0.0.1:1", "--token", admin_token}, {},
                                 "status\n");
  CAF_CHECK_EQUAL(script_down.exit, 3);
}

CAF_TEST(commands from stdin run in order and stop at the first failure) {
  auto ok = run_console({"--url", url(), "--token", read_token, "--json"}, {},
                        "# a comment\nstatus\n\ntypes\n");
  CAF_CHECK_EQUAL(ok.exit, 0);
  std::vector<json> docs;
  for (size_t at = 0, nl = 0; (nl = ok.out.find('\n', at)) != std::string::npos; at = nl + 1)
    docs.push_back(json::parse(ok.out.substr(at, nl - at), nullptr, false));
  CAF_REQUIRE_EQUAL(docs.size(), 2u);
  CAF_CHECK(docs[0].contains("data_dir"));
  CAF_CHECK(docs[1].contains("items"));
  auto stops = run_console({"--url", url(), "--token", read_token}, {},
                           "types\nshow order/NOPE\nstatus\n");
  CAF_CHECK_EQUAL(stops.exit, 1);
  CAF_CHECK(stops.out.find("TYPE") != std::string::npos);
  CAF_CHECK(stops.out.find("data dir") == std::string::npos);  // status never ran
  // One-shot as trailing words, and -c with trailing words is refused.
  auto words = run_console({"--url", url(), "--token", read_token, "--json", "ls", "catalog", "-n", "2"});
  CAF_CHECK_EQUAL(words.exit, 0);
  CAF_CHECK_EQUAL(words.doc()["items"].size(), 2u);
  CAF_CHECK_EQUAL(run_console({"--url", url(), "-c", "status", "types"}).exit, 2);
}

CAF_TEST_FIXTURE_SCOPE_END()
