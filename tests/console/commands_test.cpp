// console.commands: every read command of sagaforge-console through `-c ... --json` against a
// running node, checked field by field against what the test did over the HTTP API (an
// order, a passivation, a timer, a flaky shipment, a flood that parks deliveries) or against
// the admin API's own answer.
#define CAF_SUITE console.commands
#include "caf/test/unit_test.hpp"

#include "tests/console/console_fixture.hpp"

using namespace sagaforge::testing;

namespace {

struct fixture : console_fixture {
  fixture() : console_fixture("console-cmd") {}
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(console_commands, fixture)

CAF_TEST(status and types report what the admin API reports) {
  auto st = json_cmd("status");
  CAF_REQUIRE_EQUAL(st.exit, 0);
  auto doc = st.doc();
  CAF_CHECK_EQUAL(doc["data_dir"], dir.path.string());
  CAF_CHECK_EQUAL(doc["healthy"], true);
  CAF_CHECK_EQUAL(doc["ready"], true);
  CAF_CHECK(doc["entities"]["known"].get<int64_t>() > 0);
  auto types = json_cmd("types").doc();
  auto direct = get_json(*cli, "/admin/v1/types", bearer(read_token));
  CAF_REQUIRE(types["items"].is_array());
  CAF_CHECK_EQUAL(types["items"].size(), direct["items"].size());
  CAF_CHECK(has_item(types, "type", "catalog"));
  CAF_CHECK(has_item(types, "type", "points"));
  // The text form is a table with its header and a row per type, fitting COLUMNS.
  auto text = run_console({"--url", url(), "--token", read_token, "-c", "types"}, {"COLUMNS=40"});
  CAF_CHECK_EQUAL(text.exit, 0);
  CAF_CHECK(text.out.find("TYPE") == 0);
  for (size_t at = 0, nl = 0; (nl = text.out.find('\n', at)) != std::string::npos; at = nl + 1)
    CAF_CHECK_LESS_OR_EQUAL(nl - at, 40u);
}

CAF_TEST(ls show history and outbox describe an order as it was placed) {
  auto id = confirmed_order("CUST-0001", "SF-0001", 2, 2490);
  CAF_REQUIRE(!id.empty());
  auto ref = "order/" + id;
  auto ls = json_cmd("ls order").doc();
  CAF_CHECK(has_item(ls, "ref", ref));
  auto one = json_cmd("ls catalog -n 1").doc();
  CAF_CHECK_EQUAL(one["items"].size(), 1u);
  CAF_CHECK_EQUAL(one["next"], one["items"][0]["ref"]);
  auto two = json_cmd("ls catalog -n 1 --after " + one["next"].get<std::string>()).doc();
  CAF_CHECK(two["items"][0]["ref"] > one["items"][0]["ref"]);
  auto show = json_cmd("show " + ref).doc();
  CAF_CHECK_EQUAL(show["ref"], ref);
  CAF_CHECK_EQUAL(show["state"]["status"], "CONFIRMED");
  CAF_CHECK_EQUAL(show["state"]["customer_id"], "CUST-0001");
  CAF_CHECK_EQUAL(show["state"]["total_cents"], 4980);
  CAF_CHECK(show["event_seq"].get<int64_t>() > 0);
  auto stored = json_cmd("show " + ref + " --stored").doc();
  CAF_CHECK_EQUAL(stored["mode"], "stored");
  CAF_CHECK_EQUAL(stored["stored"], true);
  CAF_CHECK_EQUAL(stored["state"], show["state"]);
  auto hist = json_cmd("history " + ref).doc();
  CAF_REQUIRE(!hist["items"].empty());
  CAF_REQUIRE_GREATER_OR_EQUAL(hist["items"].size(), 3u);  // created, progress..., confirmed
  CAF_CHECK_EQUAL(hist["items"][0]["events"][0]["created"]["order_id"], id);
  CAF_CHECK_EQUAL(hist["items"][0]["sends"][0]["receiver"], "fulfillment/" + id);
  CAF_CHECK(hist["items"].back()["events"][0].contains("confirmed"));
  // --from is a log seq (the shard's): from the second step on, one at a time.
  auto second = hist["items"][1]["log_seq"].get<int64_t>();
  auto later = json_cmd("history " + ref + " --from " + std::to_string(second) + " -n 1").doc();
  CAF_CHECK_EQUAL(later["items"].size(), 1u);
  CAF_CHECK_EQUAL(later["items"][0]["log_seq"], second);
  CAF_CHECK_GREATER(later["next"].get<int64_t>(), second);
  auto out = json_cmd("outbox " + ref);
  CAF_CHECK_EQUAL(out.exit, 0);
  CAF_CHECK_EQUAL(out.doc()["ref"], ref);
  CAF_CHECK(out.doc()["items"].is_array());
}

CAF_TEST(show of a passivated entity reads the store and does not activate it) {
  auto id = confirmed_order("CUST-0002", "SF-0002", 1, 1190);
  auto ref = "order/" + id;
  auto p = json_cmd("passivate " + ref);
  CAF_REQUIRE_EQUAL(p.exit, 0);
  CAF_CHECK_EQUAL(p.doc()["passivation_requested"], true);
  auto inactive = [&](const json& d) {
    for (auto& i : d.value("items", json::array()))
      if (i["ref"] == ref)
        return i["active"] == false;
    return false;
  };
  CAF_REQUIRE(inactive(json_until("ls order", inactive)));
  auto show = json_cmd("show " + ref).doc();
  CAF_CHECK_EQUAL(show["mode"], "stored");
  CAF_CHECK_EQUAL(show["state"]["status"], "CONFIRMED");
  CAF_CHECK(inactive(json_cmd("ls order").doc()));  // still passivated
  CAF_CHECK(!has_item(json_cmd("ls order --mode active").doc(), "ref", ref));
  CAF_CHECK(has_item(json_cmd("ls order --mode passivated").doc(), "ref", ref));
  // passivating it again: it is not active
  auto again = json_cmd("passivate " + ref);
  CAF_CHECK_EQUAL(again.exit, 1);
  CAF_CHECK_EQUAL(again.doc()["error"]["code"], "not_active");
}

CAF_TEST(sagas and saga give the timeline and ledger of a completed order) {
  auto id = confirmed_order("CUST-0003", "SF-0003", 1, 1290);
  auto list = json_cmd("sagas --type fulfillment --status COMPLETED").doc();
  CAF_CHECK(has_item(list, "id", id));
  CAF_CHECK(!has_item(json_cmd("sagas --status COMPENSATED").doc(), "id", id));
  auto saga = json_cmd("saga " + id).doc();
  CAF_CHECK_EQUAL(saga["id"], id);
  CAF_CHECK_EQUAL(saga["state"]["status"], "COMPLETED");
  CAF_REQUIRE_EQUAL(saga["state"]["steps"].size(), 3u);
  for (auto& s : saga["state"]["steps"])
    CAF_CHECK_EQUAL(s["status"], "DONE");
  CAF_CHECK_EQUAL(saga["state"]["steps"][0]["attempts"], 1);
  auto same = json_cmd("saga fulfillment/" + id).doc();
  CAF_CHECK_EQUAL(same["state"], saga["state"]);
  auto text = text_cmd("saga " + id);
  CAF_CHECK(text.out.find("compensation ledger") != std::string::npos);
  CAF_CHECK(text.out.find("reserve SF-0003 x1") != std::string::npos);
}

CAF_TEST(trace follows one order across its entities in time order) {
  auto id = confirmed_order("CUST-0004", "SF-0004", 1, 1890);
  auto tr = json_cmd("trace " + id).doc();
  std::set<std::string> refs;
  int64_t last = 0;
  for (auto& i : tr["items"]) {
    refs.insert(i["ref"].get<std::string>());
    CAF_CHECK_GREATER_OR_EQUAL(i["at_ms"].get<int64_t>(), last);
    last = i["at_ms"].get<int64_t>();
  }
  for (auto r : {"order/", "fulfillment/", "payment/", "shipment/"})
    CAF_CHECK(refs.count(r + id) == 1);
  CAF_CHECK(refs.count("inventory/SF-0004") == 1);
  // Steps that only consumed (sent nothing of the order) are found by their inbound channel.
  CAF_CHECK(refs.count("notification/CUST-0004") == 1);
  CAF_CHECK(refs.count("points/CUST-0004") == 1);
  // Cause before effect: a step that consumed an envelope comes after the step that sent it.
  auto& items = tr["items"];
  CAF_CHECK(items[0]["ref"] == "order/" + id && items[0]["events"][0].contains("created"));
  size_t linked = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i]["inbound"].is_string())
      continue;
    auto in = items[i]["inbound"].get<std::string>();  // "sender#seq"
    auto hash = in.rfind('#');
    auto sent_id = in.substr(0, hash) + "->" + items[i]["ref"].get<std::string>() + in.substr(hash);
    for (size_t j = 0; j < items.size(); ++j)
      for (auto& snd : items[j]["sends"])
        if (snd["id"] == sent_id) {
          CAF_CHECK_LESS(j, i);
          ++linked;
        }
  }
  CAF_CHECK_GREATER_OR_EQUAL(linked, items.size() - 1);  // all but the client's first
  CAF_CHECK_EQUAL(tr["truncated"], false);
  auto none = json_cmd("trace NO-SUCH-ORDER").doc();
  CAF_CHECK(none["items"].empty());
}

