// cluster.auth: node authentication, checked against the real sagaforge-node binary, etcd and
// the openssl CLI on loopback (issue 14, "Authentication").
//
// Asserted:
//   - a node in cluster mode refuses to start (exit 2, a message naming the option, the file
//     and the cause, before its data folder exists) with no certificate options, a partial
//     set, a certificate issued to another node id, one signed by another CA, a missing or
//     unreadable file, a key that is not the certificate's or cannot be decrypted; and a whole
//     set of the cluster CA gets past the check (the control: it goes on to etcd);
//   - the member's data plane completes no session with a plain TCP peer (garbage, fake BASP
//     headers), an anonymous TLS client (TLS 1.3, TLS 1.2, the anonymous ciphers CAF falls
//     back to) or a client with a certificate from another CA; a client with a cluster
//     certificate does get the member's BASP handshake (the control);
//   - etcd answers nothing to a client without a cluster certificate (none, another CA's, plain
//     HTTP), and a write it sends is not stored;
//   - a node whose certificate comes from another CA (CN = a member's id) cannot join: it
//     stops with exit 2 and a message, within a bound;
//   - after each refusal the member is ready and nothing changed: its admin counters and
//     metrics, and etcd's revision and keys, equal field by field.
// Each case gets its own folder; ports derive from the pid in a range of their own (not
// cluster.processes'); cluster/local down stops etcd and the member by pid.
#define CAF_SUITE cluster.auth
#include "caf/test/unit_test.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/shell_run.hpp"
#include "tests/support/tcp_probe.hpp"
#include "tests/transport/cluster_effects.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using sagaforge::testing::cluster_effects;
using sagaforge::testing::cluster_view;
using sagaforge::testing::shell_run;
using sagaforge::testing::tcp_probe;
using sagaforge::testing::tcp_probe_result;

namespace {

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

/// A finished sagaforge-node run: its exit code (124 when `timeout` had to stop it), stdout
/// and stderr, its data folder, how long it ran.
struct node_run {
  int rc = -1;
  std::string out;
  std::string data_dir;
  double seconds = 0;
};

/// Certificates only: the cluster CA with n1 and n2 in certs/ (the folder cluster/local uses),
/// and a second CA with certificates for the same names in foreign/.
struct certs_fixture {
  std::string dir = sagaforge::testing::make_temp_dir("sagaforge-auth");
  std::string src = SAGAFORGE_SOURCE_DIR;
  std::string certs = dir + "/certs";
  std::string foreign = dir + "/foreign";
  /// Ports of their own per run: 3000 + (pid % 300) * 10, i.e. 3000..5990, above
  /// cluster.processes' 0..2990, so the two suites never share one (HTTP 12,471..15,462,
  /// data plane 50,401..53,392, etcd 27,000..29,991).
  int shift = 3000 + static_cast<int>(::getpid() % 300) * 10;
  int runs = 0;

  certs_fixture() {
    std::string out;
    for (auto* folder : {&certs, &foreign})
      if (auto rc = shell_run("bash " + src + "/scripts/make-certs.sh " + *folder + " n1 n2",
                              out)) {
        remove_dir();  // nothing runs yet; CAF_FAIL aborts without destructors
        CAF_FAIL("make-certs.sh " << *folder << " failed with " << rc << ": " << out);
      }
  }

  ~certs_fixture() { remove_dir(); }

  void remove_dir() {
    std::error_code ec;
    if (std::getenv("SAGAFORGE_KEEP_CLUSTER") == nullptr)
      std::filesystem::remove_all(dir, ec);
  }

  int etcd_port() const { return 24000 + shift; }
  int http_port(int k) const { return 9470 + k + shift; }
  int data_port(int k) const { return 47400 + k + shift; }

  /// openssl.* options as cluster/local gives them; an empty path leaves its option out.
  static std::string tls(const std::string& cert, const std::string& key, const std::string& ca) {
    std::string out;
    if (!cert.empty())
      out += " --openssl.certificate=" + cert;
    if (!key.empty())
      out += " --openssl.key=" + key;
    if (!ca.empty())
      out += " --openssl.cafile=" + ca;
    return out;
  }

