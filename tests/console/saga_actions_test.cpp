// console.saga_actions: the operator's actions on a stuck saga through the console, against a
// real node. A saga waiting on its carrier (ship_to flaky:99: every attempt fails until the
// step gives up) is retried (a counted attempt, in its timeline) and compensated now (the
// order cancelled); a parcel already in transit parks a compensation (stuck shows it as
// compensation_failed), a retry re-opens it and parks again, a skip finishes the rest
// (COMPENSATED_WITH_SKIPS). Each action: the preview (--dry-run), refused without --yes
// (exit 2), refused with the read token (exit 4), a state it makes no sense in (409, exit 1),
// and the action in the node's journal (history: a client's step recording OperatorActed) and
// audit log.
#define CAF_SUITE console.saga_actions
#include "caf/test/unit_test.hpp"

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/console/console_fixture.hpp"

using namespace sagaforge::testing;

namespace {

struct fixture : console_fixture {
  fixture() : console_fixture("console-saga-actions") {}

  httplib::Headers admin() const { return bearer(admin_token); }

  /// An order whose shipment fails every attempt; returns its id once its saga waits in the
  /// ship step's backoff (it gives up after 4 attempts, about 1.5 s later).
  std::string stuck_on_shipping() {
    auto b = order_body("CUST-0006", "SF-0006", 1, 650);
    b["ship_to"] = "flaky:99";
    auto r = post_json(*cli, "/v1/orders", b);
    if (!r)
      return "";
    auto id = body_of(r).value("order_id", "");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    while (std::chrono::steady_clock::now() < deadline) {
      auto s = get_json(*cli, "/v1/sagas/" + id, admin());
      auto steps = s["state"].value("steps", json::array());
      if (steps.size() == 3 && steps[2].value("status", "") == "RETRY_WAIT")
        return id;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return "";
  }

  json saga(const std::string& id) { return json_cmd("saga " + id).doc()["state"]; }

  /// A 409 saying the saga's state does not allow the action: it moved on by itself.
  static bool moved_on(const console_result& r) {
    return r.exit == 1 && r.doc().is_object() && r.doc().contains("error")
           && r.doc()["error"].value("code", "") == "saga_state";
  }

  /// The saga's ledger entries of `kind`.
  static std::vector<json> ledger(const json& state, const std::string& kind) {
    std::vector<json> out;
    for (auto& e : state.value("ledger", json::array()))
      if (e.value("kind", "") == kind)
        out.push_back(e);
    return out;
  }

  /// Whether the journal of `ref` holds a step from a client (the node's, for the console)
  /// that recorded the operator's `action` (OperatorActed).
  bool journal_has(const std::string& ref, const std::string& action) {
    auto h = json_cmd("history " + ref + " -n 100").doc();
    for (auto& step : h.value("items", json::array())) {
      if (!step["inbound"].is_string() || step["inbound"].get<std::string>().rfind("client/", 0) != 0)
        continue;
      for (auto& ev : step.value("events", json::array()))
        if (ev.contains("operator_acted") && ev["operator_acted"].value("action", "") == action)
          return true;
    }
    return false;
  }

  /// The node's audit lines (data dir's audit log) holding `needle`.
  std::vector<std::string> audit_lines(const std::string& needle) {
    std::vector<std::string> out;
    for (auto& p : std::filesystem::recursive_directory_iterator(dir.path)) {
      if (p.path().filename().string().find("audit") == std::string::npos)
        continue;
      std::ifstream in{p.path()};
      for (std::string line; std::getline(in, line);)
        if (line.find(needle) != std::string::npos)
          out.push_back(line);
    }
    return out;
  }

  size_t audited(const std::string& needle) { return audit_lines(needle).size(); }

  /// Of those lines, the previews (dry runs) and the actions that succeeded.
  std::pair<size_t, size_t> previews_and_actions(const std::string& needle) {
    std::pair<size_t, size_t> n{0, 0};
    for (auto& line : audit_lines(needle)) {
      auto doc = json::parse(line, nullptr, false);
      if (!doc.is_object() || doc.value("status", 0) != 200)
        continue;
      (doc.value("dry_run", false) ? n.first : n.second) += 1;
    }
    return n;
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(console_saga_actions, fixture)

CAF_TEST(retry sends a step in backoff again now as a counted attempt) {
  // The saga may give up by itself while the test acts (its backoff is short): a 409 that
  // says so starts over with a new order, a few times.
  for (int round = 0; round < 4; ++round) {
    auto id = stuck_on_shipping();
    CAF_REQUIRE(!id.empty());
    auto dry = json_cmd("saga retry " + id + " --dry-run");
    if (moved_on(dry))
      continue;
    CAF_REQUIRE_EQUAL(dry.exit, 0);
    CAF_CHECK_EQUAL(dry.doc()["dry_run"], true);
    CAF_CHECK_EQUAL(dry.doc()["status"], "RUNNING");
    CAF_CHECK_EQUAL(dry.doc()["target"], "#2 ship to flaky:99");
    CAF_CHECK(dry.doc()["what"].get<std::string>().find("send ship to flaky:99 again now as attempt")
              == 0);
    auto before = saga(id)["steps"][2]["attempts"].get<int64_t>();
    auto read = json_cmd("saga retry " + id + " --yes", read_token);
    CAF_CHECK_EQUAL(read.exit, 4);
    auto unconfirmed = json_cmd("saga retry " + id);
    CAF_CHECK_EQUAL(unconfirmed.exit, 2);
    CAF_CHECK(unconfirmed.err.find("--yes") != std::string::npos);
    auto done = json_cmd("saga retry " + id + " --yes --reason 'carrier is back'");
    if (moved_on(done))
      continue;  // it gave up meanwhile
    CAF_REQUIRE_EQUAL(done.exit, 0);
    CAF_CHECK_EQUAL(done.doc()["dry_run"], false);
    auto after = saga(id);
    CAF_CHECK(after["steps"][2]["attempts"].get<int64_t>() > before);
    auto op = ledger(after, "operator");
    CAF_REQUIRE_EQUAL(op.size(), 1u);
    CAF_CHECK_EQUAL(op[0]["step"], "ship to flaky:99");
    CAF_CHECK_EQUAL(op[0]["detail"], "retry: carrier is back");
    CAF_CHECK(journal_has("fulfillment/" + id, "RETRY"));
    CAF_CHECK(audited("/admin/v1/sagas/fulfillment/" + id + "/retry") >= 3);  // 403, preview, action
    // The audit trail tells the previews (the unconfirmed one's and the confirmed one's)
    // from the one action.
    auto [previews, actions] = previews_and_actions("/admin/v1/sagas/fulfillment/" + id + "/retry");
    CAF_CHECK_GREATER_OR_EQUAL(previews, 1u);
    CAF_CHECK_EQUAL(actions, 1u);
    return;
  }
  CAF_FAIL("the saga gave up before the retry in every round");
}

CAF_TEST(compensate stops a running saga and cancels its order) {
  for (int round = 0; round < 4; ++round) {
    auto id = stuck_on_shipping();
    CAF_REQUIRE(!id.empty());
    auto done = json_cmd("saga compensate fulfillment/" + id + " --yes --reason 'customer called'");
    if (moved_on(done) && done.err.find("saga is COMPENSAT") != std::string::npos)
      continue;  // it gave up by itself meanwhile
    CAF_REQUIRE_EQUAL(done.exit, 0);
    CAF_CHECK_EQUAL(done.doc()["action"], "compensate");
    auto o = await_order(*cli, id);
    CAF_CHECK_EQUAL(val(o["status"]), "CANCELLED");
    CAF_CHECK_EQUAL(val(o["reason"]), "compensated by operator: customer called");
    auto s = json_until("saga " + id, [](const json& d) {
      return d["state"].value("status", "") == "COMPENSATED";
    })["state"];
    CAF_CHECK_EQUAL(val(s["status"]), "COMPENSATED");
    CAF_CHECK_EQUAL(ledger(s, "operator").size(), 1u);
    // Compensating a compensated saga makes no sense: the node's 409, exit 1.
    auto again = json_cmd("saga compensate " + id + " --yes");
    CAF_CHECK_EQUAL(again.exit, 1);
    CAF_CHECK_EQUAL(again.doc()["error"]["code"], "saga_state");
    CAF_CHECK(again.err.find("only a RUNNING saga can be compensated") != std::string::npos);
    return;
  }
  CAF_FAIL("the saga gave up before the compensation in every round");
}

CAF_TEST(skip finishes a compensation parked on a parcel in transit) {
  std::string id;
  for (int round = 0; round < 4 && id.empty(); ++round) {
    id = stuck_on_shipping();
    CAF_REQUIRE(!id.empty());
    // The carrier took the parcel meanwhile (scheduled and dispatched by hand), then the
    // operator compensates: the shipment's cancellation cannot succeed any more.
    json sched = {{"type", "sagaforge.shipment.Schedule"},
                  {"payload", {{"order_id", id}, {"ship_to", "flaky:99"}, {"items", 1}, {"attempt", 100}}}};
    auto ent = "/admin/v1/entities/shipment/" + id + "/messages";
    post_json(*cli, ent, sched, admin());
    post_json(*cli, ent, {{"type", "sagaforge.shipment.Dispatch"}}, admin());
    auto c = post_json(*cli, "/admin/v1/sagas/fulfillment/" + id + "/compensate", json::object(), admin());
    CAF_REQUIRE(c);
    if (c->status == 409)
      id.clear();  // its retry shipped it first: a new order
    else
      CAF_REQUIRE_EQUAL(c->status, 200);
  }
  CAF_REQUIRE(!id.empty());
  auto parked = json_until("saga " + id, [](const json& d) {
    return d["state"].value("status", "") == "COMPENSATION_FAILED";
  })["state"];
  CAF_REQUIRE_EQUAL(val(parked["status"]), "COMPENSATION_FAILED");
  // stuck lists it as compensation_failed, with the reason.
  json item;
  for (auto& i : json_cmd("stuck --older-than 0ms").doc().value("items", json::array()))
    if (i["ref"] == "fulfillment/" + id)
      item = i;
  CAF_CHECK_EQUAL(val(item["kind"]), "compensation_failed");
  CAF_CHECK(item.value("reason", "").find("the parcel is already IN_TRANSIT") != std::string::npos);
  // Skip on a saga that is not parked makes no sense; here --step must name the parked step.
  auto wrong = json_cmd("saga skip " + id + " --step 0 --dry-run");
  CAF_CHECK_EQUAL(wrong.exit, 1);
  CAF_CHECK(wrong.err.find("step 0 is not the parked one") != std::string::npos);
  CAF_CHECK_EQUAL(json_cmd("saga skip " + id + " --step x").exit, 2);
  // Retry of the parked undo: re-opened, refused by the carrier again, parked again.
  auto retry = json_cmd("saga retry " + id + " --yes");
  CAF_CHECK_EQUAL(retry.exit, 0);
  auto again = json_until("saga " + id, [](const json& d) {
    return d["state"].value("status", "") == "COMPENSATION_FAILED"
           && d["state"]["steps"][2].value("compensation_attempts", 0) == 2;
  })["state"];
  CAF_CHECK_EQUAL(val(again["steps"][2]["compensation_attempts"]), 2);
  // The preview, refused without --yes and with the read token, then the skip.
  auto dry = json_cmd("saga skip " + id + " --dry-run");
  CAF_REQUIRE_EQUAL(dry.exit, 0);
  CAF_CHECK_EQUAL(dry.doc()["status"], "COMPENSATION_FAILED");
  CAF_CHECK_EQUAL(dry.doc()["target"], "#2 ship to flaky:99");
  CAF_CHECK(dry.doc()["what"].get<std::string>().find("skip the undo of ship to flaky:99") == 0);
  CAF_CHECK_EQUAL(json_cmd("saga skip " + id).exit, 2);
  CAF_CHECK_EQUAL(json_cmd("saga skip " + id + " --yes", read_token).exit, 4);
  CAF_CHECK_EQUAL(val(saga(id)["status"]), "COMPENSATION_FAILED");
  auto skip = json_cmd("saga skip " + id + " --step 2 --yes --reason 'parcel recalled by phone'");
  CAF_REQUIRE_EQUAL(skip.exit, 0);
  auto s = json_until("saga " + id, [](const json& d) {
    return d["state"].value("status", "") == "COMPENSATED_WITH_SKIPS";
  })["state"];
  CAF_CHECK_EQUAL(val(s["status"]), "COMPENSATED_WITH_SKIPS");
  CAF_CHECK_EQUAL(val(s["steps"][2]["status"]), "SKIPPED");
  CAF_CHECK_EQUAL(val(s["steps"][1]["status"]), "COMPENSATED");
  CAF_CHECK_EQUAL(val(s["steps"][0]["status"]), "COMPENSATED");
  auto skipped = ledger(s, "skipped");
  CAF_REQUIRE_EQUAL(skipped.size(), 1u);
  CAF_CHECK_EQUAL(skipped[0]["detail"], "undo skipped by operator: parcel recalled by phone");
  CAF_CHECK_EQUAL(val(await_order(*cli, id)["status"]), "CANCELLED");
  CAF_CHECK(journal_has("fulfillment/" + id, "SKIP"));
  CAF_CHECK(!has_item(json_cmd("stuck --older-than 0ms").doc(), "ref", "fulfillment/" + id));
  // Now that it is finished, a second skip is the node's 409.
  auto late = json_cmd("saga skip " + id + " --yes");
  CAF_CHECK_EQUAL(late.exit, 1);
  CAF_CHECK(late.err.find("only a COMPENSATION_FAILED saga") != std::string::npos);
}

CAF_TEST(a redemption that is not stuck refuses every action with its reason) {
  auto ok = body_of(post_json(*cli, "/v1/redemptions?wait=20s",
                              {{"customer_id", "CUST-0007"}, {"reward_id", "RWD-MUG"},
                               {"expected_cost", 500}}));
  CAF_REQUIRE_EQUAL(val(ok["status"]), "COMPLETED");
  auto done = "redemption/" + ok["redemption_id"].get<std::string>();
  auto poor = body_of(post_json(*cli, "/v1/redemptions?wait=20s",
                                {{"customer_id", "CUST-0007"}, {"reward_id", "RWD-GOLD"},
                                 {"expected_cost", 20000}}));
  CAF_REQUIRE_EQUAL(val(poor["status"]), "COMPENSATED");
  auto undone = "redemption/" + poor["redemption_id"].get<std::string>();
  struct row {
    std::string cmd, message;
  };
  for (auto& r : std::vector<row>{
         {"saga skip " + done + " --yes",
          "saga is COMPLETED: only a COMPENSATION_FAILED saga has a compensation to skip"},
         {"saga compensate " + done + " --yes",
          "saga is COMPLETED: only a saga still waiting on its branches (STARTED, "
          "AWAITING_EVENTS) can be compensated"},
         {"saga retry " + undone + " --dry-run",
          "saga is COMPENSATED with no compensation given up or backing off: nothing to retry"},
         {"saga skip " + undone + " --step points --dry-run",
          "saga is COMPENSATED: only a COMPENSATION_FAILED saga has a compensation to skip"}}) {
    auto res = json_cmd(r.cmd);
    CAF_CHECK_EQUAL(res.exit, 1);
    CAF_CHECK(moved_on(res));
    CAF_CHECK(res.err.find(r.message) != std::string::npos);
    if (res.err.find(r.message) == std::string::npos)
      CAF_MESSAGE(r.cmd << ": " << res.err);
  }
  CAF_CHECK_EQUAL(val(json_cmd("saga " + done).doc()["state"]["status"]), "COMPLETED");
}

CAF_TEST(bad saga action arguments are refused before anything is sent) {
  CAF_CHECK_EQUAL(json_cmd("saga retry").exit, 2);
  CAF_CHECK_EQUAL(json_cmd("saga retry order/ORD-1").exit, 2);
  CAF_CHECK_EQUAL(json_cmd("saga skip redemption/R1 --step shipping").exit, 2);
  CAF_CHECK_EQUAL(json_cmd("saga compensate ORD-1 --step 1").exit, 2);
  auto missing = json_cmd("saga retry NO-SUCH-ORDER --dry-run");
  CAF_CHECK_EQUAL(missing.exit, 1);
  CAF_CHECK_EQUAL(missing.doc()["error"]["code"], "not_found");
  // The route checks its input too.
  auto bad = post_json(*cli, "/admin/v1/sagas/fulfillment/X/retry", {{"step", "1"}}, admin());
  CAF_REQUIRE(bad);
  CAF_CHECK_EQUAL(bad->status, 400);
  auto anon = post_json(*cli, "/admin/v1/sagas/fulfillment/X/retry", json::object());
  CAF_REQUIRE(anon);
  CAF_CHECK_EQUAL(anon->status, 401);
}

CAF_TEST_FIXTURE_SCOPE_END()