CAF_TEST(timers lists a timer set through send and filters by due time) {
  auto set = json_cmd(
    R"(send counter/t1 sagaforge.counter.SetTimer '{"name":"later","delay_ms":600000,"amount":1}')");
  CAF_REQUIRE_EQUAL(set.exit, 0);
  auto all = json_cmd("timers").doc();
  json mine;
  for (auto& i : all["items"])
    if (i["ref"] == "counter/t1")
      mine = i;
  CAF_REQUIRE(mine.is_object());
  CAF_CHECK_EQUAL(mine["name"], "later");
  auto in = mine["in_ms"].get<int64_t>();
  CAF_CHECK(in > 590000 && in <= 600000);
  CAF_CHECK(!has_item(json_cmd("timers --overdue").doc(), "ref", "counter/t1"));
  CAF_CHECK(has_item(json_cmd("timers --due-within 11m").doc(), "ref", "counter/t1"));
  CAF_CHECK(!has_item(json_cmd("timers --due-within 9m").doc(), "ref", "counter/t1"));
  CAF_CHECK_EQUAL(json_cmd("timers --overdue --due-within 1m").exit, 2);
}

CAF_TEST(top orders entities by steps and by outbox) {
  confirmed_order("CUST-0005", "SF-0005", 1, 790);
  auto top = json_cmd("top -n 5").doc();
  CAF_REQUIRE_EQUAL(top["items"].size(), 5u);
  for (size_t i = 1; i < top["items"].size(); ++i)
    CAF_CHECK_GREATER_OR_EQUAL(top["items"][i - 1]["log_records"].get<int64_t>(),
                               top["items"][i]["log_records"].get<int64_t>());
  auto ob = json_cmd("top --by outbox").doc();
  CAF_CHECK_EQUAL(ob["by"], "outbox");
  CAF_CHECK_EQUAL(json_cmd("top --by size").exit, 2);
}