  /// sagaforge-node started as cluster/local starts member `id` of roster n1 (node_args),
  /// with `tls` as its openssl.* options, in a folder of its own and on ports the system picks.
  /// `timeout` bounds the run: a node that hangs shows as 124.
  node_run run_node(const std::string& id, const std::string& tls_options) {
    auto folder = dir + "/run" + std::to_string(++runs);
    std::filesystem::create_directories(folder);
    node_run r;
    r.data_dir = folder + "/data";
    auto cmd = std::string{"timeout -k 5 60 "} + SAGAFORGE_NODE_BIN
               + " --config-file=" + src + "/config/node.conf"
               + " --sagaforge.store.data-dir=" + r.data_dir
               + " --sagaforge.store.shard-count=4 --sagaforge.cluster.mode=etcd"
               + " --sagaforge.cluster.node-id=" + id
               + " --sagaforge.cluster.name=local --sagaforge.cluster.roster=n1"
               + " --sagaforge.cluster.port=0"
               + " --sagaforge.cluster.etcd-endpoints=https://127.0.0.1:"
               + std::to_string(etcd_port()) + " --sagaforge.http.port=0"
               + " --sagaforge.log.level=warn" + tls_options;
    auto start = std::chrono::steady_clock::now();
    r.rc = shell_run(cmd, r.out);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CAF_MESSAGE("sagaforge-node" << tls_options << " -> " << r.rc << " in " << r.seconds
                                 << " s: " << r.out);
    return r;
  }

  /// The node refuses its certificate configuration before anything starts: exit 2, the
  /// check's message with `what` in it, no data folder, no attempt to reach etcd.
  void expect_refused(const std::string& id, const std::string& tls_options,
                      const std::string& what) {
    auto r = run_node(id, tls_options);
    CAF_CHECK_EQUAL(r.rc, 2);
    CAF_CHECK(contains(r.out, "sagaforge-node: invalid cluster configuration: "
                              "runtime.invalid_config: TLS: "));
    if (!contains(r.out, what))
      CAF_ERROR("the message does not say '" << what << "': " << r.out);
    CAF_CHECK(!std::filesystem::exists(r.data_dir));
    CAF_CHECK(!contains(r.out, "cannot join"));
  }
};

/// A running local cluster: etcd and member n1 (cluster/local up 1), 4 shards.
struct cluster_fixture : certs_fixture {
  std::string script = src + "/cluster/local";

  cluster_fixture() {
    // cluster/local reads its folder, ports and node options from the environment; it keeps
    // the certificates certs_fixture made in its folder.
    ::setenv("SAGAFORGE_LOCAL", dir.c_str(), 1);
    ::setenv("SAGAFORGE_NODE_BIN", SAGAFORGE_NODE_BIN, 1);
    ::setenv("SAGAFORGE_PORT_BASE", std::to_string(shift).c_str(), 1);
    ::setenv("SAGAFORGE_ETCD_PORT", std::to_string(etcd_port()).c_str(), 1);
    ::setenv("SAGAFORGE_SHARDS", "4", 1);
    ::setenv("SAGAFORGE_NODE_ARGS", "--sagaforge.log.level=warn", 1);
    // One member: with two, n1's start-up seeding of the demo data reads n2's entities
    // before its link to n2 is up and n1 exits ("... which is unreachable now"), often on a
    // loaded machine. A race of the start-up, not of authentication: not tested here.
    if (auto rc = local("up 1")) {
      local("down");  // CAF_FAIL skips the destructor: stop what was started first
      remove_dir();
      CAF_FAIL("cluster/local up 1 failed with " << rc);
    }
  }

  ~cluster_fixture() { local("down"); }

  int local(const std::string& args) {
    std::string out;
    auto rc = shell_run("bash " + script + " " + args, out);
    CAF_MESSAGE("cluster/local " << args << " -> " << rc << ": " << out);
    return rc;
  }

  cluster_view view() const {
    return {{{"n1", http_port(1)}}, etcd_port(), certs, "change-me-read"};
  }

  /// A settled snapshot that shows what it should: the member's counters and etcd's keys.
  cluster_effects settled_effects() const {
    auto s = view().settled();
    for (auto& [k, v] : s)
      if (contains(k, "unreadable"))
        CAF_ERROR(k << ": " << v);
    CAF_CHECK(s.count("n1 counters.steps") == 1 && s.count("n1 commit.commits") == 1);
    CAF_CHECK(s.count("etcd /sagaforge/local/members/n1") == 1);
    std::string names;
    for (auto& [k, v] : s)
      names += (names.empty() ? "" : ", ") + k + "=" + v.substr(0, 24);
    CAF_MESSAGE(s.size() << " fields before: " << names);
    return s;
  }

