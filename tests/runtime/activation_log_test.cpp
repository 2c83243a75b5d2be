// The activation log (runtime/activation_log.hpp) and its checker (tests/support/
// activation_check.hpp): the lines the log writes, a start on file before the entity runs and
// ends at the next flush, the size bound; the directory's records of activations (with the
// epoch it serves the shard at), ends (with their reason) and shutdown; a node's log with as
// many starts as it counted activations. The checker on synthetic logs: an overlap of two
// nodes is flagged, back to back is not, an activation without an end lasts until its node's
// next process or the end of the run, and an epoch the node did not own is flagged.
#define CAF_SUITE runtime.activation_log
#include "caf/test/dsl.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "actors/counter/counter.hpp"
#include "runtime/activation_log.hpp"
#include "runtime/directory.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/messages.hpp"
#include "tests/support/activation_check.hpp"
#include "tests/support/counter_commands.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_node.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;

namespace {

caf::behavior idle_actor(caf::event_based_actor*, int) {
  return {[](int) {}};
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in{path};
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty() && l[0] != '#')
      out.push_back(l);
  return out;
}

/// A log of node `node` whose clock reads `*now`.
activation_log_ptr open_log(const std::string& path, const std::string& node, int64_t* now,
                            int64_t flush_ms = 60000, int64_t max_bytes = 1 << 20) {
  activation_log::options o;
  o.path = path;
  o.node = node;
  o.flush_ms = flush_ms;
  o.max_bytes = max_bytes;
  o.clock_us = [now] { return *now; };
  auto log = activation_log::open(std::move(o));
  CAF_REQUIRE(log);
  return *log;
}

activation_check_result check_text(const std::vector<std::pair<std::string, std::string>>& logs,
                                   int64_t run_end_us, std::vector<shard_owner> map = {}) {
  activation_checker c;
  for (auto& [name, text] : logs)
    c.read_text(text, name);
  c.set_map(std::move(map));
  auto r = c.check(run_end_us);
  CAF_MESSAGE(r.summary());
  for (auto& v : r.violations)
    CAF_MESSAGE("violation: " << v);
  return r;
}

struct fixture : test_coordinator_fixture<> {
  std::string dir = make_temp_dir("sagaforge-activation-log");
  int64_t now = 1000;

