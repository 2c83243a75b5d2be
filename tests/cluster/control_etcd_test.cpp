// cluster.control.etcd: the control plane's contract (control_contract.inc) over a real etcd
// (Debian's etcd-server) through etcd_kv. Each case starts its own etcd in a temp folder on
// 127.0.0.1 with free ports and stops it by pid at the end (a case that aborts takes it
// along: the child dies with its parent); an outage is a SIGKILL and a later start on the
// same data, a restart a SIGTERM and a start.
#define CAF_SUITE cluster.control.etcd
#include "caf/test/unit_test.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "cluster/control/etcd_kv.hpp"
#include "cluster/control/make_control_plane.hpp"
#include "tests/cluster/control_contract.hpp"
#include "tests/process/child_process.hpp"

#ifndef SAGAFORGE_ETCD
#error "SAGAFORGE_ETCD must name the etcd executable (Debian etcd-server)"
#endif

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A port nobody listens on right now (the kernel's pick for port 0).
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class etcd_backend {
public:
  etcd_backend() {
    char tmpl[] = "/tmp/sagaforge-etcd-XXXXXX";
    if (auto* d = ::mkdtemp(tmpl))
      dir_ = d;
    client_port_ = free_port();
    peer_port_ = free_port();
    start();
  }

  ~etcd_backend() {
    proc_.reset();  // SIGKILL and reap
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  sagaforge::cluster::kv_ptr connect() {
    sagaforge::cluster::etcd_kv_options o;
    o.endpoint = url();
    auto kv = sagaforge::cluster::make_etcd_kv(o);
    CAF_REQUIRE(kv);
    return *kv;
  }

  void outage_begin() {
    if (proc_)
      proc_->kill9();
    proc_.reset();
  }

  void outage_end() {
    start();
  }

  /// A clean stop (SIGTERM): etcd ends its watch streams with an error line.
  void stop() {
    ::kill(proc_->pid(), SIGTERM);
    proc_->wait();
    proc_.reset();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(client_port_);
  }

private:

  void start() {
    auto peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    proc_ = std::make_unique<sagaforge::testing::child_process>(std::vector<std::string>{
      SAGAFORGE_ETCD, "--name", "t", "--data-dir", dir_ + "/data", "--listen-client-urls",
      url(), "--advertise-client-urls", url(), "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer, "--initial-cluster", "t=" + peer,
      "--heartbeat-interval", "50", "--election-timeout", "500", "--logger", "zap",
      "--log-outputs", dir_ + "/etcd.log"});
    auto probe = connect();
    auto up = sagaforge::testing::eventually([&] { return static_cast<bool>(probe->get("/")); },
                                             15s);
    CAF_REQUIRE(up);  // otherwise see etcd.log in the temp folder
  }

  std::string dir_;
  uint16_t client_port_ = 0;
  uint16_t peer_port_ = 0;
  std::unique_ptr<sagaforge::testing::child_process> proc_;
};

using backend_fixture = sagaforge::testing::contract_fixture<etcd_backend>;

} // namespace

#include "tests/cluster/control_contract.inc"

// -- the node's way in: make_control_plane from the sagaforge.cluster.* settings --

namespace {

struct settings_fixture {
  etcd_backend backend;

  sagaforge::runtime_settings settings(const std::string& endpoint) {
    sagaforge::runtime_settings s;
    s.cluster_mode = "etcd";
    s.cluster_node_id = "n1";
    s.cluster_name = "from-settings";
    s.cluster_roster = "n1";
    s.cluster_etcd_endpoints = endpoint;
    s.cluster_lease_ttl_ms = sagaforge::testing::contract_ttl_ms;
    s.shard_count = 16;
    return s;
  }

  static sagaforge::cluster::join_request request(const sagaforge::runtime_settings& s) {
    sagaforge::cluster::join_request r;
    r.self.node = s.cluster_node_id;
    r.store_id = "store-1";
    r.shard_count = static_cast<uint32_t>(s.shard_count);
    r.bootstrap_roster = {"n1"};
    return r;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(control_settings, settings_fixture)

using sagaforge::testing::contains;
using sagaforge::testing::text;

CAF_TEST(the etcd mode builds a control plane from the settings) {
  auto s = settings(backend.url());
  auto cp = sagaforge::cluster::make_control_plane(s);
  CAF_REQUIRE(cp);
  CAF_REQUIRE_EQUAL(text((*cp)->join(request(s))), "ok");
  auto m = (*cp)->current();
  CAF_CHECK_EQUAL(m.shard_count, 16u);
  CAF_CHECK_EQUAL(m.state_of("n1"), "joining");
  CAF_CHECK((*cp)->registered());
  CAF_CHECK_EQUAL(text((*cp)->leave()), "ok");
}

CAF_TEST(etcd errors name the endpoint) {
  auto bad = sagaforge::cluster::make_control_plane(settings("ftp://127.0.0.1:1"));
  CAF_REQUIRE(!bad);
  CAF_CHECK(contains(text(bad.error()), "ftp://127.0.0.1:1"));
  auto s = settings("http://127.0.0.1:" + std::to_string(free_port()));  // nobody listens
  auto cp = sagaforge::cluster::make_control_plane(s);
  CAF_REQUIRE(cp);
  auto err = (*cp)->join(request(s));
  CAF_CHECK(contains(text(err), "runtime.timeout"));
  CAF_CHECK(contains(text(err), "etcd at " + s.cluster_etcd_endpoints));
}

CAF_TEST_FIXTURE_SCOPE_END()