  /// The member up and ready, and every field of `before` unchanged, none added.
  void expect_no_effect(const cluster_effects& before) {
    std::string out;
    CAF_CHECK_EQUAL(shell_run("bash " + script + " status", out), 0);
    CAF_MESSAGE("cluster/local status: " << out);
    auto at = out.find("\nn1 ");
    CAF_CHECK(at != std::string::npos
              && contains(out.substr(at, out.find('\n', at + 1) - at), "up  ready=yes"));
    auto after = view().snapshot();
    for (auto& [k, v] : before) {
      auto it = after.find(k);
      CAF_CHECK_EQUAL(k + " = " + (it == after.end() ? std::string{"(gone)"} : it->second),
                      k + " = " + v);
    }
    for (auto& [k, v] : after)
      if (before.count(k) == 0)
        CAF_CHECK_EQUAL(k + " = " + v, k + " (not there before)");
  }

  /// openssl s_client to 127.0.0.1:`port`, trusting the cluster CA and checking the server's
  /// certificate, with `options`; stdin stays open 2 s so that what the server sends after
  /// the handshake (TLS 1.3 sends its verdict on the client's certificate then) arrives.
  int s_client(int port, const std::string& options, std::string& out) {
    auto rc = shell_run("sleep 2 | timeout 20 openssl s_client -connect 127.0.0.1:"
                          + std::to_string(port) + " -CAfile " + certs + "/ca.pem"
                          + " -verify_return_error " + options,
                        out);
    CAF_MESSAGE("s_client " << options << " -> " << rc);
    return rc;
  }

  /// A TLS client the member refuses: s_client fails with `alert` and no application data
  /// (the member's BASP handshake carries "sagaforge/<cluster>") reaches it.
  void expect_no_session(int port, const std::string& options, const std::string& alert) {
    std::string out;
    CAF_CHECK_NOT_EQUAL(s_client(port, options, out), 0);
    if (!contains(out, alert))
      CAF_ERROR("s_client " << options << ": no '" << alert << "': " << out);
    CAF_CHECK(!contains(out, "sagaforge/local"));
  }

  /// The control: a client with a cluster certificate gets the member's BASP handshake.
  void expect_session(int port) {
    std::string out;
    CAF_CHECK_EQUAL(s_client(port, "-cert " + certs + "/n2.pem -key " + certs + "/n2.key", out),
                    0);
    CAF_CHECK(contains(out, "Verify return code: 0 (ok)"));
    if (!contains(out, "sagaforge/local"))
      CAF_ERROR("a cluster certificate got no BASP handshake: " << out);
  }

  /// curl to etcd with `options`: its exit code, the HTTP status it saw ("000": none).
  std::pair<int, std::string> etcd_curl(const std::string& scheme, const std::string& options,
                                        const std::string& path, const std::string& body) {
    std::string out;
    auto rc = shell_run("curl -sS --max-time 10 -o /dev/null -w 'HTTP=%{http_code}' " + options
                          + " -X POST " + scheme + "://127.0.0.1:" + std::to_string(etcd_port())
                          + path + " -d '" + body + "'",
                        out);
    CAF_MESSAGE("curl " << scheme << " " << options << " " << path << " -> " << rc << ": "
                        << out);
    // curl's error line (stderr) and the -w line (stdout) share the pipe in either order.
    auto at = out.find("HTTP=");
    return {rc, at == std::string::npos ? std::string{"none"} : out.substr(at + 5, 3)};
  }
};

/// A BASP header as CAF 0.17 writes it (big endian): operation, two padding bytes, flags,
/// payload length, operation data, source and destination actor ids.
std::string basp_header(uint8_t operation, uint32_t payload_len, uint64_t operation_data) {
  std::string h;
  h.push_back(static_cast<char>(operation));
  h.append(3, '\0');
  for (int i = 3; i >= 0; --i)
    h.push_back(static_cast<char>((payload_len >> (8 * i)) & 0xFF));
  for (int i = 7; i >= 0; --i)
    h.push_back(static_cast<char>((operation_data >> (8 * i)) & 0xFF));
  h.append(16, '\0');
  return h;
}

} // namespace

