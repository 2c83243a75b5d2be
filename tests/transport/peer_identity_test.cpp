// cluster.identity: a node proves its id to a peer (cluster/transport/peer_identity.hpp) and
// the gateway takes frames and reads only from a process that proved the id it names.
// Certificates come from scripts/make-certs.sh (a cluster CA and node certificates) and a
// second run of it (another CA whose "n1" must not pass). The gateway cases run on the
// deterministic test coordinator: a scripted peer says hello, proves (or fails to prove) an
// id, and sends frames; the router's counters show what was accepted. Last, the guard against
// CAF 0.17's stale OpenSSL errors (openssl_error_queue.cpp) on a session over memory BIOs.
#define CAF_SUITE cluster.identity
#include "caf/test/dsl.hpp"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cluster/transport/cluster_router.hpp"
#include "cluster/transport/frame.hpp"
#include "cluster/transport/gateway.hpp"
#include "cluster/transport/messages.hpp"
#include "cluster/transport/openssl_error_queue.hpp"
#include "cluster/transport/peer_identity.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sagaforge;
using namespace sagaforge::cluster;

namespace {

struct cert_dirs {
  std::string cluster;  // ca.pem, n1..n3
  std::string foreign;  // another CA's ca.pem and n1
};

/// Made once per run: RSA key generation takes a while.
const cert_dirs& certs() {
  static cert_dirs dirs = [] {
    cert_dirs d{testing::make_temp_dir("sf-identity-ca"), testing::make_temp_dir("sf-identity-x")};
    auto script = std::string{SAGAFORGE_SOURCE_DIR} + "/scripts/make-certs.sh";
    auto ok = std::system((script + " " + d.cluster + " n1 n2 n3 >/dev/null").c_str()) == 0
              && std::system((script + " " + d.foreign + " n1 >/dev/null").c_str()) == 0
              && std::system(("openssl pkey -in " + d.cluster + "/n1.key -aes256 -passout "
                              "pass:s3cret -out " + d.cluster + "/n1.enc.key 2>/dev/null")
                               .c_str())
                   == 0;
    if (!ok)
      throw std::runtime_error("scripts/make-certs.sh or openssl failed");
    return d;
  }();
  return dirs;
}

tls_files files_of(const std::string& dir, const std::string& node, const std::string& ca_dir) {
  return {dir + "/" + node + ".pem", dir + "/" + node + ".key", ca_dir + "/ca.pem", ""};
}

peer_identity_ptr identity(const std::string& node) {
  auto id = peer_identity::load(files_of(certs().cluster, node, certs().cluster), node);
  if (!id)
    CAF_FAIL("cannot load " << node << ": " << caf::to_string(id.error()));
  return *id;
}

const std::string nonce(64, 'a');

std::string statement_by(const std::string& from, const std::string& to) {
  return hello_statement(hello_role::dialler, nonce, from, to, "process-2");
}

} // namespace

CAF_TEST(a proof by n1 verifies as n1 at another member) {
  auto n1 = identity("n1");
  auto n2 = identity("n2");
  auto proof = n1->prove(statement_by("n1", "n2"));
  CAF_CHECK(!proof.certificate.empty());
  CAF_CHECK(!proof.signature.empty());
  CAF_CHECK_EQUAL(n2->verify("n1", proof, statement_by("n1", "n2")), "");
}

CAF_TEST(a certificate issued to another node does not prove a claimed id) {
  auto n3 = identity("n3");
  auto why = identity("n2")->verify("n1", n3->prove(statement_by("n1", "n2")),
                                    statement_by("n1", "n2"));
  CAF_CHECK_EQUAL(why, "the certificate is issued to 'n3', not to 'n1'");
}

CAF_TEST(a certificate from another CA does not pass) {
  auto rogue = peer_identity::load(files_of(certs().foreign, "n1", certs().foreign), "n1");
  CAF_REQUIRE(rogue);
  auto why = identity("n2")->verify("n1", (*rogue)->prove(statement_by("n1", "n2")),
                                    statement_by("n1", "n2"));
  CAF_CHECK(why.rfind("the certificate is not the cluster CA", 0) == 0);
  CAF_MESSAGE("refused: " << why);
}

