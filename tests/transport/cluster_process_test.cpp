// cluster.processes: real processes on loopback, started the way an operator starts them
// (cluster/local: etcd with client-certificate auth, three sagaforge-node members with
// mutual TLS between them), and the demo driven through the cluster by a client-role node
// (orders, redemptions and counters, spread over all members by their shards).
//
// Asserted, through the demo's own exit code and report (every saga terminal, stock
// conserved, charged at most once, refunded iff cancelled, points conserved, counter units
// applied exactly once, checked store-wide over every member's entities):
//   - a healthy cluster runs the demo with every invariant holding;
//   - a member SIGKILLed in the middle of the load and restarted some seconds later: the
//     sends to it are held meanwhile (not dead-lettered, not compensated) and the run ends
//     with every invariant holding;
//   - etcd killed mid-load for longer than the lease and restarted: the members keep serving
//     and the run ends with every invariant holding.
// Each case gets its own folder and ports; everything is stopped by pid (cluster/local down,
// also when a case aborts, plus the child processes' own guards).
#define CAF_SUITE cluster.processes
#include "caf/test/unit_test.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/process/child_process.hpp"
#include "tests/support/abort_cleanup.hpp"
#include "tests/support/shell_run.hpp"

using namespace std::chrono_literals;
using sagaforge::testing::abort_cleanup;
using sagaforge::testing::child_process;
using sagaforge::testing::shell_run;

namespace {

std::string make_temp_dir() {
  std::string base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string tmpl = base + "/sagaforge-cluster-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed in " + base);
  return buf.data();
}

struct fixture {
  std::string dir = make_temp_dir();
  std::string script = SAGAFORGE_SOURCE_DIR "/cluster/local";
  // A failed CAF_REQUIRE or the watchdog aborts without the destructor below: still stop
  // the cluster (the environment set in the constructor names its folder).
  abort_cleanup on_abort{{"/bin/bash", script, "down"}};

  fixture() {
    // The script reads its folder, ports and node options from the environment, which the
    // shells and children started below inherit.
    for (auto& kv : settings())
      ::setenv(kv.first.c_str(), kv.second.c_str(), 1);
    std::string out;
    auto rc = shell_run("bash " + script + " up 3", out);
    CAF_MESSAGE(out);
    if (rc != 0) {
      CAF_FAIL("cluster/local up 3 failed with " << rc);
    }
  }

  ~fixture() {
    std::string out;
    shell_run("bash " + script + " down", out);
    CAF_MESSAGE(out);
    std::error_code ec;
    if (std::getenv("SAGAFORGE_KEEP_CLUSTER") == nullptr)
      std::filesystem::remove_all(dir, ec);
  }

  int local(const std::string& args) {
    std::string out;
    auto rc = shell_run("bash " + script + " " + args, out);
    CAF_MESSAGE("cluster/local " << args << ": " << out);
    return rc;
  }

  /// The demo through a client node, in the background; `during` runs when the orders phase
  /// starts (the counters' phase is done by then: the fault lands in the sagas' load). Returns the client's exit code; its output is in `lines`.
  int demo(std::vector<std::string>& lines, const std::function<void()>& during = {}) {
    // Line-buffered (stdbuf), so that the phases' lines arrive as they are printed. stdbuf
    // preloads a library ahead of ASan's runtime, which a sanitized node would refuse.
    std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    ::setenv("ASAN_OPTIONS", (asan + (asan.empty() ? "" : ":") + "verify_asan_link_order=0").c_str(),
             1);
    child_process client{{"/usr/bin/stdbuf", "-oL", "/bin/bash", script, "client", "c1", "--node.demo",
                          "--node.demo-commands=2000", "--node.demo-orders=2000",
                          "--node.demo-redemptions=150", "--node.demo-timeout-s=120",
                          "--sagaforge.log.level=warn"}};
    bool fired = !during;
    auto deadline = std::chrono::steady_clock::now() + 300s;
    while (!client.eof() && std::chrono::steady_clock::now() < deadline) {
      auto before = lines.size();
      client.read_lines(1s, lines);
      for (auto i = before; i < lines.size(); ++i) {
        CAF_MESSAGE("c1: " << lines[i]);
        if (!fired && lines[i].find("order demo:") != std::string::npos) {
          fired = true;
          during();
        }
      }
    }
    CAF_REQUIRE(client.eof());
    CAF_CHECK(fired);
    auto status = client.wait();
    CAF_MESSAGE("c1: " << child_process::describe_status(status));
    return status;
  }

  /// Ports of their own per run (ctest may run other suites at once): a shift derived from
  /// the pid, 0..2990, so HTTP stays below 12,470 and the data plane below 50,400.
  std::vector<std::pair<std::string, std::string>> settings() const {
    auto shift = static_cast<int>(::getpid() % 300) * 10;
    return {{"SAGAFORGE_LOCAL", dir},
            {"SAGAFORGE_NODE_BIN", SAGAFORGE_NODE_BIN},
            {"SAGAFORGE_PORT_BASE", std::to_string(shift)},
            {"SAGAFORGE_ETCD_PORT", std::to_string(24000 + shift)},
            {"SAGAFORGE_SHARDS", "16"},
            {"SAGAFORGE_NODE_ARGS", "--sagaforge.cluster.lease-ttl-ms=3000 "
                                    "--sagaforge.log.level=warn "
                                    "--sagaforge.retry.initial-backoff-ms=200 "
                                    "--sagaforge.retry.max-backoff-ms=1000"}};
  }

  static bool has(const std::vector<std::string>& lines, const std::string& what) {
    for (auto& l : lines)
      if (l.find(what) != std::string::npos)
        return true;
    return false;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_process_tests, fixture)

CAF_TEST(three members run the demo from a client node with every invariant holding) {
  std::vector<std::string> lines;
  CAF_CHECK_EQUAL(demo(lines), 0);
  CAF_CHECK(has(lines, "invariant: stock conserved"));
  CAF_CHECK(!has(lines, "violation"));
  CAF_CHECK_EQUAL(local("status"), 0);
}

CAF_TEST(a member killed mid-load and restarted loses and doubles nothing) {
  std::vector<std::string> lines;
  auto rc = demo(lines, [&] {
    std::this_thread::sleep_for(1s);  // the orders are in flight (2,000 take a few seconds)
    CAF_CHECK_EQUAL(local("kill n2"), 0);
    std::this_thread::sleep_for(8s);  // longer than the lease: n2 leaves the member list
    CAF_CHECK_EQUAL(local("restart n2"), 0);
  });
  CAF_CHECK_EQUAL(rc, 0);
  CAF_CHECK(!has(lines, "violation"));
}

CAF_TEST(an etcd outage longer than the lease does not stop the members) {
  std::vector<std::string> lines;
  auto rc = demo(lines, [&] {
    std::this_thread::sleep_for(1s);
    CAF_CHECK_EQUAL(local("kill etcd"), 0);
    std::this_thread::sleep_for(6s);  // twice the lease
    CAF_CHECK_EQUAL(local("restart etcd"), 0);
  });
  CAF_CHECK_EQUAL(rc, 0);
  CAF_CHECK(!has(lines, "violation"));
}

CAF_TEST_FIXTURE_SCOPE_END()