// -- the node's own check, before anything starts --

CAF_TEST_FIXTURE_SCOPE(node_certificate_checks, certs_fixture)

CAF_TEST(a whole set from the cluster CA passes the check and the node goes on to etcd) {
  // The control for the refusals below: the same command line with a good set gets past the
  // check, opens its store and fails only at etcd (not running here).
  auto r = run_node("n1", tls(certs + "/n1.pem", certs + "/n1.key", certs + "/ca.pem"));
  CAF_CHECK_EQUAL(r.rc, 2);
  CAF_CHECK(!contains(r.out, "invalid cluster configuration"));
  CAF_CHECK(contains(r.out, "sagaforge-node: cannot join the cluster: "));
  CAF_CHECK(std::filesystem::exists(r.data_dir + "/sagaforge.id"));
}

CAF_TEST(no certificate options in cluster mode stop the node with exit 2) {
  expect_refused("n1", "",
                 "cluster mode needs openssl.certificate, openssl.key and openssl.cafile: "
                 "without them CAF would use anonymous TLS");
}

CAF_TEST(a partial certificate set stops the node with exit 2) {
  auto cert = certs + "/n1.pem";
  auto key = certs + "/n1.key";
  auto ca = certs + "/ca.pem";
  const char* partial = "a partial certificate configuration: ";
  expect_refused("n1", tls(cert, "", ca), partial + std::string{"openssl.key missing"});
  expect_refused("n1", tls(cert, key, ""), partial + std::string{"openssl.cafile missing"});
  expect_refused("n1", tls("", key, ca), partial + std::string{"openssl.certificate missing"});
  expect_refused("n1", tls("", key, ""),
                 partial + std::string{"openssl.certificate openssl.cafile missing"});
  expect_refused("n1", tls(cert, "", ""),
                 partial + std::string{"openssl.key openssl.cafile missing"});
  expect_refused("n1", tls("", "", ca),
                 partial + std::string{"openssl.certificate openssl.key missing"});
}

CAF_TEST(a certificate issued to another node id stops the node with exit 2) {
  // n2's certificate is signed by the cluster CA: only the CN binds it to its node.
  expect_refused("n1", tls(certs + "/n2.pem", certs + "/n2.key", certs + "/ca.pem"),
                 "openssl.certificate " + certs + "/n2.pem is issued to 'n2', but this node "
                 "is 'n1'");
  expect_refused("n1", tls(certs + "/ca.pem", certs + "/ca.key", certs + "/ca.pem"),
                 "is issued to 'sagaforge local cluster CA', but this node is 'n1'");
}

CAF_TEST(a certificate from another CA stops the node with exit 2) {
  expect_refused("n1", tls(foreign + "/n1.pem", foreign + "/n1.key", certs + "/ca.pem"),
                 "openssl.certificate " + foreign + "/n1.pem is not signed by openssl.cafile "
                   + certs + "/ca.pem");
  expect_refused("n1", tls(certs + "/n1.pem", certs + "/n1.key", foreign + "/ca.pem"),
                 "openssl.certificate " + certs + "/n1.pem is not signed by openssl.cafile "
                   + foreign + "/ca.pem");
}

CAF_TEST(a missing or unreadable file stops the node with exit 2) {
  auto cert = certs + "/n1.pem";
  auto key = certs + "/n1.key";
  auto ca = certs + "/ca.pem";
  auto absent = dir + "/absent.pem";
  expect_refused("n1", tls(absent, key, ca),
                 "openssl.certificate " + absent + " cannot be read: No such file or directory");
  expect_refused("n1", tls(cert, absent, ca),
                 "openssl.key " + absent + " cannot be read: No such file or directory");
  expect_refused("n1", tls(cert, key, absent),
                 "openssl.cafile " + absent + " cannot be read: No such file or directory");
  // Files that exist but hold no certificate, key or CA.
  auto empty = dir + "/empty.pem";
  auto garbage = dir + "/garbage.pem";
  std::string out;
  CAF_CHECK_EQUAL(shell_run(": >" + empty + " && echo garbage >" + garbage, out), 0);
  expect_refused("n1", tls(garbage, key, ca),
                 "openssl.certificate " + garbage + " is not a PEM certificate");
  expect_refused("n1", tls(cert, empty, ca), "openssl.key " + empty + " cannot be loaded");
  expect_refused("n1", tls(cert, key, empty),
                 "openssl.cafile " + empty + " holds no usable CA certificate");
  expect_refused("n1", tls(cert, key, dir), "openssl.cafile " + dir
                                              + " holds no usable CA certificate");
  // Unreadable: root reads a mode-000 file anyway, so this part needs another user.
  auto locked = dir + "/locked.key";
  std::filesystem::copy_file(key, locked);
  ::chmod(locked.c_str(), 0);
  if (::geteuid() == 0)
    CAF_MESSAGE("running as root: mode 000 does not stop reads, the unreadable key is skipped");
  else
    expect_refused("n1", tls(cert, locked, ca),
                   "openssl.key " + locked + " cannot be read: Permission denied");
}