CAF_TEST(stuck names a saga waiting to retry its shipment with the step and error) {
  auto r = post_json(*cli, "/v1/orders",
                     [] {
                       auto b = order_body("CUST-0006", "SF-0006", 1, 650);
                       b["ship_to"] = "flaky:3";
                       return b;
                     }());
  CAF_REQUIRE(r);
  auto id = body_of(r)["order_id"].get<std::string>();
  json found;
  json_until("stuck --older-than 100ms", [&](const json& d) {
    for (auto& i : d.value("items", json::array()))
      if (i["ref"] == "fulfillment/" + id && i["kind"] == "saga_stalled")
        found = i;
    return found.is_object();
  });
  CAF_REQUIRE(found.is_object());
  CAF_CHECK(found["detail"]["step"].get<std::string>().find("ship") == 0);
  CAF_CHECK(found["detail"]["attempts"].get<int64_t>() >= 1);
  CAF_CHECK(!found["detail"]["last_error"].get<std::string>().empty());
  CAF_CHECK(found["age_ms"].get<int64_t>() >= 100);
  // Once the fourth attempt ships it, the saga is no longer stuck.
  CAF_CHECK_EQUAL(val(await_order(*cli, id)["status"]), "CONFIRMED");
  CAF_CHECK(!has_item(json_cmd("stuck --older-than 100ms").doc(), "ref", "fulfillment/" + id));
}

CAF_TEST(outbox and top by outbox show a flood of unacked sends with their limits) {
  auto flood = json_cmd(
    R"(send counter/fl sagaforge.counter.Flood '{"to":"counter/sink","count":50000,"chunk":500}')");
  CAF_REQUIRE_EQUAL(flood.exit, 0);
  json add;
  auto ob = json_until("outbox counter/fl", [&](const json& d) {
    for (auto& i : d.value("items", json::array()))
      if (i["receiver"] == "counter/sink")
        add = i;
    return add.is_object();
  });
  CAF_REQUIRE(add.is_object());
  CAF_CHECK_EQUAL(ob["ref"], "counter/fl");
  CAF_CHECK_EQUAL(add["type"], "sagaforge.counter.Add");
  auto attempts = add["attempts"].get<int64_t>();
  CAF_CHECK_EQUAL(add["attempts_left"].get<int64_t>(), 25 - attempts);  // retry.max-attempts
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  auto dead_at = add["dead_letter_at_ms"].get<int64_t>();  // created + retry.max-age-ms (1 h)
  CAF_CHECK(dead_at > now + 3500000 && dead_at <= now + 3600000);
  auto top = json_until("top --by outbox -n 3", [](const json& d) {
    return d.contains("items") && !d["items"].empty() && d["items"][0]["outbox_size"] > 0;
  });
  CAF_CHECK_EQUAL(top["items"][0]["ref"], "counter/fl");
}