  ~fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(activation_log_tests, fixture)

CAF_TEST(the log writes open start end and close lines) {
  auto path = dir + "/a.log";
  auto log = open_log(path, "n1", &now);
  now = 2000;
  log->started("counter/a", 3, 7, 1);
  now = 3000;
  log->ended("counter/a", 3, 7, 1, activation_end::passivated);
  now = 4000;
  log->close();
  CAF_CHECK_EQUAL(lines_of(path),
                  (std::vector<std::string>{"1000\topen\tn1\t1000\t-\t-\t-\t-\tpid="
                                              + std::to_string(::getpid()),
                                            "2000\tstart\tn1\t1000\tcounter/a\t3\t7\t1\t-",
                                            "3000\tend\tn1\t1000\tcounter/a\t3\t7\t1\tpassivated",
                                            "4000\tclose\tn1\t1000\t-\t-\t-\t-\t-"}));
}

CAF_TEST(a log that cannot be opened is refused naming the option and the path) {
  activation_log::options o;
  o.path = dir + "/missing/a.log";
  o.node = "n1";
  auto log = activation_log::open(std::move(o));
  CAF_REQUIRE(!log);
  CAF_CHECK(describe(log.error()).find("activation-log") != std::string::npos);
  CAF_CHECK(describe(log.error()).find(dir + "/missing/a.log") != std::string::npos);
}

CAF_TEST(a start is on file at once and ends wait for the next flush) {
  auto path = dir + "/a.log";
  auto log = open_log(path, "n1", &now);  // the flusher sleeps for a minute
  log->started("counter/a", 0, 1, 1);
  CAF_CHECK_EQUAL(lines_of(path).size(), 2u);
  log->ended("counter/a", 0, 1, 1, activation_end::crashed);
  CAF_CHECK_EQUAL(lines_of(path).size(), 2u);
  log->flush();
  CAF_CHECK_EQUAL(lines_of(path).size(), 3u);
  log->ended("counter/b", 0, 1, 2, activation_end::passivated);
  log->started("counter/c", 0, 1, 3);  // writes the buffered end before itself
  auto lines = lines_of(path);
  CAF_REQUIRE_EQUAL(lines.size(), 5u);
  CAF_CHECK(lines[3].find("\tend\t") != std::string::npos);
  log.reset();  // not closed: what was buffered is written, no close line
  CAF_CHECK(lines_of(path).back().find("\tclose\t") == std::string::npos);
}

CAF_TEST(past its bound the log records nothing but one full line) {
  auto path = dir + "/a.log";
  auto log = open_log(path, "n1", &now, 60000, 4096);
  for (uint64_t i = 1; i <= 200; ++i)
    log->started("counter/e" + std::to_string(i), 0, 1, i);
  log->close();
  auto lines = lines_of(path);
  CAF_CHECK_LESS(std::filesystem::file_size(path), 4096u + 200u);
  CAF_CHECK(lines.back().find("\tfull\t") != std::string::npos);
  activation_checker c;
  c.read_file(path);
  CAF_CHECK(!c.check(now).ok());  // a full log proves nothing
}

CAF_TEST(the directory records activations with their epoch and ends with their reason) {
  auto path = dir + "/a.log";
  auto log = open_log(path, "n1", &now);
  directory d{4, [this](const std::string&, uint64_t, active_entry_ptr, caf::actor) {
                return sys.spawn(idle_actor, 0);
              }};
  d.set_activation_log(log);
  for (uint32_t s = 0; s < 4; ++s)
    d.set_serving(s, true, 10 + s);
  auto a = d.lookup("counter/a", true);
  auto b = d.lookup("counter/b", true);
  CAF_REQUIRE(a && b);
  d.set_serving(shard_of("counter/c", 4), false, 20);
  CAF_CHECK(!d.lookup("counter/c", true));  // not served: never activated, never recorded
  CAF_CHECK(d.retire("counter/a", a.address(), 0, activation_end::passivated));
  CAF_CHECK(!d.retire("counter/a", a.address(), 0, activation_end::crashed));  // gone already
  for (auto& h : d.clear())
    caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  sched.run();
  d.log_shutdown();
  auto sa = std::to_string(shard_of("counter/a", 4));
  auto sb = std::to_string(shard_of("counter/b", 4));
  auto ea = std::to_string(10 + shard_of("counter/a", 4));
  auto eb = std::to_string(10 + shard_of("counter/b", 4));
  auto lines = lines_of(path);
  CAF_REQUIRE_EQUAL(lines.size(), 6u);
  CAF_CHECK_EQUAL(lines[1], "1000\tstart\tn1\t1000\tcounter/a\t" + sa + "\t" + ea + "\t1\t-");
  CAF_CHECK_EQUAL(lines[2], "1000\tstart\tn1\t1000\tcounter/b\t" + sb + "\t" + eb + "\t2\t-");
  CAF_CHECK_EQUAL(lines[3],
                  "1000\tend\tn1\t1000\tcounter/a\t" + sa + "\t" + ea + "\t1\tpassivated");
  CAF_CHECK_EQUAL(lines[4], "1000\tend\tn1\t1000\tcounter/b\t" + sb + "\t" + eb + "\t2\tshutdown");
  CAF_CHECK(lines[5].find("\tclose\t") != std::string::npos);
}

CAF_TEST(a node logs a start for every activation it counts and ends them all at shutdown) {
  auto path = dir + "/node.log";
  uint64_t counted = 0;
  {
    auto settings = test_settings();
    settings.activation_log = path;
    test_node node{std::make_shared<memory_store>(), {counter::make_counter_logic()}, settings};
    for (int i = 0; i < 5; ++i)
      node.send("counter/e" + std::to_string(i), add(1));
    node.send("counter/e0", forward("counter/e9", 1));
    node.run();
    auto& d = node.runtime().context().dir();
    caf::anon_send(d.lookup("counter/e1", false), passivate_atom::value);
    node.run();
    node.send("counter/e1", add(1));  // activated again
    node.run();
    counted = node.runtime().context().counters().activations.load();
  }
  activation_checker c;
  c.read_file(path);
  auto r = c.check(now);
  CAF_MESSAGE(r.summary());
  CAF_CHECK(r.ok());
  CAF_CHECK_EQUAL(counted, 7u);  // e0..e4, e9, e1 again
  CAF_CHECK_EQUAL(r.activations, counted);
  CAF_CHECK_EQUAL(r.ended, counted);
  CAF_CHECK_EQUAL(r.refs, 6u);
  CAF_CHECK_EQUAL(r.unclosed, 0u);
  CAF_CHECK_EQUAL(r.by_node.at("node"), counted);
}

CAF_TEST(the checker flags one ref active on two nodes at once) {
  // Written by the log itself: two nodes, the same ref, n2's activation inside n1's.
  int64_t t1 = 1000, t2 = 1500;
  auto l1 = open_log(dir + "/n1.log", "n1", &t1);
  auto l2 = open_log(dir + "/n2.log", "n2", &t2);
  t1 = 2000;
  l1->started("order/o-1", 5, 1, 1);
  t2 = 2500;
  l2->started("order/o-1", 5, 1, 1);
  t2 = 2900;
  l2->ended("order/o-1", 5, 1, 1, activation_end::passivated);
  t1 = 3000;
  l1->ended("order/o-1", 5, 1, 1, activation_end::passivated);
  l1->close();
  l2->close();
  activation_checker c;
  c.read_file(dir + "/n1.log");
  c.read_file(dir + "/n2.log");
  auto r = c.check(5000);
  CAF_MESSAGE(r.summary());
  for (auto& v : r.violations)
    CAF_MESSAGE("violation: " << v);
  CAF_CHECK(!r.ok());
  CAF_CHECK_EQUAL(r.nodes, 2u);
  CAF_CHECK_EQUAL(r.activations, 2u);
  CAF_REQUIRE_EQUAL(r.violations.size(), 1u);
  CAF_CHECK(r.violations[0].find("order/o-1 active on n1") != std::string::npos);
}

CAF_TEST(the checker accepts activations of two nodes back to back) {
  auto r = check_text({{"n1", "100\topen\tn1\t100\t-\t-\t-\t-\t-\n"
                              "200\tstart\tn1\t100\torder/o-1\t5\t1\t1\t-\n"
                              "300\tend\tn1\t100\torder/o-1\t5\t1\t1\tpassivated\n"
                              "900\tclose\tn1\t100\t-\t-\t-\t-\t-\n"},
                       {"n2", "100\topen\tn2\t100\t-\t-\t-\t-\t-\n"
                              "300\tstart\tn2\t100\torder/o-1\t5\t1\t1\t-\n"
                              "400\tend\tn2\t100\torder/o-1\t5\t1\t1\tpassivated\n"
                              "900\tclose\tn2\t100\t-\t-\t-\t-\t-\n"}},
                      1000);
  CAF_CHECK(r.ok());
  CAF_CHECK_EQUAL(r.activations, 2u);
  CAF_CHECK_EQUAL(r.ended, 2u);
}

CAF_TEST(the checker takes an activation without an end as lasting until its node restarts) {
  // n1 was killed while o-1 was active (no end, no close) and restarted at 500.
  std::string n1 = "100\topen\tn1\t100\t-\t-\t-\t-\t-\n"
                   "200\tstart\tn1\t100\torder/o-1\t5\t1\t1\t-\n"
                   "500\topen\tn1\t500\t-\t-\t-\t-\t-\n";
  auto n2_from = [](int64_t t) {
    auto at = std::to_string(t);
    return "100\topen\tn2\t100\t-\t-\t-\t-\t-\n" + at + "\tstart\tn2\t100\torder/o-1\t5\t1\t1\t-\n";
  };
  auto after = check_text({{"n1", n1}, {"n2", n2_from(500)}}, 1000);
  CAF_CHECK(after.ok());
  CAF_CHECK_EQUAL(after.ended_by_restart, 1u);
  CAF_CHECK_EQUAL(after.open_at_end, 1u);  // n2's, still running
  CAF_CHECK_EQUAL(after.unclosed, 3u);
  CAF_CHECK(!check_text({{"n1", n1}, {"n2", n2_from(499)}}, 1000).ok());
  // Never restarted: open until the end of the run, whenever n2 took it.
  std::string killed = "100\topen\tn1\t100\t-\t-\t-\t-\t-\n"
                       "200\tstart\tn1\t100\torder/o-1\t5\t1\t1\t-\n";
  auto open = check_text({{"n1", killed}, {"n2", n2_from(900)}}, 1000);
  CAF_CHECK(!open.ok());
  CAF_CHECK_EQUAL(open.open_at_end, 2u);
  // A process that closed its log in order has ended every activation on record.
  CAF_CHECK(!check_text({{"n1", killed + "300\tclose\tn1\t100\t-\t-\t-\t-\t-\n"}}, 1000).ok());
}

CAF_TEST(the checker leaves out a last line still being written) {
  auto r = check_text({{"n1", "100\topen\tn1\t100\t-\t-\t-\t-\t-\n"
                              "200\tstart\tn1\t100\torder/o-1\t5\t1\t1\t-\n"
                              "300\tend\tn1\t100\tord"}},
                      1000);
  CAF_CHECK(r.ok());
  CAF_CHECK_EQUAL(r.partial_tails, 1u);
  CAF_CHECK_EQUAL(r.open_at_end, 1u);
}

CAF_TEST(the checker flags an epoch the node did not serve the shard at) {
  std::vector<shard_owner> map{{"n1", 1}, {"n2", 3}};
  auto log = [](const std::string& node, uint32_t shard, uint64_t epoch) {
    return "100\topen\t" + node + "\t100\t-\t-\t-\t-\t-\n200\tstart\t" + node
           + "\t100\tcounter/x\t" + std::to_string(shard) + "\t" + std::to_string(epoch)
           + "\t1\t-\n";
  };
  CAF_CHECK(check_text({{"n1", log("n1", 0, 1)}}, 1000, map).ok());
  CAF_CHECK(check_text({{"n1", log("n1", 1, 2)}}, 1000, map).ok());   // an older owner's
  CAF_CHECK(!check_text({{"n2", log("n2", 0, 1)}}, 1000, map).ok());  // n1's epoch
  CAF_CHECK(!check_text({{"n1", log("n1", 0, 2)}}, 1000, map).ok());  // beyond the map
  CAF_CHECK(!check_text({{"n1", log("n1", 0, 0)}}, 1000, map).ok());  // no map at all
  CAF_CHECK(!check_text({{"n1", log("n1", 1, 2)}, {"n3", log("n3", 1, 2)}}, 1000, map).ok());
}

CAF_TEST_FIXTURE_SCOPE_END()
