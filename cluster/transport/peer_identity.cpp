// Proofs of a peer's node id (see peer_identity.hpp).
#include "cluster/transport/peer_identity.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cluster/transport/openssl_handles.hpp"
#include "runtime/errors.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::cluster {

using namespace openssl_handles;

namespace {

// A certificate or signature larger than these is not one of ours: refused unread.
constexpr size_t certificate_max_bytes = 65536;
constexpr size_t signature_max_bytes = 8192;

caf::error refuse_files(const std::string& what) {
  ERR_clear_error();
  return make_runtime_error(runtime_errc::invalid_config, "TLS: " + what);
}

/// Ed25519 and Ed448 sign the message itself; RSA and EC keys sign its SHA-256.
const EVP_MD* digest_for(EVP_PKEY* key) {
  auto id = EVP_PKEY_get_id(key);
  return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? nullptr : EVP_sha256();
}

} // namespace

struct peer_identity::keys {
  pkey_ptr key;
  store_ptr cas;
};

std::string hello_statement(hello_role role, const std::string& nonce, const std::string& from,
                            const std::string& to, const std::string& to_process) {
  return std::string{"sagaforge hello v1\n"}
         + (role == hello_role::dialler ? "dialler\n" : "dialled\n") + nonce + "\n" + from
         + "\n" + to + "\n" + to_process + "\n";
}

peer_identity::~peer_identity() = default;

caf::expected<std::shared_ptr<const peer_identity>>
peer_identity::load(const tls_files& files, const std::string& node_id) {
  std::shared_ptr<peer_identity> id{new peer_identity};
  id->enabled_ = true;
  id->node_ = node_id;
  id->keys_ = std::make_unique<keys>();
  std::ifstream in{files.certificate};
  std::stringstream text;
  text << in.rdbuf();
  if (!in)
    return refuse_files("openssl.certificate " + files.certificate + " cannot be read");
  id->certificate_pem_ = text.str();
  bio_ptr key_bio{BIO_new_file(files.key.c_str(), "r")};
  if (!key_bio)
    return refuse_files("openssl.key " + files.key + " cannot be read");
  id->keys_->key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, passphrase_cb,
                                               const_cast<std::string*>(&files.passphrase)));
  if (!id->keys_->key)
    return refuse_files("openssl.key " + files.key + " cannot be loaded");
  id->keys_->cas.reset(X509_STORE_new());
  if (!id->keys_->cas
      || X509_STORE_load_locations(id->keys_->cas.get(), files.cafile.c_str(), nullptr) != 1)
    return refuse_files("openssl.cafile " + files.cafile + " holds no usable CA certificate");
  return std::shared_ptr<const peer_identity>{std::move(id)};
}

std::shared_ptr<const peer_identity> peer_identity::none(const std::string& node_id) {
  std::shared_ptr<peer_identity> id{new peer_identity};
  id->node_ = node_id;
  return id;
}

std::string peer_identity::make_nonce() {
  unsigned char raw[32];
  auto ok = RAND_bytes(raw, sizeof raw);
  SAGAFORGE_ASSERT(ok == 1, "RAND_bytes failed: no randomness for a hello nonce");
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : raw) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

peer_identity::proof peer_identity::prove(const std::string& statement) const {
  if (!enabled_)
    return {};
  auto* key = keys_->key.get();
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  size_t len = 0;
  auto ok = ctx && EVP_DigestSignInit(ctx.get(), nullptr, digest_for(key), nullptr, key) == 1
            && EVP_DigestSign(ctx.get(), nullptr, &len,
                              reinterpret_cast<const unsigned char*>(statement.data()),
                              statement.size()) == 1;
  std::string sig(len, '\0');
  ok = ok
       && EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(statement.data()),
                         statement.size()) == 1;
  // The key was loaded and checked against its certificate at start: signing cannot fail.
  SAGAFORGE_ASSERT(ok, "signing a hello with the node's own key failed");
  sig.resize(len);
  return {certificate_pem_, std::move(sig)};
}

std::string peer_identity::verify(const std::string& claimed, const proof& p,
                                  const std::string& statement) const {
  if (!enabled_)
    return {};
  if (p.certificate.empty() || p.signature.empty())
    return "no certificate or signature (a node without TLS?)";
  if (p.certificate.size() > certificate_max_bytes || p.signature.size() > signature_max_bytes)
    return "certificate or signature too large";
  bio_ptr bio{BIO_new_mem_buf(p.certificate.data(), static_cast<int>(p.certificate.size()))};
  x509_ptr cert{bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr};
  if (!cert) {
    ERR_clear_error();
    return "the certificate is not PEM";
  }
  store_ctx_ptr vctx{X509_STORE_CTX_new()};
  if (!vctx || X509_STORE_CTX_init(vctx.get(), keys_->cas.get(), cert.get(), nullptr) != 1)
    return "cannot check the certificate";
  if (X509_verify_cert(vctx.get()) != 1) {
    std::string why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx.get()));
    ERR_clear_error();
    return "the certificate is not the cluster CA's: " + why;
  }
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn,
                                sizeof cn)
      < 0)
    return "the certificate has no common name";
  if (claimed != cn)
    return "the certificate is issued to '" + std::string{cn} + "', not to '" + claimed + "'";
  auto* pub = X509_get0_pubkey(cert.get());
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  auto ok = pub && ctx
            && EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(pub), nullptr, pub) == 1
            && EVP_DigestVerify(ctx.get(),
                                reinterpret_cast<const unsigned char*>(p.signature.data()),
                                p.signature.size(),
                                reinterpret_cast<const unsigned char*>(statement.data()),
                                statement.size())
                 == 1;
  ERR_clear_error();
  return ok ? std::string{} : "the signature does not match (not its key, or another statement)";
}

} // namespace sagaforge::cluster