CAF_TEST(stuck names an entity of an unregistered type as broken) {
  json_cmd(R"(send counter/f1 sagaforge.counter.Forward '{"to":"nosuch/x","amount":1}')");
  json found;
  json_until("stuck --older-than 0ms", [&](const json& d) {
    for (auto& i : d.value("items", json::array()))
      if (i["ref"] == "nosuch/x" && i["kind"] == "broken")
        found = i;
    return found.is_object();
  });
  CAF_REQUIRE(found.is_object());
  CAF_CHECK(found["reason"].get<std::string>().find("no entity type 'nosuch'") != std::string::npos);
}

CAF_TEST(nodes and shards on a node that runs alone say so and exit 0) {
  auto nodes = json_cmd("nodes");
  CAF_CHECK_EQUAL(nodes.exit, 0);
  CAF_CHECK_EQUAL(nodes.doc()["clustered"], false);
  auto text = run_console({"--url", url(), "--token", read_token, "-c", "shards"});
  CAF_CHECK_EQUAL(text.exit, 0);
  CAF_CHECK(text.out.find("runs alone") != std::string::npos);
  // No cluster metric families on a single node.
  auto direct = cli->Get("/metrics");
  CAF_REQUIRE(direct);
  CAF_CHECK(direct->body.find("sagaforge_cluster_") == std::string::npos);
}

CAF_TEST(metrics filters samples by a regex) {
  auto m = json_cmd("metrics ^sagaforge_steps_total").doc();
  CAF_REQUIRE(!m["samples"].empty());
  for (auto& s : m["samples"])
    CAF_CHECK_EQUAL(s["name"], "sagaforge_steps_total");
  auto direct = cli->Get("/metrics");
  double sum = 0;
  for (auto& s : m["samples"])
    sum += s["value"].get<double>();
  CAF_CHECK(sum > 0);
  CAF_CHECK(metric_sum(direct->body, "sagaforge_steps_total") >= sum);
  auto bad = json_cmd("metrics '('");
  CAF_CHECK_EQUAL(bad.exit, 2);
  CAF_CHECK(bad.err.find("not a regex") != std::string::npos);
}

CAF_TEST(send answers the entity reply and watch follows its committed steps) {
  auto bal = json_cmd("send points/CUST-0007 sagaforge.points.GetBalance '{}'").doc();
  CAF_CHECK_EQUAL(bal["reply_type"], "sagaforge.points.Balance");
  CAF_CHECK_EQUAL(bal["reply"]["balance"], 5000);
  auto w = json_cmd("watch --count 2 --interval 200ms status");
  CAF_REQUIRE_EQUAL(w.exit, 0);
  CAF_CHECK_EQUAL(w.doc()["items"].size(), 2u);
  CAF_CHECK_EQUAL(w.doc()["items"][1]["data_dir"], dir.path.string());
  CAF_CHECK_EQUAL(json_cmd("watch --count 1 dl drop 1").exit, 2);  // watch repeats reads only
  CAF_CHECK_EQUAL(json_cmd("watch status").exit, 2);  // --json needs --count or --for
  json_cmd("send counter/w1 sagaforge.counter.Add '{\"amount\":1}'");
  console_result followed;
  std::thread t{[&] { followed = json_cmd("watch --count 1 --for 20s counter/w1"); }};
  std::this_thread::sleep_for(std::chrono::milliseconds{700});
  json_cmd("send counter/w1 sagaforge.counter.Add '{\"amount\":41}'");
  t.join();
  CAF_REQUIRE_EQUAL(followed.exit, 0);
  CAF_REQUIRE_EQUAL(followed.doc()["items"].size(), 1u);
  CAF_CHECK_EQUAL(followed.doc()["items"][0]["state"]["value"], 42);
}

CAF_TEST(stuck names a receiver holding parked deliveries as parked) {
  // A flood of 50,000 sends: the sink's inbound window fills, the rest waits parked.
  auto flood = json_cmd(
    R"(send counter/fp sagaforge.counter.Flood '{"to":"counter/psink","count":50000,"chunk":500}')");
  CAF_REQUIRE_EQUAL(flood.exit, 0);
  json found;
  json_until("stuck --older-than 0ms", [&](const json& d) {
    for (auto& i : d.value("items", json::array()))
      if (i["kind"] == "parked")
        found = i;
    return found.is_object();
  });
  CAF_REQUIRE(found.is_object());
  CAF_CHECK(found["detail"]["parked"].get<int64_t>() > 0);
  CAF_CHECK(found["reason"].get<std::string>().find("deliveries parked") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