CAF_TEST(a proof made for another connection or direction does not pass) {
  auto n1 = identity("n1");
  auto n2 = identity("n2");
  auto proof = n1->prove(statement_by("n1", "n2"));
  const std::string mismatch = "the signature does not match (not its key, or another statement)";
  // Another nonce (a replay on a new connection), another target, the other role (a proof
  // reflected back), another verifying process (a relay).
  CAF_CHECK_EQUAL(n2->verify("n1", proof,
                             hello_statement(hello_role::dialler, std::string(64, 'b'), "n1",
                                             "n2", "process-2")),
                  mismatch);
  CAF_CHECK_EQUAL(n2->verify("n1", proof, statement_by("n1", "n3")), mismatch);
  CAF_CHECK_EQUAL(n2->verify("n1", proof,
                             hello_statement(hello_role::dialled, nonce, "n1", "n2", "process-2")),
                  mismatch);
  CAF_CHECK_EQUAL(n2->verify("n1", proof,
                             hello_statement(hello_role::dialler, nonce, "n1", "n2", "process-9")),
                  mismatch);
  // A signature by another member's key under n1's certificate.
  auto forged = proof;
  forged.signature = identity("n3")->prove(statement_by("n1", "n2")).signature;
  CAF_CHECK_EQUAL(n2->verify("n1", forged, statement_by("n1", "n2")), mismatch);
}

CAF_TEST(any bytes as a proof are refused without a crash) {
  auto n2 = identity("n2");
  auto s = statement_by("n1", "n2");
  CAF_CHECK_EQUAL(n2->verify("n1", {}, s), "no certificate or signature (a node without TLS?)");
  CAF_CHECK_EQUAL(n2->verify("n1", {"not a certificate", "x"}, s), "the certificate is not PEM");
  CAF_CHECK_EQUAL(n2->verify("n1", {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                    "x"},
                             s),
                  "the certificate is not PEM");
  CAF_CHECK_EQUAL(n2->verify("n1", {std::string(70000, 'A'), "x"}, s),
                  "certificate or signature too large");
  auto good = identity("n1")->prove(s);
  CAF_CHECK_EQUAL(n2->verify("n1", {good.certificate, std::string(256, '\0')}, s),
                  "the signature does not match (not its key, or another statement)");
}

CAF_TEST(an encrypted key is loaded with its passphrase and refused without) {
  auto f = files_of(certs().cluster, "n1", certs().cluster);
  f.key = certs().cluster + "/n1.enc.key";
  f.passphrase = "wrong";
  CAF_CHECK(!peer_identity::load(f, "n1"));
  f.passphrase = "s3cret";
  auto n1 = peer_identity::load(f, "n1");
  CAF_REQUIRE(n1);
  CAF_CHECK_EQUAL(identity("n2")->verify("n1", (*n1)->prove(statement_by("n1", "n2")),
                                         statement_by("n1", "n2")),
                  "");
}

CAF_TEST(without TLS an identity proves nothing and nonces are fresh) {
  auto none = peer_identity::none("n1");
  CAF_CHECK(!none->enabled());
  CAF_CHECK(none->prove("x").signature.empty());
  CAF_CHECK_EQUAL(none->verify("anyone", {}, "x"), "");
  CAF_CHECK(identity("n1")->enabled());
  auto a = peer_identity::make_nonce();
  CAF_CHECK_EQUAL(a.size(), 64u);
  CAF_CHECK_NOT_EQUAL(a, peer_identity::make_nonce());
}

// -- the gateway: hello, proof, and frames from proven processes only --

namespace {

// What a peer names as its gateway. (An argument on purpose: CAF 0.17 spawns a function
// without arguments through a null shared_ptr<tuple<>>, which UBSan reports.)
caf::behavior named_gateway(caf::event_based_actor*, int) {
  return {[](int) {}};
}

struct gateway_fixture : test_coordinator_fixture<> {
  std::shared_ptr<cluster_router> router;
  caf::actor gw;
  caf::actor peer_gw;  // what a peer names as its gateway (never written to here)