CAF_TEST(a key that is not the certificate one or cannot be decrypted stops the node) {
  expect_refused("n1", tls(certs + "/n1.pem", certs + "/n2.key", certs + "/ca.pem"),
                 "openssl.key " + certs + "/n2.key does not belong to openssl.certificate "
                   + certs + "/n1.pem");
  auto sealed = dir + "/n1-sealed.key";
  std::string out;
  CAF_REQUIRE_EQUAL(shell_run("openssl pkey -in " + certs + "/n1.key -aes256 -passout "
                                "pass:right -out " + sealed, out), 0);
  expect_refused("n1", tls(certs + "/n1.pem", sealed, certs + "/ca.pem")
                         + " --openssl.passphrase=wrong",
                 "openssl.key " + sealed + " cannot be loaded (not a PEM key, or a wrong "
                 "openssl.passphrase)");
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- a running cluster and peers without a cluster certificate --

CAF_TEST_FIXTURE_SCOPE(cluster_peer_checks, cluster_fixture)

CAF_TEST(a plain TCP peer is dropped without a byte and without effect) {
  auto port = static_cast<uint16_t>(data_port(1));
  auto before = settled_effects();
  struct probe {
    const char* name;
    std::string bytes;
  };
  std::string app = "sagaforge/local";
  std::vector<probe> probes{
    {"an HTTP request", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
    {"a BASP client handshake", basp_header(0x01, static_cast<uint32_t>(app.size()), 1) + app},
    {"a BASP direct message", basp_header(0x02, 8, 0) + std::string(8, '\x01')},
    {"random bytes", std::string(4096, '\xA5')}};
  for (auto& p : probes) {
    auto r = tcp_probe(port, p.bytes, 5s);
    CAF_MESSAGE(p.name << ": " << tcp_probe_result::name(r.how) << " after " << r.seconds
                       << " s, " << r.received.size() << " bytes back");
    CAF_CHECK(r.how == tcp_probe_result::end::closed || r.how == tcp_probe_result::end::reset);
    // Nothing but, at most, a TLS alert record (content type 21).
    CAF_CHECK(r.received.empty() || r.received[0] == '\x15');
    CAF_CHECK(!contains(r.received, "sagaforge/"));
  }
  // A silent peer holds a connection open: the member still serves a cluster certificate
  // meanwhile (CAF's multiplexer is not stuck in its TLS accept).
  auto silent = std::async(std::launch::async, [&] { return tcp_probe(port, "", 6s); });
  std::this_thread::sleep_for(500ms);
  expect_session(port);
  auto quiet = silent.get();
  CAF_MESSAGE("a silent peer: " << tcp_probe_result::name(quiet.how) << " after "
                                << quiet.seconds << " s");
  CAF_CHECK(quiet.received.empty());
  expect_no_effect(before);
}

CAF_TEST(an anonymous TLS client gets no session and causes no effect) {
  auto port = data_port(1);
  expect_session(port);  // the control first: the probe sees a session when there is one
  auto before = settled_effects();
  // TLS 1.3 ends the client's handshake before the server checks its certificate: the
  // refusal comes as an alert right after.
  expect_no_session(port, "", "alert certificate required");
  expect_no_session(port, "-tls1_2", "alert handshake failure");
  // The anonymous suites CAF's openssl module uses when it has no certificate.
  expect_no_session(port, "-tls1_2 -cipher 'aNULL:@SECLEVEL=0'", "alert handshake failure");
  expect_no_effect(before);
}

CAF_TEST(a client with a certificate from another CA gets no session and causes no effect) {
  auto port = data_port(1);
  auto before = settled_effects();
  auto foreign_n1 = "-cert " + foreign + "/n1.pem -key " + foreign + "/n1.key";
  expect_no_session(port, foreign_n1, "alert unknown ca");
  expect_no_session(port, "-tls1_2 " + foreign_n1, "alert unknown ca");
  expect_no_effect(before);
}

CAF_TEST(etcd answers nothing to a client without a cluster certificate) {
  auto ca = "--cacert " + certs + "/ca.pem";
  // Each tries to write a roster entry for a node of its own (the write cluster/local join
  // makes): base64 of /sagaforge/local/roster/n9 and of {"status":"active","store_id":""}.
  std::string key = "L3NhZ2Fmb3JnZS9sb2NhbC9yb3N0ZXIvbjk=";
  std::string put = R"({"key":")" + key
                    + R"(","value":"eyJzdGF0dXMiOiJhY3RpdmUiLCJzdG9yZV9pZCI6IiJ9"})";
  // The control: with n1's certificate the same curl gets an HTTP answer (a read of that key).
  auto ok = etcd_curl("https", ca + " --cert " + certs + "/n1.pem --key " + certs + "/n1.key",
                      "/v3/kv/range", R"({"key":")" + key + R"("})");
  CAF_CHECK_EQUAL(ok.first, 0);
  CAF_CHECK_EQUAL(ok.second, "200");
  auto before = settled_effects();
  struct attempt {
    const char* name;
    std::string scheme;
    std::string options;
  };
  std::vector<attempt> attempts{
    {"no client certificate", "https", ca},
    {"another CA's certificate", "https",
     ca + " --cert " + foreign + "/n1.pem --key " + foreign + "/n1.key"},
    {"no client certificate, etcd's certificate unchecked", "https", "-k"},
    {"plain HTTP", "http", ""}};
  for (auto& a : attempts) {
    auto [rc, status] = etcd_curl(a.scheme, a.options, "/v3/kv/put", put);
    CAF_MESSAGE(a.name << ": curl " << rc << ", HTTP " << status);
    CAF_CHECK_NOT_EQUAL(rc, 0);
    CAF_CHECK_EQUAL(status, "000");  // no HTTP answer at all
  }
  auto keys = view().etcd_keys();
  CAF_CHECK(!keys.empty());
  for (auto& k : keys)
    CAF_CHECK_NOT_EQUAL(k, "/sagaforge/local/roster/n9");
  expect_no_effect(before);
}

