// Clears the calling thread's OpenSSL error queue before every TLS I/O call in the process.
// OpenSSL requires that queue to be empty before SSL_read, SSL_write, SSL_connect and
// SSL_accept, or SSL_get_error reports an error left by an earlier call on another connection.
// CAF 0.17.6's openssl session (libcaf_openssl) drains it only inside a log statement that
// Debian's build compiles out, so when one peer's connection ended without a TLS close (a
// client node exiting, a node killed), the "unexpected eof" it left failed the next read of
// every other connection on the middleman's thread: all links between members dropped at
// once, ~0.4 s after any client exited, on every member, and redialled (docs/cluster.md,
// "The data plane"). Defining these four functions in the executable interposes them before
// libssl's for libcaf_openssl's calls (the dynamic linker takes the executable's definition
// first); each clears the queue and calls libssl's own, found with dlsym(RTLD_NEXT).
#include "cluster/transport/openssl_error_queue.hpp"

#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "runtime/invariant.hpp"

namespace {

template <class Fn>
Fn next_definition(const char* name) {
  auto* fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  SAGAFORGE_ASSERT(fn != nullptr, name);  // libssl is linked: its symbols exist
  return fn;
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static auto real = next_definition<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto real = next_definition<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_connect(SSL* ssl) {
  static auto real = next_definition<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

int SSL_accept(SSL* ssl) {
  static auto real = next_definition<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"

namespace sagaforge::cluster {

bool openssl_error_queue_guarded() {
  return dlsym(RTLD_DEFAULT, "SSL_read") == reinterpret_cast<void*>(&SSL_read);
}

} // namespace sagaforge::cluster
