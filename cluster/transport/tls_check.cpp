// Certificate checks before CAF starts (see tls_check.hpp).
#include "cluster/transport/tls_check.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "caf/expected.hpp"

#include "cluster/transport/openssl_handles.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::cluster {

using namespace openssl_handles;

namespace {

caf::error bad(const std::string& what) {
  return make_runtime_error(runtime_errc::invalid_config, "TLS: " + what);
}

std::string openssl_reason() {
  auto code = ERR_get_error();
  char buf[256] = "unknown OpenSSL error";
  if (code != 0)
    ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

caf::error check_key_pair(const tls_files& f) {
  ctx_ptr ctx{SSL_CTX_new(TLS_method())};
  if (!ctx)
    return bad("cannot create an OpenSSL context: " + openssl_reason());
  SSL_CTX_set_default_passwd_cb(ctx.get(), passphrase_cb);
  SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), const_cast<std::string*>(&f.passphrase));
  // The key before the certificate: OpenSSL 3 refuses a key that does not match a certificate
  // already set ("key values mismatch", which read as a load failure), but drops a loaded key
  // when a certificate that does not match it is set, which the check below then names.
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), f.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return bad("openssl.key " + f.key + " cannot be loaded (not a PEM key, or a wrong "
               "openssl.passphrase): " + openssl_reason());
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), f.certificate.c_str()) != 1)
    return bad("openssl.certificate " + f.certificate + " is not a PEM certificate: "
               + openssl_reason());
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return bad("openssl.key " + f.key + " does not belong to openssl.certificate "
               + f.certificate);
  }
  return {};
}

caf::expected<x509_ptr> load_certificate(const std::string& path) {
  auto* fp = std::fopen(path.c_str(), "r");
  if (!fp)
    return bad("openssl.certificate " + path + " cannot be read");
  x509_ptr cert{PEM_read_X509(fp, nullptr, nullptr, nullptr)};
  std::fclose(fp);
  if (!cert)
    return bad("openssl.certificate " + path + " is not a PEM certificate");
  return cert;
}

caf::error check_chain(X509* cert, const tls_files& f) {
  store_ptr store{X509_STORE_new()};
  if (X509_STORE_load_locations(store.get(), f.cafile.c_str(), nullptr) != 1)
    return bad("openssl.cafile " + f.cafile + " holds no usable CA certificate: "
               + openssl_reason());
  store_ctx_ptr vctx{X509_STORE_CTX_new()};
  X509_STORE_CTX_init(vctx.get(), store.get(), cert, nullptr);
  if (X509_verify_cert(vctx.get()) != 1)
    return bad("openssl.certificate " + f.certificate + " is not signed by openssl.cafile "
               + f.cafile + ": "
               + X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx.get())));
  return {};
}

caf::error check_subject(X509* cert, const tls_files& f, const std::string& node_id) {
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
    return bad("openssl.certificate " + f.certificate + " has expired");
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) < 0)
    return bad("openssl.certificate " + f.certificate + " has no common name (CN)");
  if (node_id != cn)
    return bad("openssl.certificate " + f.certificate + " is issued to '" + cn
               + "', but this node is '" + node_id
               + "': a certificate's CN must be its node's id");
  return {};
}

} // namespace

caf::error check_node_certificates(const tls_files& f, const std::string& node_id) {
  int given = !f.certificate.empty() + !f.key.empty() + !f.cafile.empty();
  if (given == 0)
    return bad("cluster mode needs openssl.certificate, openssl.key and openssl.cafile: "
               "without them CAF would use anonymous TLS (AECDH, no authentication); "
               "scripts/make-certs.sh makes a cluster CA and node certificates");
  if (given < 3)
    return bad(std::string{"a partial certificate configuration: "}
               + (f.certificate.empty() ? "openssl.certificate " : "")
               + (f.key.empty() ? "openssl.key " : "") + (f.cafile.empty() ? "openssl.cafile " : "")
               + "missing (CAF would abort at start or at the first connection)");
  using option_file = std::pair<const char*, const std::string*>;
  const option_file files[] = {{"openssl.certificate", &f.certificate},
                               {"openssl.key", &f.key},
                               {"openssl.cafile", &f.cafile}};
  for (auto& [option, path] : files)
    if (::access(path->c_str(), R_OK) != 0)
      return bad(std::string{option} + " " + *path + " cannot be read: " + std::strerror(errno));
  if (auto err = check_key_pair(f))
    return err;
  auto cert = load_certificate(f.certificate);
  if (!cert)
    return cert.error();
  if (auto err = check_chain(cert->get(), f))
    return err;
  return check_subject(cert->get(), f, node_id);
}

} // namespace sagaforge::cluster