  gateway_fixture() {
    router = std::make_shared<cluster_router>(sys, "n2", 0, link_options{}, 1 << 20,
                                              caf::actor{});
    router->set_identity(identity("n2"));
    gw = spawn_gateway(sys, router);
    peer_gw = sys.spawn(named_gateway, 0);
    run();
  }

  ~gateway_fixture() {
    router->stop();
    caf::anon_send_exit(gw, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(peer_gw, caf::exit_reason::user_shutdown);
    run();
  }

  /// The dialler's hello as `claimed`; the gateway's answer, checked as a real link would.
  std::string hello(const std::string& claimed) {
    std::string their_nonce;
    auto my_nonce = peer_identity::make_nonce();
    self->send(gw, hello_atom::value, claimed, my_nonce);
    run();
    self->receive([&](std::string& node, std::string& cert, std::string& sig,
                      std::string& nonce_back) {
      CAF_CHECK_EQUAL(node, "n2");
      auto me = caf::to_string(sys.node());
      CAF_CHECK_EQUAL(identity("n1")->verify(
                        "n2", {cert, sig},
                        hello_statement(hello_role::dialled, my_nonce, "n2", claimed, me)),
                      "");
      their_nonce = nonce_back;
    });
    return their_nonce;
  }

  void prove(const std::string& claimed, const std::string& signer, const std::string& nonce) {
    auto p = identity(signer)->prove(hello_statement(hello_role::dialler, nonce, claimed, "n2",
                                                     caf::to_string(sys.node())));
    self->send(gw, hello_proof_atom::value, claimed, peer_gw, p.certificate, p.signature);
    run();
  }

  /// A frame from `from` with one ack item; true when the gateway acked it.
  void frame_from(const std::string& from) {
    frame_item it;
    it.kind = item_kind::acked;
    it.to = "counter/a";
    it.receiver = "counter/b";
    it.seq = 1;
    std::string items;
    encode_item(it, items);
    self->send(gw, frame_atom::value, uint64_t{7}, encode_frame({from, 1}, items));
    run();
    self->receive([](frame_ack_atom, uint64_t seq) { CAF_CHECK_EQUAL(seq, 7u); });
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(gateway_tests, gateway_fixture)

CAF_TEST(frames from a process that said no hello are dropped) {
  frame_from("n1");
  CAF_CHECK_EQUAL(router->counters().frames_in.load(), 0u);
  CAF_CHECK_EQUAL(router->counters().unproven.load(), 1u);
}

CAF_TEST(a proven hello lets the frames of that node in) {
  prove("n1", "n1", hello("n1"));
  CAF_CHECK_EQUAL(router->counters().refused_hellos.load(), 0u);
  CAF_CHECK_EQUAL(router->authenticated()->node_of(sys.node()), "n1");
  frame_from("n1");
  CAF_CHECK_EQUAL(router->counters().frames_in.load(), 1u);
  // ... but not frames that name another node.
  frame_from("n3");
  CAF_CHECK_EQUAL(router->counters().frames_in.load(), 1u);
  CAF_CHECK_EQUAL(router->counters().unproven.load(), 1u);
}

CAF_TEST(a member that claims another id is refused and its frames dropped) {
  // n3 holds a valid cluster certificate and claims to be n1.
  prove("n1", "n3", hello("n1"));
  CAF_CHECK_EQUAL(router->counters().refused_hellos.load(), 1u);
  CAF_CHECK_EQUAL(router->authenticated()->node_of(sys.node()), "");
  frame_from("n1");
  CAF_CHECK_EQUAL(router->counters().frames_in.load(), 0u);
  CAF_CHECK_EQUAL(router->counters().unproven.load(), 1u);
}

CAF_TEST(a proof without its own hello or for a stale nonce is refused) {
  prove("n1", "n1", std::string(64, 'c'));  // no hello came first
  CAF_CHECK_EQUAL(router->counters().refused_hellos.load(), 1u);
  auto nonce = hello("n1");
  prove("n1", "n1", std::string(64, 'c'));  // not the nonce the gateway gave
  CAF_CHECK_EQUAL(router->counters().refused_hellos.load(), 2u);
  prove("n1", "n1", nonce);                 // the challenge is gone after one try
  CAF_CHECK_EQUAL(router->counters().refused_hellos.load(), 3u);
  CAF_CHECK_EQUAL(router->authenticated()->node_of(sys.node()), "");
}

CAF_TEST(malformed hellos are answered with an error) {
  self->send(gw, hello_atom::value, std::string{"n1"}, std::string{"short"});
  self->send(gw, hello_atom::value, std::string{"bad id!"}, std::string(64, 'a'));
  self->send(gw, hello_atom::value, std::string{"n2"}, std::string(64, 'a'));  // itself
  run();
  CAF_CHECK_EQUAL(router->counters().refused_hellos.load(), 3u);
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- OpenSSL's error queue (cluster/transport/openssl_error_queue.cpp) --

CAF_TEST(a TLS read is not failed by an error another connection left queued) {
  CAF_REQUIRE(openssl_error_queue_guarded());
  // A client and a server session joined by memory BIOs, through their handshake.
  using ctx_ptr = std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)>;
  using ssl_ptr = std::unique_ptr<SSL, void (*)(SSL*)>;
  ctx_ptr cctx{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
  ctx_ptr sctx{SSL_CTX_new(TLS_server_method()), SSL_CTX_free};
  CAF_REQUIRE(cctx && sctx);
  auto files = files_of(certs().cluster, "n1", certs().cluster);
  CAF_REQUIRE_EQUAL(SSL_CTX_use_certificate_file(sctx.get(), files.certificate.c_str(),
                                                 SSL_FILETYPE_PEM),
                    1);
  CAF_REQUIRE_EQUAL(SSL_CTX_use_PrivateKey_file(sctx.get(), files.key.c_str(), SSL_FILETYPE_PEM),
                    1);
  ssl_ptr client{SSL_new(cctx.get()), SSL_free};
  ssl_ptr server{SSL_new(sctx.get()), SSL_free};
  auto* to_server = BIO_new(BIO_s_mem());
  auto* to_client = BIO_new(BIO_s_mem());
  BIO_up_ref(to_server);
  BIO_up_ref(to_client);
  SSL_set_bio(client.get(), to_client, to_server);  // reads to_client, writes to_server
  SSL_set_bio(server.get(), to_server, to_client);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  bool done = false;
  for (int i = 0; i < 20 && !done; ++i) {
    auto c = SSL_do_handshake(client.get());
    auto s = SSL_do_handshake(server.get());
    done = c == 1 && s == 1;
  }
  CAF_REQUIRE(done);
  // One record through first: the first read after a handshake runs OpenSSL's state machine
  // (TLS 1.3 tickets), which clears the queue by itself; later reads do not.
  char buf[16];
  CAF_REQUIRE_EQUAL(SSL_write(server.get(), "x", 1), 1);
  CAF_REQUIRE_EQUAL(SSL_read(client.get(), buf, sizeof buf), 1);
  ERR_clear_error();
  // What a connection that ended without a TLS close leaves on the thread (CAF 0.17 never
  // drains it).
  ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
  auto ret = SSL_read(client.get(), buf, sizeof buf);  // nothing to read yet
  CAF_CHECK_LESS_OR_EQUAL(ret, 0);
  // Without the guard this is SSL_ERROR_SSL, and CAF closes the healthy connection.
  CAF_CHECK_EQUAL(SSL_get_error(client.get(), ret), SSL_ERROR_WANT_READ);
  ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
  CAF_CHECK_EQUAL(SSL_write(server.get(), "hello", 5), 5);
  CAF_CHECK_EQUAL(SSL_read(client.get(), buf, sizeof buf), 5);
  ERR_clear_error();
}