CAF_TEST(a node with a certificate from another CA cannot join and stops with exit 2) {
  auto before = settled_effects();
  // An impostor of n1 (the running member): a certificate with CN n1 from another CA. With
  // that CA as its CA file it passes its own check, and refuses etcd's server certificate.
  auto own_ca = run_node("n1", tls(foreign + "/n1.pem", foreign + "/n1.key", foreign + "/ca.pem"));
  // With both CAs it trusts etcd, which refuses its client certificate.
  auto bundle = dir + "/both-cas.pem";
  std::string out;
  CAF_CHECK_EQUAL(shell_run("cat " + foreign + "/ca.pem " + certs + "/ca.pem >" + bundle, out), 0);
  auto both = run_node("n1", tls(foreign + "/n1.pem", foreign + "/n1.key", bundle));
  for (auto* r : {&own_ca, &both}) {
    CAF_CHECK_EQUAL(r->rc, 2);  // 124: it hung until timeout stopped it
    CAF_CHECK_LESS(r->seconds, 30.0);
    CAF_CHECK(!contains(r->out, "invalid cluster configuration"));  // past its own check
    CAF_CHECK(contains(r->out, "sagaforge-node: cannot join the cluster: "));
    CAF_CHECK(contains(r->out, "etcd at https://127.0.0.1:" + std::to_string(etcd_port())));
    // Its first request got no HTTP answer at all: refused by TLS, not by a later check of
    // the control plane (the roster's store id would refuse this impostor too).
    CAF_CHECK(contains(r->out, "/v3/kv/range: ") && !contains(r->out, "/v3/kv/range: HTTP"));
    CAF_CHECK(!contains(r->out, "holds store"));
  }
  CAF_CHECK(contains(own_ca.out, "SSLServerVerification"));
  expect_no_effect(before);
}

CAF_TEST_FIXTURE_SCOPE_END()
